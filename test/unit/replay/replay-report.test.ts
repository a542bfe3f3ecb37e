/** The replay report: leases rebuilt from commands, labels loaded from the datasets, and the model. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandParams, type CommandRecord } from '../../../src/codec';
import { parsePolicyConfig } from '../../../src/policies';
import { renderReport, type Chart } from '../../../src/report';
import { leaseSpans, settingSteps, describeParams } from '../../../src/replay/lease-spans';
import { findNabRoot, loadLabelledSeries, parseDataFileArg } from '../../../src/replay/labels-load';
import { mergeByEventTime } from '../../../src/replay/merge';
import { replayRecordsSync } from '../../../src/replay/replay';
import { buildReplayReport } from '../../../src/replay/report-model';
import { replaySetupFromConfig } from '../../../src/replay/setup';
import { SCENARIO_CONFIG, T0, WINDOW_MS, asInputs, scenarioConfig, scenarioPartitions } from './replay-fixtures';

const DATA = path.resolve(process.cwd(), 'data');

function cmd(
  type: CommandRecord['type'],
  issuedAt: number,
  expiresAt: number,
  timeoutMs: number | null,
  target = 'w1',
): CommandRecord {
  return {
    id: `${type}@${issuedAt}`,
    type,
    target,
    params: commandParams({ timeoutMs }),
    mode: 'enforce',
    policy: 'p',
    policyVersion: 'v',
    reason: '',
    evidence: [],
    windowStart: issuedAt - 10,
    windowEnd: issuedAt,
    issuedAt,
    expiresAt,
    keyId: '',
    signature: '',
    audience: 'query_timeout',
  };
}

describe('leases from commands', () => {
  const commands = [
    cmd('query_timeout.set', 10, 40, 2500),
    cmd('query_timeout.set', 30, 60, 2500), // renewal: extends
    cmd('query_timeout.set', 50, 80, 1250), // tightening: extends, new label
    cmd('query_timeout.revert', 70, 100, null), // ends it
    cmd('query_timeout.set', 200, 230, 2500), // a new lease that lapses
    cmd('query_timeout.set', 300, 330, 2500, 'w2'), // still in force at the end
  ];

  it('spans each intervention from its first set to its revert, lapse or the end', () => {
    expect(leaseSpans(commands).map((s) => [s.target, s.start, s.end, s.ended, s.label])).toEqual([
      ['w1', 10, 70, 'revert', 'timeout 1,250 ms'],
      ['w1', 200, 230, 'lapse', 'timeout 2,500 ms'],
      ['w2', 300, 330, 'open', 'timeout 2,500 ms'],
    ]);
  });

  it('steps the setting in force, with gaps where nothing is', () => {
    const steps = settingSteps(commands, 'p', 'w1').map((s) => [s.time, Number.isNaN(s.value) ? 'gap' : s.value]);
    expect(steps).toEqual([
      [10, 2500],
      [30, 2500],
      [50, 1250],
      [70, 'gap'],
      [200, 2500],
      [230, 'gap'],
    ]);
  });

  it('describes parameters for people', () => {
    expect(describeParams('quota.set', commandParams({ quotaBytesPerSec: 1500 }))).toBe('quota 1,500/s');
    expect(
      describeParams(
        'retry_policy.set',
        commandParams({
          retryStrategy: 'full',
          retryBaseMs: 200,
          retryCapMs: 40000,
          retryMaxAttempts: 3,
          retryBudgetRatio: 0.1,
          extra: { level: '1' },
        }),
      ),
    ).toBe('retry level 1 (full jitter, base 200 ms, cap 40,000 ms, 3 attempts, budget 10%)');
    expect(describeParams('quota.revert', commandParams({}))).toBe('quota.revert');
  });
});

describe('labels of the shared datasets', () => {
  const latency = path.join(DATA, 'nab/realKnownCause/ec2_request_latency_system_failure.csv');
  const api = path.join(DATA, 'ms-cloud-monitoring/ecommerce-api-incoming-rps/api-01.csv');

  it('finds NAB windows from the data file path, and moves them with --shift-to', async () => {
    expect(findNabRoot(latency)).toBe(path.join(DATA, 'nab'));
    const plain = await loadLabelledSeries('nab', latency);
    expect(plain.name).toBe('realKnownCause/ec2_request_latency_system_failure.csv');
    expect(plain.windows[0]).toEqual({ start: Date.UTC(2014, 2, 14, 3, 31), end: Date.UTC(2014, 2, 14, 14, 41) });
    const shiftTo = Date.UTC(2024, 0, 1);
    const shifted = await loadLabelledSeries('nab', latency, { shiftTo, target: 'ec2' });
    const offset = shiftTo - Date.UTC(2014, 2, 7, 3, 41); // the file's first timestamp
    expect(shifted.windows.map((w) => w.start - offset)).toEqual(plain.windows.map((w) => w.start));
    expect(shifted.target).toBe('ec2');
  });

  it("reads NAB's published layout: data/<group>/<file>.csv beside labels/combined_windows.json", async () => {
    // A NAB checkout as published: <root>/data/realKnownCause/…, <root>/labels/combined_windows.json.
    const root = mkdtempSync(path.join(os.tmpdir(), 'nab-published-'));
    try {
      mkdirSync(path.join(root, 'data', 'realKnownCause'), { recursive: true });
      mkdirSync(path.join(root, 'labels'));
      const csv = path.join(root, 'data', 'realKnownCause', path.basename(latency));
      copyFileSync(latency, csv);
      copyFileSync(
        path.join(DATA, 'nab/labels/combined_windows.json'),
        path.join(root, 'labels', 'combined_windows.json'),
      );
      const expected = await loadLabelledSeries('nab', latency);
      const found = await loadLabelledSeries('nab', csv);
      expect(found.name).toBe('realKnownCause/ec2_request_latency_system_failure.csv');
      expect(found.windows).toEqual(expected.windows);
      const explicit = await loadLabelledSeries('nab', csv, {
        nabLabels: path.join(root, 'labels', 'combined_windows.json'),
      });
      expect(explicit.windows).toEqual(expected.windows);
      // A file the labels do not list still says so, with the key it looked up.
      const stray = path.join(root, 'data', 'realKnownCause', 'not_in_nab.csv');
      copyFileSync(latency, stray);
      await expect(loadLabelledSeries('nab', stray)).rejects.toThrow(
        /has no windows for data\/realKnownCause\/not_in_nab\.csv/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads Microsoft windows from the Label column, and refuses a NAB file as Microsoft', async () => {
    const s = await loadLabelledSeries('ms', api);
    expect(s.windows).toHaveLength(19);
    expect(s.windows[0].start).toBe(Date.UTC(2017, 10, 1, 20));
    await expect(loadLabelledSeries('ms', latency)).rejects.toThrow(/not a Microsoft/);
  });

  it('parses file=target', () => {
    expect(parseDataFileArg('a/mongo-01.csv=mongo-01')).toEqual({ file: 'a/mongo-01.csv', target: 'mongo-01' });
    expect(parseDataFileArg('a/b.csv')).toEqual({ file: 'a/b.csv' });
  });
});

describe('buildReplayReport', () => {
  const result = replayRecordsSync(
    mergeByEventTime(asInputs(scenarioPartitions())),
    replaySetupFromConfig(scenarioConfig(), { partitions: [0, 1, 2], env: {} }),
  );
  const labels = [
    { name: 'w1 overload', windows: [{ start: T0 + 10 * WINDOW_MS, end: T0 + 25 * WINDOW_MS }], target: 'w1' },
    { name: 'w4 overload', windows: [{ start: T0 + 30 * WINDOW_MS, end: T0 + 38 * WINDOW_MS }], target: 'w4' },
  ];
  const input = {
    generatedFrom: 'the scenario',
    policies: SCENARIO_CONFIG.policies.map((p, i) => parsePolicyConfig(p, `policies.${i}`)),
    signals: result.signals,
    commands: result.commands,
    decisions: result.decisions,
    counters: result.counters,
    labels,
  };
  const built = buildReplayReport(input);
  const charts = (title: string): Chart[] => built.report.sections.find((s) => s.title === title)?.charts ?? [];

  it('scores each labelled series on its own target', () => {
    expect(built.scores.map((s) => [s.name, s.score.windows, s.score.windowsActedOn])).toEqual([
      ['w1 overload', 1, 1],
      ['w4 overload', 1, 1],
    ]);
    // Overload starts at window 10; two windows confirm it, and in the second the queue gauge's
    // window mean dips on the plateau (noise), so holdWhileDraining holds the first cut one
    // window more: it comes 3 windows in (2 with the hold off, as the next test checks).
    expect(built.scores[0].score.perWindow[0].delayMs).toBe(3 * WINDOW_MS);
    expect(built.overall?.actionsOutsideWindows).toBe(0);
  });

  it('cuts 2 windows in with the drain hold off: the extra window above is the hold, not the trigger', () => {
    const policies = SCENARIO_CONFIG.policies.map((p, i) =>
      i === 0 ? { ...p, parameters: { ...p.parameters, holdWhileDraining: false } } : p,
    );
    const off = replayRecordsSync(
      mergeByEventTime(asInputs(scenarioPartitions())),
      replaySetupFromConfig(scenarioConfig({ policies }), { partitions: [0, 1, 2], env: {} }),
    );
    const rebuilt = buildReplayReport({
      ...input,
      policies: policies.map((p, i) => parsePolicyConfig(p, `policies.${i}`)),
      signals: off.signals,
      commands: off.commands,
      decisions: off.decisions,
      counters: off.counters,
    });
    expect(rebuilt.scores[0].score.perWindow[0].delayMs).toBe(2 * WINDOW_MS);
  });

  it('draws every policy with the thresholds from its config, decisions as markers, leases and incidents as spans', () => {
    expect(built.report.sections.map((s) => s.title)).toEqual([
      'Scoring against labelled incidents',
      'Incident windows',
      'Policy timeouts',
      'Policy herds',
      'Policy quotas',
    ]);
    const w1 = charts('Policy timeouts').filter((c) => c.title.startsWith('w1: '));
    expect(w1.map((c) => c.title)).toEqual([
      'w1: query.latency_ms (p99)',
      'w1: queue.depth (mean)',
      'w1: query_timeout in force',
    ]);
    expect(w1[0].thresholds?.map((t) => t.value)).toEqual([800, 300]);
    expect(w1[0].markers?.some((m) => m.kind === 'set')).toBe(true);
    expect(w1[0].spans?.filter((s) => s.kind === 'incident')).toHaveLength(1);
    expect(w1[0].spans?.some((s) => s.kind === 'lease')).toBe(true);
    const quotas = charts('Policy quotas');
    expect(quotas[0].title).toMatch(/^cluster utilization/);
    expect(quotas[0].thresholds?.map((t) => t.value)).toEqual([0.85, 0.7]);
    expect(quotas[0].markers?.every((m) => m.kind === 'shadow')).toBe(true);
    expect(charts('Policy herds').some((c) => c.title === 'api: retry share')).toBe(true);
  });

  it('renders the same bytes from the same replay', () => {
    const again = buildReplayReport(input);
    expect(renderReport(again.report)).toBe(renderReport(built.report));
  });

  it('charts the window means when no policy is configured', () => {
    const r = buildReplayReport({ ...input, policies: [], labels: [] });
    expect(r.overall).toBeNull();
    expect(r.report.sections.map((s) => s.title)).toEqual(['Signals']);
    expect(r.report.sections[0].charts.length).toBeGreaterThan(0);
  });
});
