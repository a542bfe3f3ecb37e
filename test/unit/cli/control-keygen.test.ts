import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEd25519PrivateKey, rawPublicKey } from '../../../src/actions/ed25519';
import { main } from '../../../src/cli/main';

describe('homeostat control keygen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keygen-'));
  let out = '';
  let err = '';
  beforeEach(() => {
    out = '';
    err = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  test('writes the private key only its owner can read, and prints the matching public key for control.keys', async () => {
    const file = join(dir, 'alice.key');
    expect(await main(['node', 'homeostat', 'control', 'keygen', '--out', file, '--key-id', 'alice'])).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const pub = rawPublicKey(parseEd25519PrivateKey(readFileSync(file, 'utf8'), file));
    expect(out).toContain(`- id: alice\n      publicKeyFile: ${file}.pub   # publicKey: 'base64:${pub}'`);
    expect(readFileSync(`${file}.pub`, 'utf8').trim()).toBe(`base64:${pub}`);
    expect(out).toContain(`--key-file ${file} --key-id alice`);
  });

  test('never overwrites a key file', async () => {
    const file = join(dir, 'bob.key');
    expect(await main(['node', 'homeostat', 'control', 'keygen', '--out', file])).toBe(0);
    const before = readFileSync(file, 'utf8');
    expect(await main(['node', 'homeostat', 'control', 'keygen', '--out', file])).toBe(2);
    expect(err).toMatch(/exists; keygen never overwrites/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  test('a control record cannot be written unsigned: no key, a usage error naming the way to get one', async () => {
    const saved = process.env.HOMEOSTAT_CONTROL_KEY;
    delete process.env.HOMEOSTAT_CONTROL_KEY;
    try {
      expect(await main(['node', 'homeostat', 'control', 'kill', '--brokers', '127.0.0.1:1'])).toBe(2);
      expect(err).toMatch(/control records are signed: give --key-file .*'homeostat control keygen/);
    } finally {
      if (saved !== undefined) process.env.HOMEOSTAT_CONTROL_KEY = saved;
    }
  });
});
