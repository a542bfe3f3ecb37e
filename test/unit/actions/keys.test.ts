import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEd25519, rawPublicKey } from '../../../src/actions/ed25519';
import { loadSigningKey, parseKeyring } from '../../../src/actions/keys';
import { signCommand, verifyCommand } from '../../../src/actions/signing';
import { ConfigError } from '../../../src/errors';
import { command } from '../executor/fixtures';

describe('signing keys', () => {
  it('loads an Ed25519 private key from a key file first, then the environment', () => {
    const a = generateEd25519();
    const b = generateEd25519();
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-keys-'));
    const file = join(dir, 'key');
    writeFileSync(file, `${a.privateKey}\n`);
    const env = { HOMEOSTAT_SIGNING_KEY: b.privateKey, HOMEOSTAT_SIGNING_KEY_ID: 'k7' };
    const fromFile = loadSigningKey({ env, keyFile: file });
    expect([fromFile.source, fromFile.keyId, fromFile.publicKey]).toEqual(['file', 'k7', a.publicKey]);
    const fromEnv = loadSigningKey({ env });
    expect([fromEnv.source, fromEnv.keyId, fromEnv.publicKey]).toEqual(['env', 'k7', b.publicKey]);
    expect(() => loadSigningKey({ env, keyFile: join(dir, 'missing') })).toThrow(/cannot be read/);
  });

  it('refuses a key that is not Ed25519, without echoing it', () => {
    const secret = 'an-old-hmac-secret-of-some-length';
    let err: unknown;
    try {
      loadSigningKey({ env: { HOMEOSTAT_SIGNING_KEY: secret } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toContain('HOMEOSTAT_SIGNING_KEY');
    expect(String((err as Error).message)).not.toContain(secret);
    expect(() =>
      loadSigningKey({ env: { HOMEOSTAT_SIGNING_KEY: `base64:${Buffer.alloc(16).toString('base64')}` } }),
    ).toThrow(/32 raw bytes, this one is 16/);
  });

  it('generates a development key pair and announces only its public half', () => {
    const messages: string[] = [];
    const k = loadSigningKey({ env: {}, announce: (m) => messages.push(m) });
    expect(k.source).toBe('generated');
    expect(k.keyId).toMatch(/^dev-[0-9a-f]{8}$/);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`HOMEOSTAT_VERIFY_KEYS=${k.keyId}=${k.publicKey}`);
    const seed = k.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(16).toString('base64');
    expect(messages[0]).not.toContain(seed);
    expect(loadSigningKey({ env: {} }).publicKey).not.toBe(k.publicKey);
  });

  it('parses a keyring of id=public-key pairs that verifies what the private key signs', () => {
    const pair = generateEd25519();
    const signing = loadSigningKey({ env: { HOMEOSTAT_SIGNING_KEY: pair.privateKey, HOMEOSTAT_SIGNING_KEY_ID: 'k1' } });
    const ring = parseKeyring(
      `k1=${pair.publicKey}, k2=hex:${Buffer.from(pair.publicKey.slice(7), 'base64').toString('hex')}`,
    );
    expect(Object.keys(ring)).toEqual(['k1', 'k2']);
    expect(rawPublicKey(ring.k2)).toBe(pair.publicKey.slice(7));
    expect(verifyCommand(signCommand(command({}, null), signing), ring)).toEqual({ ok: true });
    expect(() => parseKeyring(`k1=${pair.publicKey},k1=${pair.publicKey}`)).toThrow(/appears twice/);
    expect(() => parseKeyring('nokey')).toThrow(/is not id=key/);
    expect(() => parseKeyring('bad id=base64:AAAA')).toThrow(/key id/);
  });
});
