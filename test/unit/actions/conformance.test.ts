/**
 * Executors in any language: conformance/commands.jsonl is what scripts/conformance-vectors.ts
 * generates today, TypeScript reaches every expected verdict, and the Python verifier
 * (standard library only) reaches the same ones. python3 is a prerequisite of the test
 * suite (README): without it this test fails, naming it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKeyring, verifyCommand } from '../../../src/actions';
import { conformanceText, type ConformanceVector } from '../../../scripts/conformance-vectors';

const ROOT = join(__dirname, '..', '..', '..');
const VECTORS = join(ROOT, 'conformance', 'commands.jsonl');
const VERIFIER = join(ROOT, 'scripts', 'verify_commands.py');

function python(file: string): { status: number | null; out: string } {
  const r = spawnSync('python3', [VERIFIER, file], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'python3 is not installed: it is a prerequisite of the test suite (README, Prerequisites); install it (apt-get install python3) and run again',
    );
  }
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const vectors = (): ConformanceVector[] =>
  readFileSync(VECTORS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ConformanceVector);

describe('command signature conformance vectors', () => {
  it('are up to date with the generator (regenerate: npx tsx scripts/conformance-vectors.ts)', () => {
    expect(readFileSync(VECTORS, 'utf8')).toBe(conformanceText());
  });

  it('hold genuine and tampered commands, and TypeScript reaches every expected verdict', () => {
    const all = vectors();
    expect(all.filter((v) => v.expected.verdict === 'valid').length).toBeGreaterThanOrEqual(5);
    expect(new Set(all.filter((v) => v.expected.verdict === 'invalid').map((v) => v.expected.reason))).toEqual(
      new Set(['bad-signature', 'unknown-key', 'unsigned']),
    );
    for (const v of all) {
      const ring = parseKeyring(
        Object.entries(v.publicKeys)
          .map(([id, k]) => `${id}=${k}`)
          .join(','),
      );
      const r = verifyCommand(v.command, ring);
      expect({ name: v.name, reason: r.ok ? 'ok' : r.reason }).toEqual({ name: v.name, reason: v.expected.reason });
    }
  });

  it('the Python verifier agrees with every verdict and signed text', () => {
    const r = python(VECTORS);
    expect(r.out).toContain(`${vectors().length} vectors, 0 disagree`);
    expect(r.status).toBe(0);
  });

  it('the Python verifier fails when a verdict disagrees', () => {
    const all = vectors();
    all[0] = { ...all[0], expected: { verdict: 'invalid', reason: 'bad-signature' } };
    const file = join(mkdtempSync(join(tmpdir(), 'homeostat-conformance-')), 'commands.jsonl');
    writeFileSync(file, all.map((v) => JSON.stringify(v)).join('\n'));
    const r = python(file);
    expect(r.out).toContain('1 disagree');
    expect(r.status).toBe(1);
  });
});
