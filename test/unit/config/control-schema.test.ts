import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEd25519 } from '../../../src/actions/ed25519';
import { ConfigError } from '../../../src/errors';
import { createControlKeyring, DEFAULT_ALLOWED_KINDS } from '../../../src/guardrails/control-signature';
import { loadConfig } from '../../../src/config/homeostat-config';
import { controlKeys } from '../../../src/config/control-schema';

const issuesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
};

describe('config: control', () => {
  test('defaults: no keys (every record refused), 10,000 exclusions', () => {
    const c = loadConfig({ env: {} });
    expect(c.control).toEqual({ keys: [], maxExclusions: 10_000 });
    expect(createControlKeyring(controlKeys(c.control)).size).toBe(0);
  });

  test('a key from text or a file; allow defaults to every kind but unkill', () => {
    const a = generateEd25519();
    const b = generateEd25519();
    const file = join(mkdtempSync(join(tmpdir(), 'ctl-')), 'b.pub');
    writeFileSync(file, b.publicKey);
    const c = loadConfig({
      env: {},
      overrides: {
        control: {
          keys: [
            { id: 'a', publicKey: a.publicKey },
            { id: 'b', publicKeyFile: file, allow: ['kill', 'unkill'] },
          ],
        },
      },
    });
    const ring = createControlKeyring(controlKeys(c.control));
    expect([...ring.get('a')!.allow].sort()).toEqual([...DEFAULT_ALLOWED_KINDS].sort());
    expect(ring.get('a')!.allow.has('unkill')).toBe(false);
    expect([...ring.get('b')!.allow].sort()).toEqual(['kill', 'unkill']);
  });

  test('bad keys are named with the fix', () => {
    expect(issuesOf(() => loadConfig({ env: {}, overrides: { control: { keys: [{ id: 'a' }] } } })).join('\n')).toMatch(
      /exactly one of publicKey and publicKeyFile/,
    );
    expect(issuesOf(() => createControlKeyring([{ id: 'a', publicKey: 'base64:AAAA' }]))[0]).toMatch(
      /control\.keys\.0\.publicKey: an Ed25519 key is 32 raw bytes, this one is 3/,
    );
    const k = generateEd25519().publicKey;
    expect(
      issuesOf(() =>
        createControlKeyring([
          { id: 'a', publicKey: k },
          { id: 'a', publicKey: k },
        ]),
      )[0],
    ).toMatch(/given twice/);
    expect(
      issuesOf(() => controlKeys({ keys: [{ id: 'a', publicKeyFile: '/nonexistent/key.pub' }], maxExclusions: 1 }))[0],
    ).toMatch(/control\.keys\.0\.publicKeyFile: cannot read/);
  });
});
