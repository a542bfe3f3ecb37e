import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSigningKey, parseKeyring, parseSecret } from '../../../src/actions/keys';
import { ConfigError } from '../../../src/errors';

describe('signing keys', () => {
  it('decodes base64:, hex: and raw secrets, refusing short ones', () => {
    const raw = Buffer.alloc(32, 7);
    expect(parseSecret(`base64:${raw.toString('base64')}`, 'x')).toEqual(raw);
    expect(parseSecret(`hex:${raw.toString('hex')}`, 'x')).toEqual(raw);
    expect(parseSecret('  a sixteen byte secret \n', 'x').toString()).toBe('a sixteen byte secret');
    expect(() => parseSecret('short', 'HOMEOSTAT_SIGNING_KEY')).toThrow(/HOMEOSTAT_SIGNING_KEY: the signing key is 5 bytes; use at least 16/);
    expect(() => parseSecret('hex:zz', 'x')).toThrow(ConfigError);
  });

  it('loads from a key file first, then the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-keys-'));
    const file = join(dir, 'key');
    writeFileSync(file, 'file-secret-0123456789\n');
    const env = { HOMEOSTAT_SIGNING_KEY: 'env-secret-0123456789', HOMEOSTAT_SIGNING_KEY_ID: 'k7' };
    const fromFile = loadSigningKey({ env, keyFile: file });
    expect([fromFile.source, fromFile.keyId, fromFile.key.toString()]).toEqual(['file', 'k7', 'file-secret-0123456789']);
    const fromEnv = loadSigningKey({ env });
    expect([fromEnv.source, fromEnv.keyId, fromEnv.key.toString()]).toEqual(['env', 'k7', 'env-secret-0123456789']);
    expect(() => loadSigningKey({ env, keyFile: join(dir, 'missing') })).toThrow(/cannot be read/);
  });

  it('generates and announces a development key when none is given', () => {
    const messages: string[] = [];
    const k = loadSigningKey({ env: {}, announce: (m) => messages.push(m) });
    expect(k.source).toBe('generated');
    expect(k.key).toHaveLength(32);
    expect(k.keyId).toMatch(/^dev-[0-9a-f]{8}$/);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`HOMEOSTAT_SIGNING_KEY=base64:${k.key.toString('base64')}`);
    expect(loadSigningKey({ env: {} }).key.equals(k.key)).toBe(false);
  });

  it('parses a keyring of id=secret pairs', () => {
    const ring = parseKeyring('k1=0123456789abcdefXX, k2=hex:' + '00'.repeat(16));
    expect(Object.keys(ring)).toEqual(['k1', 'k2']);
    expect(() => parseKeyring('k1=0123456789abcdefXX,k1=0123456789abcdefYY')).toThrow(/appears twice/);
    expect(() => parseKeyring('nokey')).toThrow(/is not id=secret/);
  });
});
