/**
 * HMAC-SHA256 command signatures (RFC 2104). The MAC covers the canonical JSON
 * (canonical.ts) of the command with `signature` set to '' — `keyId` included,
 * so a signature cannot be replayed under another key id. Keys rotate by id: executors
 * hold a keyring of every id they still accept.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Command } from '../model/command';
import { canonicalJson } from './canonical';

export interface SigningKey {
  keyId: string;
  /** Secret bytes; a string is used as UTF-8. At least 16 bytes (keys.ts enforces it at load). */
  key: Buffer | string;
}

/** Key id → secret. */
export type Keyring = Readonly<Record<string, Buffer | string>>;

export type VerifyResult = { ok: true } | { ok: false; reason: 'unsigned' | 'bad-signature' | 'unknown-key' };

/** The exact bytes that are MACed: canonical JSON of the command with `signature` set to ''. */
export function signingPayload(cmd: Command): string {
  return canonicalJson({ ...cmd, signature: '' });
}

function mac(key: Buffer | string, payload: string): string {
  return createHmac('sha256', key).update(payload, 'utf8').digest('hex');
}

/** Returns a copy of `cmd` with `keyId` set and `signature` = hex HMAC-SHA256 of the payload. */
export function signCommand(cmd: Command, signing: SigningKey): Command {
  const unsigned: Command = { ...cmd, keyId: signing.keyId, signature: '' };
  return { ...unsigned, signature: mac(signing.key, signingPayload(unsigned)) };
}

/** Checks a command's signature against a keyring, in constant time per candidate MAC. */
export function verifyCommand(cmd: Command, keyring: Keyring): VerifyResult {
  if (typeof cmd.signature !== 'string' || cmd.signature === '' || !cmd.keyId) return { ok: false, reason: 'unsigned' };
  if (!Object.prototype.hasOwnProperty.call(keyring, cmd.keyId)) return { ok: false, reason: 'unknown-key' };
  const expected = Buffer.from(mac(keyring[cmd.keyId], signingPayload(cmd)), 'hex');
  const given = Buffer.from(cmd.signature, 'hex');
  // A non-hex or wrong-length signature decodes to a different length: reject before comparing.
  if (given.length !== expected.length || given.toString('hex') !== cmd.signature.toLowerCase()) {
    return { ok: false, reason: 'bad-signature' };
  }
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'bad-signature' };
}
