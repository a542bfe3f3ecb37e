/** `homeostat backtest` run in-process on the recorded outbound latency series: outputs and errors. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { registerBacktestCommand } from '../../../src/cli/backtest';
import { loadConfig } from '../../../src/config/homeostat-config';
import { runCli } from '../../helpers/cli-in-process';

const DATA = path.resolve(process.cwd(), 'data/ms-cloud-monitoring/middle-tier-api-dependency-latency');
const CONFIG = path.resolve(process.cwd(), 'examples/ms-latency.yaml');

const cli = (...args: string[]) => runCli([registerBacktestCommand], args);

describe('homeostat backtest', () => {
  let dir: string;
  const f = (name: string) => path.join(dir, name);
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'homeostat-backtest-'));
    writeFileSync(f('grid.yaml'), 'grid:\n  parameters.high.latencyMs.ratio: [2, 50]\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the Pareto table and both parts, writes the chosen config, the study and its page', async () => {
    const files = [1, 2, 3, 4].map((i) => `--data-file=${DATA}/outbound-0${i}.csv`);
    const r = await cli(
      'backtest',
      '-c',
      CONFIG,
      '--grid',
      f('grid.yaml'),
      '--labels',
      'ms',
      ...files,
      '--workers',
      '1',
      '--out-config',
      f('chosen.yaml'),
      '--json',
      f('study.json'),
      '--report',
      f('study.html'),
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/choose part: \d+\/\d+/);
    expect(r.out).toMatch(/score part: {2}\d+\/\d+/);
    const study = JSON.parse(readFileSync(f('study.json'), 'utf8')) as {
      chosen: number;
      series: string[];
      points: { point: Record<string, unknown> }[];
      gaps: { perSeries: Record<string, string[]>; windowsWithGap: number; fleetWide: { at: string }[] };
    };
    expect(study.series).toEqual(['outbound-01', 'outbound-02', 'outbound-03', 'outbound-04']);
    // The hour all backends report 0 ms is counted apart from the actions; the sparse outbound-02 has no gap.
    expect(r.out).toMatch(/telemetry gaps/);
    expect(Object.keys(study.gaps.perSeries)).toEqual(['outbound-01', 'outbound-03', 'outbound-04']);
    expect(study.gaps.fleetWide.map((g) => g.at)).toEqual(['2018-06-21T05:00:00.000Z']);
    expect(study.gaps.windowsWithGap).toBe(3);
    expect(study.points).toHaveLength(2);
    // The chosen config is a valid config whose policy carries the chosen point.
    const chosen = loadConfig({ file: f('chosen.yaml'), env: {} });
    const ratio = (chosen.policies[0] as { parameters: { high: { latencyMs: { ratio: number } } } }).parameters.high
      .latencyMs.ratio;
    expect(ratio).toBe(study.points[study.chosen].point['parameters.high.latencyMs.ratio']);
    expect(readFileSync(f('study.html'), 'utf8')).toContain('<svg');
  }, 120_000);

  it('refuses a grid path the config does not know at validation, naming it', async () => {
    writeFileSync(f('bad.yaml'), 'grid:\n  parameters.high.latencyMs.rate: [2]\n');
    const r = await cli(
      'backtest',
      '-c',
      CONFIG,
      '--grid',
      f('bad.yaml'),
      '--labels',
      'ms',
      `--data-file=${DATA}/outbound-01.csv`,
      '--workers',
      '1',
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/grid point #0 \(high\.latencyMs\.rate=2\): policies\.0\.parameters\.high\.latencyMs/);
  });
});
