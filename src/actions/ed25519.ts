/**
 * Ed25519 (RFC 8032) keys and signatures over bytes: the asymmetric primitive behind every
 * signature a party must be able to check without being able to forge — commands (executors
 * hold only the processor's public key) and control records (processors hold only the
 * operators' public keys).
 *
 * Key syntax, everywhere: a PEM block (PKCS#8 private / SPKI public, as `openssl genpkey
 * -algorithm ed25519` writes them), or `base64:` / `hex:` followed by the raw 32 bytes (the
 * private seed, or the public key) — the form every Ed25519 library in every language
 * reads. Signatures are the raw 64 bytes, base64 (standard alphabet, padded).
 *
 * Verification never throws: a malformed key is refused at load, a malformed signature is
 * simply not valid.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors';

/** DER prefixes that wrap a raw 32-byte Ed25519 key (RFC 8410): PKCS#8 private, SPKI public. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const RAW_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

function rawBytes(text: string, where: string): Buffer | null {
  let bytes: Buffer;
  if (text.startsWith('base64:')) bytes = Buffer.from(text.slice(7), 'base64');
  else if (text.startsWith('hex:')) {
    const hex = text.slice(4);
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
      throw new ConfigError([`${where}: 'hex:' is followed by non-hex text; give 64 hex digits`]);
    }
    bytes = Buffer.from(hex, 'hex');
  } else return null;
  if (bytes.length !== RAW_KEY_BYTES) {
    throw new ConfigError([
      `${where}: an Ed25519 key is ${RAW_KEY_BYTES} raw bytes, this one is ${bytes.length}; ` +
        'give base64:<32 bytes>, hex:<64 digits> or a PEM block',
    ]);
  }
  return bytes;
}

function loadKey(text: string, where: string, kind: 'private' | 'public'): KeyObject {
  const t = text.trim();
  let key: KeyObject;
  try {
    const raw = rawBytes(t, where);
    if (raw !== null) {
      key =
        kind === 'private'
          ? createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' })
          : createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    } else if (t.startsWith('-----BEGIN')) {
      key = kind === 'private' ? createPrivateKey(t) : createPublicKey(t);
    } else {
      throw new ConfigError([
        `${where}: not an Ed25519 ${kind} key; give a PEM block, base64:<32 bytes> or hex:<64 digits>`,
      ]);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([`${where}: cannot be read as an Ed25519 ${kind} key (${(err as Error).message})`]);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError([
      `${where}: is a ${String(key.asymmetricKeyType)} key; an Ed25519 key is needed (openssl genpkey -algorithm ed25519)`,
    ]);
  }
  return key;
}

/** An Ed25519 private key from PEM or raw-seed text; throws a ConfigError naming `where`. */
export function parseEd25519PrivateKey(text: string, where: string): KeyObject {
  return loadKey(text, where, 'private');
}

/** An Ed25519 public key from PEM or raw text; throws a ConfigError naming `where`. */
export function parseEd25519PublicKey(text: string, where: string): KeyObject {
  return loadKey(text, where, 'public');
}

/** The raw 32-byte public key, base64: how docs, logs and other languages name a key. */
export function rawPublicKey(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ format: 'der', type: 'spki' });
  return der.subarray(SPKI_PREFIX.length).toString('base64');
}

/** A fresh key pair, as raw base64 text (for `homeostat keys` and tests). */
export function generateEd25519(): { privateKey: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return { privateKey: `base64:${seed.toString('base64')}`, publicKey: `base64:${rawPublicKey(privateKey)}` };
}

function bytesOf(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

/** Signs `payload` (UTF-8 text or bytes); returns the 64-byte signature in base64. */
export function ed25519Sign(privateKey: KeyObject, payload: string | Buffer): string {
  return sign(null, bytesOf(payload), privateKey).toString('base64');
}

/** True only for a well-formed signature of `payload` by `publicKey`; never throws. */
export function ed25519Verify(publicKey: KeyObject, payload: string | Buffer, signature: unknown): boolean {
  if (typeof signature !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(signature)) return false;
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== SIGNATURE_BYTES) return false;
  try {
    return verify(null, bytesOf(payload), publicKey, sig);
  } catch {
    return false;
  }
}
