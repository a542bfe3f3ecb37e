/**
 * Signing-key loading: edge I/O (environment, files, randomness), kept apart from the
 * pure signing code. The processor signs with one Ed25519 private key; executors verify
 * with a keyring of public keys, so that keys can rotate (old and new id both accepted
 * during the switch) and no executor holds anything that can sign.
 *
 * Key syntax, everywhere: a PEM block, or `base64:` / `hex:` followed by the raw 32 bytes
 * (the private seed, or the public key) — see ed25519.ts. Generate a pair with
 * `homeostat keys` or `openssl genpkey -algorithm ed25519`.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';
import { generateEd25519, parseEd25519PrivateKey, parseEd25519PublicKey, rawPublicKey } from './ed25519';
import { audienceResolver, type Keyring, type SigningKey } from './signing';

export const SIGNING_KEY_ENV = 'HOMEOSTAT_SIGNING_KEY';
export const SIGNING_KEY_ID_ENV = 'HOMEOSTAT_SIGNING_KEY_ID';
export const VERIFY_KEYS_ENV = 'HOMEOSTAT_VERIFY_KEYS';

export interface LoadedSigningKey extends SigningKey {
  /** The matching public key as `base64:<32 bytes>`: what executors are given. */
  publicKey: string;
  source: 'env' | 'file' | 'generated';
}

export interface LoadSigningKeyOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** A file holding the private key (same syntax as the env variable); wins over the env variable. */
  keyFile?: string | null;
  /** Key id; else HOMEOSTAT_SIGNING_KEY_ID; else `default` (`dev-<hex>` for a generated key). */
  keyId?: string | null;
  /** Told about a generated development key (e.g. logger.warn). */
  announce?: (message: string) => void;
  /** The config's `signing.audiences` (policy or family → audience); default: the family. */
  audiences?: Readonly<Record<string, string>>;
}

function loaded(
  keyId: string,
  text: string,
  where: string,
  source: LoadedSigningKey['source'],
  audiences: LoadSigningKeyOptions['audiences'],
): LoadedSigningKey {
  const privateKey = parseEd25519PrivateKey(text, where);
  const key: LoadedSigningKey = { keyId, privateKey, publicKey: `base64:${rawPublicKey(privateKey)}`, source };
  if (audiences !== undefined && Object.keys(audiences).length > 0) key.audienceOf = audienceResolver(audiences);
  return key;
}

/**
 * The processor's signing key: `keyFile`, else HOMEOSTAT_SIGNING_KEY, else a fresh
 * development key pair whose public half is announced so that a local executor can be
 * given it — fine on a laptop, loud enough that nobody ships it. Nothing secret is ever
 * printed, in the announcement or in an error.
 */
export function loadSigningKey(opts: LoadSigningKeyOptions = {}): LoadedSigningKey {
  const env = opts.env ?? process.env;
  const keyId = opts.keyId ?? env[SIGNING_KEY_ID_ENV] ?? null;
  if (opts.keyFile) {
    let text: string;
    try {
      text = readFileSync(opts.keyFile, 'utf8');
    } catch (err) {
      throw new ConfigError([
        `signing key file ${opts.keyFile}: cannot be read (${(err as Error).message}); give an existing file or set ${SIGNING_KEY_ENV}`,
      ]);
    }
    return loaded(keyId ?? 'default', text, `signing key file ${opts.keyFile}`, 'file', opts.audiences);
  }
  const fromEnv = env[SIGNING_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '')
    return loaded(keyId ?? 'default', fromEnv, SIGNING_KEY_ENV, 'env', opts.audiences);
  const pair = generateEd25519();
  const id = keyId ?? `dev-${randomBytes(4).toString('hex')}`;
  const key = loaded(id, pair.privateKey, 'generated key', 'generated', opts.audiences);
  opts.announce?.(
    `no signing key given (${SIGNING_KEY_ENV} or a key file): generated a development key pair, key id ${id}. ` +
      `Executors verify with ${VERIFY_KEYS_ENV}=${id}=${key.publicKey}. Do not use it in production.`,
  );
  return key;
}

/** The keyring that verifies what `signing` signs: its public half under its key id. */
export function keyringFor(signing: SigningKey): Keyring {
  return { [signing.keyId]: createPublicKey(signing.privateKey) };
}

/** A fresh key pair under `keyId` (a demo run's or a test's own key: nothing else trusts it). */
export function ephemeralSigningKey(keyId: string): SigningKey {
  return { keyId, privateKey: parseEd25519PrivateKey(generateEd25519().privateKey, 'generated key') };
}

/**
 * A keyring of public keys from a spec such as `k1=base64:AAA...,k2=hex:0a0b...`
 * (comma-separated `id=key` pairs), e.g. an executor's HOMEOSTAT_VERIFY_KEYS. Key ids are
 * letters, digits, '.', '_' and '-'.
 */
export function parseKeyring(spec: string, where = 'keyring'): Keyring {
  const ring: Record<string, ReturnType<typeof parseEd25519PublicKey>> = {};
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    if (eq <= 0)
      throw new ConfigError([`${where}: an entry is not id=key; write e.g. k1=base64:<32-byte Ed25519 public key>`]);
    const id = part.slice(0, eq);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id))
      throw new ConfigError([
        `${where}: key id ${JSON.stringify(id.slice(0, 64))} must be 1–64 letters, digits, '.', '_' or '-'`,
      ]);
    if (id in ring) throw new ConfigError([`${where}: key id '${id}' appears twice; give each key a distinct id`]);
    ring[id] = parseEd25519PublicKey(part.slice(eq + 1), `${where} key '${id}'`);
  }
  return ring;
}
