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
export { signCommand, verifyCommand, signingPayload } from './signing';
export type { SigningKey, Keyring, VerifyResult } from './signing';
export { buildCommand, wireParams } from './build';
export type { CommandSpec } from './build';
export { leaseKey, leaseAfter, applyCommand, lapsedLeases, removeLeases, dueForRenewal, leasesOf } from './leases';
export type { Lease, LeaseTable, LeaseAction } from './leases';
export { loadSigningKey, parseSecret, parseKeyring, SIGNING_KEY_ENV, SIGNING_KEY_ID_ENV, MIN_KEY_BYTES } from './keys';
export type { LoadedSigningKey, LoadSigningKeyOptions } from './keys';
