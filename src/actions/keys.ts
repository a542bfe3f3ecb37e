/**
 * Signing-key loading: edge I/O (environment, files, randomness), kept apart from the
 * pure signing code. The processor signs with one key; executors verify with a keyring
 * so that keys can rotate (old and new id both accepted during the switch).
 *
 * Secret syntax, everywhere: `base64:<data>`, `hex:<data>`, or any other text used as
 * UTF-8 bytes. Keys shorter than 16 bytes are refused: HMAC-SHA256 keys should be at
 * least as long as the 32-byte output (RFC 2104 §3); 16 is the floor that rejects typos
 * and placeholder words without refusing existing 128-bit keys.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';
import type { Keyring, SigningKey } from './signing';

export const SIGNING_KEY_ENV = 'HOMEOSTAT_SIGNING_KEY';
export const SIGNING_KEY_ID_ENV = 'HOMEOSTAT_SIGNING_KEY_ID';
export const MIN_KEY_BYTES = 16;

export interface LoadedSigningKey extends SigningKey {
  key: Buffer;
  source: 'env' | 'file' | 'generated';
}

export interface LoadSigningKeyOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** A file holding the secret (same syntax as the env variable); wins over the env variable. */
  keyFile?: string | null;
  /** Key id; else HOMEOSTAT_SIGNING_KEY_ID; else `default` (`dev-<hex>` for a generated key). */
  keyId?: string | null;
  /** Told about a generated development key (e.g. logger.warn). */
  announce?: (message: string) => void;
}

/** Decodes the secret syntax; throws a ConfigError naming `where` when it is unusable. */
export function parseSecret(text: string, where: string): Buffer {
  const t = text.trim();
  let key: Buffer;
  if (t.startsWith('base64:')) key = Buffer.from(t.slice(7), 'base64');
  else if (t.startsWith('hex:')) {
    const hex = t.slice(4);
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new ConfigError([`${where}: 'hex:' is followed by non-hex text; give an even number of hex digits`]);
    key = Buffer.from(hex, 'hex');
  } else key = Buffer.from(t, 'utf8');
  if (key.length < MIN_KEY_BYTES) {
    throw new ConfigError([
      `${where}: the signing key is ${key.length} bytes; use at least ${MIN_KEY_BYTES} (32 random bytes recommended: base64:$(openssl rand -base64 32))`,
    ]);
  }
  return key;
}

/**
 * The processor's signing key: from `keyFile`, else HOMEOSTAT_SIGNING_KEY, else a fresh
 * random 32-byte development key that is announced (with its secret, so a local executor
 * can be given it) — fine on a laptop, and loud enough that nobody ships it by accident.
 */
export function loadSigningKey(opts: LoadSigningKeyOptions = {}): LoadedSigningKey {
  const env = opts.env ?? process.env;
  const keyId = opts.keyId ?? env[SIGNING_KEY_ID_ENV] ?? null;
  if (opts.keyFile) {
    let text: string;
    try {
      text = readFileSync(opts.keyFile, 'utf8');
    } catch (err) {
      throw new ConfigError([`signing key file ${opts.keyFile}: cannot be read (${(err as Error).message}); give an existing file or set ${SIGNING_KEY_ENV}`]);
    }
    return { keyId: keyId ?? 'default', key: parseSecret(text, `signing key file ${opts.keyFile}`), source: 'file' };
  }
  const fromEnv = env[SIGNING_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { keyId: keyId ?? 'default', key: parseSecret(fromEnv, SIGNING_KEY_ENV), source: 'env' };
  }
  const key = randomBytes(32);
  const id = keyId ?? `dev-${randomBytes(4).toString('hex')}`;
  opts.announce?.(
    `no signing key given (${SIGNING_KEY_ENV} or a key file): generated a development key, key id ${id}. ` +
      `Executors verify with ${SIGNING_KEY_ENV}=base64:${key.toString('base64')} ${SIGNING_KEY_ID_ENV}=${id}. Do not use it in production.`,
  );
  return { keyId: id, key, source: 'generated' };
}

/**
 * A keyring from a spec such as `k1=base64:AAA...,k2=hex:0a0b...` (comma-separated
 * `id=secret` pairs), e.g. an executor's HOMEOSTAT_VERIFY_KEYS. Pure; kept here because it
 * shares the secret syntax.
 */
export function parseKeyring(spec: string, where = 'keyring'): Keyring {
  const ring: Record<string, Buffer> = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError([`${where}: '${part.slice(0, 20)}…' is not id=secret; write e.g. k1=base64:<32 bytes>`]);
    const id = part.slice(0, eq);
    if (id in ring) throw new ConfigError([`${where}: key id '${id}' appears twice; give each key a distinct id`]);
    ring[id] = parseSecret(part.slice(eq + 1), `${where} key '${id}'`);
  }
  return ring;
}
