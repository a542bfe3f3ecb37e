/**
 * Deterministic Ed25519 test keys: the same seed byte always gives the same key pair, so a
 * child process can be handed the private half (HOMEOSTAT_SIGNING_KEY) and a test verify
 * with the public half.
 */
import { keyringFor, parseEd25519PrivateKey, rawPublicKey, type Keyring, type SigningKey } from '../../src/actions';

/** `base64:` text of the 32-byte seed `byte` repeated: what HOMEOSTAT_SIGNING_KEY takes. */
export function seedText(byte: number): string {
  return `base64:${Buffer.alloc(32, byte).toString('base64')}`;
}

export function testSigningKey(keyId: string, byte: number): SigningKey {
  return { keyId, privateKey: parseEd25519PrivateKey(seedText(byte), `test key ${keyId}`) };
}

/** The public halves of `keys`, by key id. */
export function testKeyring(...keys: SigningKey[]): Keyring {
  return Object.assign({}, ...keys.map(keyringFor)) as Keyring;
}

/** `base64:` text of a key's public half: what HOMEOSTAT_VERIFY_KEYS takes. */
export function publicText(key: SigningKey): string {
  return `base64:${rawPublicKey(key.privateKey)}`;
}
