/**
 * Command signatures: Ed25519 (RFC 8032). The processor signs with its private key;
 * executors hold only public keys, so no executor can forge a command for another.
 *
 * The signed bytes (docs/signing.md specifies them for implementers in any language) are
 * the UTF-8 bytes of `homeostat-command-v2\n` followed by the canonical JSON (canonical.ts,
 * RFC 8785) of the command without its `signature` field — `keyId` and `audience`
 * included, so a signature cannot be moved to another key id or another audience. The
 * prefix separates command signatures from any other text the same key could sign.
 *
 * Verification never throws: a command whose fields canonical JSON cannot encode (a NaN
 * read from JSON, say) could not have been signed, and is refused as `malformed`.
 */
import type { KeyObject } from 'node:crypto';
import type { Command } from '../model/command';
import { canonicalJson } from './canonical';
import { ed25519Sign, ed25519Verify } from './ed25519';

/** Domain separation: the first line of every signed command payload. */
export const COMMAND_SIGNATURE_CONTEXT = 'homeostat-command-v2\n';

export interface SigningKey {
  keyId: string;
  /** The processor's Ed25519 private key (ed25519.ts parses it). */
  privateKey: KeyObject;
  /**
   * The audience of a command from `policy` of `family`: which executors may apply it.
   * Default: the command family (`query_timeout`, `retry_policy`, `quota`).
   */
  audienceOf?: (policy: string, family: string) => string;
}

/** Key id → Ed25519 public key: what an executor trusts. */
export type Keyring = Readonly<Record<string, KeyObject>>;

export type VerifyFailure = 'unsigned' | 'bad-signature' | 'unknown-key' | 'malformed';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure; detail?: string };

/**
 * The audience rule of the processor's `signing.audiences`: a policy's own entry, else its
 * command family's, else the family name itself.
 */
export function audienceResolver(
  audiences: Readonly<Record<string, string>>,
): (policy: string, family: string) => string {
  const own = (k: string): boolean => Object.prototype.hasOwnProperty.call(audiences, k);
  return (policy, family) => (own(policy) ? audiences[policy] : own(family) ? audiences[family] : family);
}

/** The exact bytes that are signed, as text; throws when a field cannot be encoded (see canonical.ts). */
export function signingPayload(cmd: Command): string {
  const { signature: _signature, ...signed } = cmd;
  return COMMAND_SIGNATURE_CONTEXT + canonicalJson(signed);
}

/** A copy of `cmd` with `keyId` set and `signature` = base64 Ed25519 signature of the payload. */
export function signCommand(cmd: Command, signing: SigningKey): Command {
  const unsigned: Command = { ...cmd, keyId: signing.keyId, signature: '' };
  return { ...unsigned, signature: ed25519Sign(signing.privateKey, signingPayload(unsigned)) };
}

/** Checks a command's signature against a keyring. Never throws. */
export function verifyCommand(cmd: Command, keyring: Keyring): VerifyResult {
  if (typeof cmd.signature !== 'string' || cmd.signature === '' || typeof cmd.keyId !== 'string' || cmd.keyId === '') {
    return { ok: false, reason: 'unsigned' };
  }
  if (!Object.prototype.hasOwnProperty.call(keyring, cmd.keyId)) return { ok: false, reason: 'unknown-key' };
  let payload: string;
  try {
    payload = signingPayload(cmd);
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: err instanceof Error ? err.message : String(err) };
  }
  return ed25519Verify(keyring[cmd.keyId], payload, cmd.signature)
    ? { ok: true }
    : { ok: false, reason: 'bad-signature' };
}
