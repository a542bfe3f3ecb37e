/** Public surface of src/actions: the command model's ids, canonical encoding, signing and leases. */
export { canonicalJson } from './canonical';
export type { CanonicalValue } from './canonical';
export { sha256Hex, canonicalHash, hashUnit } from './hash';
export { commandId } from './command-id';
export type { CommandIdFields } from './command-id';
export {
  emptyParams,
  completeParams,
  familyOf,
  isRevertType,
  setTypeOf,
  revertTypeOf,
  isCommandType,
  sameParams,
  NUMERIC_PARAM_KEYS,
  INTEGER_PARAM_KEYS,
} from './params';
export type { NumericParamKey } from './params';
export { signCommand, verifyCommand, signingPayload, audienceResolver, COMMAND_SIGNATURE_CONTEXT } from './signing';
export type { SigningKey, Keyring, VerifyResult, VerifyFailure } from './signing';
export {
  parseEd25519PrivateKey,
  parseEd25519PublicKey,
  rawPublicKey,
  generateEd25519,
  ed25519Sign,
  ed25519Verify,
} from './ed25519';
export { buildCommand, wireParams } from './build';
export type { CommandSpec } from './build';
export { leaseKey, leaseAfter, applyCommand, lapsedLeases, removeLeases, dueForRenewal, leasesOf } from './leases';
export type { Lease, LeaseTable, LeaseAction } from './leases';
export {
  loadSigningKey,
  parseKeyring,
  keyringFor,
  ephemeralSigningKey,
  SIGNING_KEY_ENV,
  SIGNING_KEY_ID_ENV,
  VERIFY_KEYS_ENV,
} from './keys';
export type { LoadedSigningKey, LoadSigningKeyOptions } from './keys';
