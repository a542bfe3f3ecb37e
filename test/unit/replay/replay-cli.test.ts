/**
 * The import, replay, diff and report commands, run in-process on files: flags, outputs,
 * byte-identical replays, row errors, and exit codes (diff: 0 same, 1 different, 2 error).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { registerDiffCommand } from '../../../src/cli/diff';
import { registerImportCommand } from '../../../src/cli/import';
import { registerReplayCommand } from '../../../src/cli/replay';
import { registerReportCommand } from '../../../src/cli/report';
import { writeTelemetryJsonl } from '../../../src/import';
import { runCli, type Ran } from '../../helpers/cli-in-process';
import { SCENARIO_CONFIG, scenarioPartitions } from './replay-fixtures';

const DATA = path.resolve(process.cwd(), 'data');
const LATENCY = path.join(DATA, 'nab/realKnownCause/ec2_request_latency_system_failure.csv');

/** Runs `homeostat <args>` in-process with the four commands mounted. */
const cli = (...args: string[]) =>
  runCli([registerImportCommand, registerReplayCommand, registerDiffCommand, registerReportCommand], args);

describe('homeostat import | replay | diff | report', () => {
  let dir: string;
  let config: string;
  let inputs: string[];
  const f = (name: string): string => path.join(dir, name);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'homeostat-cli-'));
    config = f('scenario.yaml');
    writeFileSync(config, stringify(SCENARIO_CONFIG));
    inputs = [];
    for (const [i, records] of scenarioPartitions().entries()) {
      inputs.push(f(`p${i}.jsonl`));
      await writeTelemetryJsonl(records, f(`p${i}.jsonl`));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports a NAB file to telemetry JSONL, the same bytes every time, with tags and a time shift', async () => {
    const a = await cli(
      'import',
      LATENCY,
      '--source',
      'ec2',
      '--metric',
      'query.latency_ms',
      '--tag',
      'service=ec2',
      '--shift-to',
      '2024-01-01T00:00:00Z',
      '--out',
      f('a.jsonl'),
    );
    expect(a.code).toBe(0);
    expect(a.out).toMatch(
      /^imported 4032 records from .* \(nab\) to .*a\.jsonl .*0 malformed lines skipped; timestamps shifted by \d+ ms/,
    );
    const b = await cli(
      'import',
      LATENCY,
      '--source',
      'ec2',
      '--metric',
      'query.latency_ms',
      '--tag',
      'service=ec2',
      '--shift-to',
      String(Date.UTC(2024, 0, 1)),
      '--out',
      f('b.jsonl'),
    );
    expect(b.code).toBe(0);
    const text = readFileSync(f('a.jsonl'), 'utf8');
    expect(readFileSync(f('b.jsonl'), 'utf8')).toBe(text);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(4032);
    expect(JSON.parse(lines[0])).toEqual({
      ts: Date.UTC(2024, 0, 1),
      source: 'ec2',
      metric: 'query.latency_ms',
      value: 45.868,
      tags: { service: 'ec2' },
    });
  });

  it('prints the first 20 malformed rows as "line N: reason", counts the rest, imports the others', async () => {
    const rows = ['timestamp,value'];
    for (let i = 0; i < 30; i++)
      rows.push(
        i % 2 === 0
          ? `2024-01-01 00:${String(i).padStart(2, '0')}:00,${i}`
          : `2024-01-01 00:${String(i).padStart(2, '0')}:00,oops`,
      );
    writeFileSync(f('bad.csv'), `${rows.join('\n')}\n`);
    const r = await cli('import', f('bad.csv'), '--source', 's', '--metric', 'm', '--out', f('bad.jsonl'));
    expect(r.code).toBe(0);
    const errLines = r.err.split('\n').filter((l) => /^line \d+: /.test(l));
    expect(errLines).toHaveLength(15);
    expect(errLines[0]).toBe("line 3: value 'oops' is not a number");
    expect(r.out).toContain('imported 15 records');
    expect(r.out).toContain('15 malformed lines skipped');

    const worse = [
      'timestamp,value',
      ...Array.from({ length: 25 }, (_, i) => `2024-01-01 00:${String(i).padStart(2, '0')}:00,x`),
    ];
    writeFileSync(f('worse.csv'), `${worse.join('\n')}\n`);
    const w = await cli('import', f('worse.csv'), '--source', 's', '--metric', 'm', '--out', f('worse.jsonl'));
    expect(w.err.split('\n').filter((l) => /^line \d+: /.test(l))).toHaveLength(20);
    expect(w.err).toContain('… and 5 more malformed lines (25 in all)');
    expect(w.code).toBe(1); // nothing imported
    expect(w.err).toContain('nothing imported');
  });

  it('refuses a CSV without --source/--metric, and --out with --topic', async () => {
    expect((await cli('import', LATENCY, '--out', f('x.jsonl'))).code).toBe(2);
    expect(
      (await cli('import', LATENCY, '--source', 's', '--metric', 'm', '--out', f('x.jsonl'), '--topic', 't')).code,
    ).toBe(2);
  });

  it('replays to byte-identical decisions, commands and signals, with a summary', async () => {
    // Each run writes into a folder that does not exist yet: the CLI creates it.
    const run = async (tag: string): Promise<Ran> =>
      cli(
        'replay',
        '-c',
        config,
        ...inputs.flatMap((i) => ['--input', i]),
        '--out',
        f(`${tag}/d.jsonl`),
        '--commands',
        f(`${tag}/c.jsonl`),
        '--signals',
        f(`${tag}/s.jsonl`),
        '--no-progress',
      );
    const a = await run('a');
    const b = await run('b');
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    for (const k of ['d', 'c', 's'])
      expect(readFileSync(f(`b/${k}.jsonl`)).equals(readFileSync(f(`a/${k}.jsonl`)))).toBe(true);
    expect(readFileSync(f('a/c.jsonl'), 'utf8').length).toBeGreaterThan(0);
    expect(a.out).toMatch(/replayed \d+ records in [\d.]+ s \([\d.]+[kM]? events\/s\)/);
    expect(a.out).toMatch(/decisions +\d+ \(acted \d+, .*shadowed \d+/);
    expect(a.out).toContain('signing      none');
  });

  it('diffs: 0 when the same, 1 when different (with a table), 2 on error', async () => {
    await cli(
      'replay',
      '-c',
      config,
      ...inputs.flatMap((i) => ['--input', i]),
      '--out',
      f('base.d.jsonl'),
      '--commands',
      f('base.c.jsonl'),
      '--no-progress',
    );
    const same = await cli('diff', f('base.d.jsonl'), f('base.d.jsonl'));
    expect(same.code).toBe(0);
    expect(same.out).toContain('identical');

    const tighter = {
      ...SCENARIO_CONFIG,
      policies: SCENARIO_CONFIG.policies.map((p) =>
        p.name === 'quotas' ? { ...p, parameters: { ...p.parameters, capacityBytesPerSec: 800_000 } } : p,
      ),
    };
    writeFileSync(f('tighter.yaml'), stringify(tighter));
    await cli(
      'replay',
      '-c',
      f('tighter.yaml'),
      ...inputs.flatMap((i) => ['--input', i]),
      '--out',
      f('cand.d.jsonl'),
      '--commands',
      f('cand.c.jsonl'),
      '--no-progress',
    );
    const diff = await cli(
      'diff',
      f('base.d.jsonl'),
      f('cand.d.jsonl'),
      '--commands-a',
      f('base.c.jsonl'),
      '--commands-b',
      f('cand.c.jsonl'),
    );
    expect(diff.code).toBe(1);
    expect(diff.out).toMatch(/different: \d+ only in A, \d+ only in B, \d+ changed/);
    expect(diff.out).toContain('per policy');
    expect(diff.out).toMatch(/quotas +\d+/);
    const json = await cli('diff', f('base.d.jsonl'), f('cand.d.jsonl'), '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ identical: false });

    expect((await cli('diff', f('base.d.jsonl'), f('missing.jsonl'))).code).toBe(2);
    expect((await cli('diff', f('base.d.jsonl'), inputs[0])).code).toBe(2); // telemetry, not decisions
    expect((await cli('diff', f('base.d.jsonl'))).code).toBe(2); // missing argument
    expect((await cli('diff', f('base.d.jsonl'), f('base.d.jsonl'), '--limit', 'x')).code).toBe(2);
  });

  it('writes an HTML report of a replay, scored against labels', async () => {
    await cli('import', LATENCY, '--source', 'ec2-latency', '--metric', 'query.latency_ms', '--out', f('lat.jsonl'));
    const r = await cli(
      'report',
      '-c',
      path.resolve('examples/nab-latency.yaml'),
      '--replay-input',
      f('lat.jsonl'),
      '--labels',
      'nab',
      '--data-file',
      LATENCY,
      '--out',
      f('report/lat.html'),
      '--no-progress',
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote .*lat\.html \(.*, 3 sections, 2 charts\)/);
    expect(r.out).toMatch(/scoring: \d+ of 3 labelled windows acted on/);
    const html = readFileSync(f('report/lat.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('realKnownCause/ec2_request_latency_system_failure.csv');
    expect((await cli('report', '-c', config, '--out', f('x.html'))).code).toBe(2); // no input
    expect(
      (await cli('report', '-c', config, '--replay-input', inputs[0], '--labels', 'nab', '--out', f('x.html'))).code,
    ).toBe(2); // labels without data
  });
});
