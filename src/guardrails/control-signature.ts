/**
 * Who may steer the loop: control records are signed by an operator's Ed25519 key and
 * processors hold only the operators' public keys, by key id. The control key is separate
 * from the command key on purpose — whoever can write the control topic can switch every
 * policy to enforce, so that power must not follow from read access to a processor's
 * secrets, nor from write access to the topic.
 *
 * Signed bytes: `homeostat.control.v1\n` followed by the record's canonical JSON
 * (schemas/control.avsc field order, no whitespace) with `signature` null and `keyId` set.
 * Every field is covered, so nothing can be changed without the key.
 */
import type { KeyObject } from 'node:crypto';
import { ed25519Sign, ed25519Verify, parseEd25519PrivateKey, parseEd25519PublicKey } from '../actions/ed25519';
import { createRecordCodec } from '../codec';
import { ConfigError } from '../errors';
import { CONTROL_KINDS, type ControlKind, type ControlRecord } from './control';

const DOMAIN = 'homeostat.control.v1\n';

/** An operator key as configured (control.keys): the public half, and what it may issue. */
export interface ControlKeyConfig {
  id: string;
  /** PEM, base64:<32 bytes> or hex:<64 digits> (src/actions/ed25519.ts). */
  publicKey: string;
  /** Kinds this key may issue; default every kind but `unkill` (see DEFAULT_ALLOWED_KINDS). */
  allow?: readonly ControlKind[];
}

/**
 * What a key may issue unless its config says otherwise: everything but `unkill`. A kill is
 * the last resort; releasing it is the one record whose forgery or mistake re-arms every
 * policy at once, so it needs a key that was given that power explicitly.
 */
export const DEFAULT_ALLOWED_KINDS: readonly ControlKind[] = CONTROL_KINDS.filter((k) => k !== 'unkill');

export interface ControlKeyring {
  readonly size: number;
  get(id: string): { key: KeyObject; allow: ReadonlySet<ControlKind> } | undefined;
}

/** The keyring from config; throws a ConfigError naming each bad key. */
export function createControlKeyring(keys: readonly ControlKeyConfig[], path = 'control.keys'): ControlKeyring {
  const byId = new Map<string, { key: KeyObject; allow: ReadonlySet<ControlKind> }>();
  const issues: string[] = [];
  keys.forEach((k, i) => {
    if (byId.has(k.id)) issues.push(`${path}.${i}.id: '${k.id}' is given twice; key ids must be unique`);
    try {
      byId.set(k.id, {
        key: parseEd25519PublicKey(k.publicKey, `${path}.${i}.publicKey`),
        allow: new Set(k.allow ?? DEFAULT_ALLOWED_KINDS),
      });
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { size: byId.size, get: (id) => byId.get(id) };
}

/** The bytes a signature covers. */
export function controlSignedBytes(rec: ControlRecord, keyId: string): Buffer {
  const body = createRecordCodec('control').encodeJson({ ...rec, keyId, signature: null });
  return Buffer.concat([Buffer.from(DOMAIN, 'utf8'), body]);
}

/** `rec` signed with an operator's private key (PEM or base64:/hex: seed text, or a loaded key). */
export function signControl<R extends ControlRecord>(
  rec: R,
  keyId: string,
  privateKey: KeyObject | string,
): R & { keyId: string; signature: string } {
  const key =
    typeof privateKey === 'string' ? parseEd25519PrivateKey(privateKey, 'the control signing key') : privateKey;
  return { ...rec, keyId, signature: ed25519Sign(key, controlSignedBytes(rec, keyId)) };
}

/** Why a control record is not authentic or not allowed, or undefined when it is both. Never throws. */
export function controlAuthRefusal(rec: ControlRecord, keyring: ControlKeyring): string | undefined {
  if (keyring.size === 0)
    return 'unsigned control is off: no operator key is configured (control.keys); see docs/security.md';
  if (typeof rec.keyId !== 'string' || typeof rec.signature !== 'string')
    return 'unsigned: a control record must carry keyId and signature';
  const entry = keyring.get(rec.keyId);
  if (!entry) return `signed with unknown key id '${rec.keyId.slice(0, 64)}'`;
  let bytes: Buffer;
  try {
    bytes = controlSignedBytes(rec, rec.keyId);
  } catch {
    return 'cannot be encoded for verification';
  }
  if (!ed25519Verify(entry.key, bytes, rec.signature)) return `bad signature for key id '${rec.keyId}'`;
  if (!entry.allow.has(rec.kind))
    return `key '${rec.keyId}' may not issue '${rec.kind}' (control.keys allow: ${[...entry.allow].join(', ')})`;
  return undefined;
}
