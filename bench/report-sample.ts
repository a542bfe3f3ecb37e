/**
 * Renders a sample report (three sections of fake but plausible data from a seeded PRNG)
 * to out/sample-report.html, so the renderer can be looked at; and times rendering against
 * a baseline measured in the same run — JSON.stringify of the same model, the least work
 * any serialisation of it must do — plus the size of one chart of an 18k-point series.
 *
 *   npx tsx bench/report-sample.ts
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mulberry32, type RandomFn } from '../src/client/random';
import {
  renderReport,
  scoringTable,
  writeReport,
  type Chart,
  type Marker,
  type Point,
  type Report,
  type Span,
} from '../src/report';
import { writeResult } from './lib/results';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 2, 14, 9, 0, 0);

function gauss(rnd: RandomFn): number {
  // Box–Muller; 1 - u keeps log() away from 0.
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/** Overload bump: 0 outside [a, b], rising fast and falling slowly inside. */
function bump(t: number, a: number, b: number): number {
  if (t < a || t > b) return 0;
  const u = (t - a) / (b - a);
  return Math.min(1, u * 6) * Math.pow(1 - u, 0.6);
}

function timeoutsSection(rnd: RandomFn): Report['sections'][number] {
  const step = 15_000;
  const n = (6 * HOUR) / step;
  const a = T0 + 90 * MIN;
  const b = T0 + 160 * MIN;
  const setAt = a + 3 * MIN;
  const off: Point[] = [];
  const on: Point[] = [];
  const timeout: Point[] = [];
  for (let i = 0; i < n; i++) {
    const t = T0 + i * step;
    const base = 120 + 18 * Math.sin(i / 90) + 10 * gauss(rnd);
    const load = bump(t, a, b);
    off.push([t, Math.max(40, base + 2100 * load + 90 * load * gauss(rnd))]);
    const relief = t < setAt ? 1 : Math.max(0.12, Math.exp(-(t - setAt) / (6 * MIN)));
    on.push([t, Math.max(40, base + 2100 * load * relief + 40 * load * gauss(rnd))]);
  }
  // AIMD: cut to 5 s at the first breach, then restore +5 s every 20 min once healthy.
  const steps: Array<[number, number]> = [
    [T0, 30_000],
    [setAt, 5_000],
    [b + 10 * MIN, 10_000],
    [b + 30 * MIN, 15_000],
    [b + 50 * MIN, 20_000],
    [b + 70 * MIN, 30_000],
  ];
  for (const [t, v] of steps) timeout.push([t, v / 1000]);
  timeout.push([T0 + 6 * HOUR - step, 30]);
  const markers: Marker[] = [
    {
      x: setAt,
      kind: 'set',
      label: 'query_timeout.set 5 s',
      detail: 'worker-07: p99 2,140 ms > 800 ms for 3 windows; queue depth 412',
    },
    {
      x: setAt + 12 * MIN,
      kind: 'outcome-improved',
      label: 'p99 recovered to 260 ms',
      detail: 'verified 12 min after the command',
    },
    { x: b + 10 * MIN, kind: 'set', label: 'query_timeout.set 10 s', detail: 'additive increase: healthy for 10 min' },
    { x: b + 30 * MIN, kind: 'set', label: 'query_timeout.set 15 s' },
    { x: b + 50 * MIN, kind: 'set', label: 'query_timeout.set 20 s' },
    { x: b + 70 * MIN, kind: 'revert', label: 'query_timeout.revert', detail: 'back to the configured 30 s' },
  ];
  const leases: Span[] = [];
  for (let t = setAt; t < b + 70 * MIN; t += 15 * MIN)
    leases.push({ start: t, end: Math.min(t + 15 * MIN, b + 70 * MIN), kind: 'lease', label: 'lease' });
  const latency: Chart = {
    title: 'Query latency p99, worker-07 — homeostat off vs on',
    yLabel: 'p99 latency (ms)',
    xType: 'time',
    series: [
      { name: 'off (replay without actions)', points: off, color: '#9AA3AD' },
      { name: 'on (adaptive timeouts)', points: on },
    ],
    thresholds: [{ name: 'SLO p99', value: 800, color: '#D55E00' }],
    markers,
    spans: [{ start: a, end: b, kind: 'incident', label: 'overload: batch job' }],
  };
  const setting: Chart = {
    title: 'Query timeout in force, worker-07',
    yLabel: 'timeout (s)',
    xType: 'time',
    series: [{ name: 'query timeout', points: timeout, style: 'step' }],
    markers,
    spans: leases,
    yMin: 0,
  };
  return {
    title: 'Adaptive query timeouts',
    description:
      'A batch job overloads worker-07 for 70 minutes. With homeostat on, the query timeout is cut to 5 s on the first breach of the p99 SLO, long queries are shed and the worker drains; the timeout is then restored additively, each step under a 15-minute lease.',
    table: {
      columns: ['worker-07, overload window', 'off', 'on'],
      rows: [
        ['p99 latency, peak (ms)', 2214, 812],
        ['minutes above SLO', 61, 4],
        ['queries shed (timeouts)', 0, 1873],
      ],
      compare: { baseline: 1, candidate: 2, better: ['lower', 'lower', 'neutral'] },
    },
    charts: [latency, setting],
  };
}

function herdSection(rnd: RandomFn): Report['sections'][number] {
  const step = 5_000;
  const start = T0 + 2 * HOUR;
  const n = (90 * MIN) / step;
  const outA = start + 30 * MIN;
  const outB = start + 36 * MIN;
  const setAt = outB + 40_000;
  const req: Point[] = [];
  const retriesOff: Point[] = [];
  const retriesOn: Point[] = [];
  for (let i = 0; i < n; i++) {
    const t = start + i * step;
    const r = 900 + 60 * Math.sin(i / 40) + 25 * gauss(rnd);
    req.push([t, r]);
    const storm = t >= outA ? Math.exp(-(t - outA) / (14 * MIN)) : 0;
    // Synchronised retries: spikes every 30 s (the clients' fixed backoff) while the storm lasts.
    const phase = ((t - outA) % 30_000) / 30_000;
    const spike = phase < 0.2 ? 1 : 0.15;
    retriesOff.push([t, Math.max(0, 12 + 4 * gauss(rnd) + 2600 * storm * spike)]);
    const jittered = t < setAt ? 2600 * storm * spike : 380 * storm;
    retriesOn.push([t, Math.max(0, 12 + 4 * gauss(rnd) + jittered)]);
  }
  const markers: Marker[] = [
    {
      x: outA + 2 * MIN,
      kind: 'shadow',
      label: 'retry_policy.set (shadow)',
      detail: 'would have pushed decorrelated jitter, base 200 ms, cap 20 s',
    },
    {
      x: outA + 4 * MIN,
      kind: 'blocked',
      label: 'retry_policy.set blocked',
      detail: 'guardrail: dependency outage in progress (circuit open) — retrying harder would not help',
    },
    {
      x: setAt,
      kind: 'set',
      label: 'retry_policy.set',
      detail: 'full jitter, base 200 ms, cap 20 s, retry budget 10%',
    },
    { x: setAt + 9 * MIN, kind: 'outcome-improved', label: 'retry ratio 0.41 → 0.06' },
    { x: setAt + 30 * MIN, kind: 'revert', label: 'retry_policy.revert', detail: 'calm for 20 min' },
  ];
  return {
    title: 'Herd control',
    description:
      'The payments dependency fails for six minutes. Clients retry on a fixed 30 s backoff, so retries arrive in synchronised waves. homeostat pushes capped exponential backoff with full jitter and a retry budget, flattening the waves.',
    table: {
      columns: ['checkout-api, 60 min after the outage', 'off', 'on'],
      rows: [
        ['peak retries / s', '2,611', '402'],
        ['retry ratio', 0.41, 0.06],
        ['requests / s', 902, 905],
      ],
      compare: { baseline: 1, candidate: 2, better: ['lower', 'lower', 'higher'] },
      notes: ['Retry ratio = retries ÷ first attempts over the hour after the outage.'],
    },
    charts: [
      {
        title: 'Retries per second, checkout-api',
        yLabel: 'retries / s',
        xType: 'time',
        series: [
          { name: 'off: fixed 30 s backoff', points: retriesOff, color: '#9AA3AD' },
          { name: 'on: full jitter + budget', points: retriesOn },
        ],
        markers,
        spans: [{ start: outA, end: outB, kind: 'outage', label: 'payments outage' }],
      },
      {
        title: 'Requests per second, checkout-api',
        yLabel: 'requests / s',
        xType: 'time',
        series: [{ name: 'requests', points: req, style: 'area', color: '#009E73' }],
      },
    ],
  };
}

function quotaSection(rnd: RandomFn): { section: Report['sections'][number]; big: Chart } {
  const step = 5 * MIN;
  const n = 18_050; // as many points as NAB's cpu_utilization_asg_misconfiguration.csv
  const start = Date.UTC(2014, 4, 14, 1, 15);
  const incidents: Span[] = [
    { start: start + 21 * DAY, end: start + 22.2 * DAY, kind: 'incident', label: 'labelled anomaly 1' },
    { start: start + 57 * DAY, end: start + 62 * DAY, kind: 'incident', label: 'labelled anomaly 2' },
  ];
  const load: Point[] = [];
  const tenants: Point[][] = [[], [], []];
  let drift = 0;
  for (let i = 0; i < n; i++) {
    const t = start + i * step;
    const day = ((t % DAY) / DAY) * 2 * Math.PI;
    drift = 0.98 * drift + 0.02 * gauss(rnd);
    let v = 0.45 + 0.18 * Math.sin(day - 1.2) + 0.05 * drift + 0.025 * gauss(rnd);
    if (rnd() < 0.002) v += 0.25 + 0.2 * rnd(); // isolated spikes: must survive decimation
    for (const w of incidents) if (t >= w.start && t <= w.end) v = Math.max(v, 0.9 + 0.05 * gauss(rnd));
    if (i === 9000) v = Number.NaN; // a collector gap
    load.push([t, Math.min(1, Math.max(0, v))]);
    tenants[0].push([t, 4e7 * (1 + 0.3 * Math.sin(day)) * Math.exp(0.2 * gauss(rnd))]);
    tenants[1].push([t, 3e6 * (1 + 0.5 * Math.sin(day - 2)) * Math.exp(0.3 * gauss(rnd))]);
    tenants[2].push([t, 1.5e5 * Math.exp(0.5 * gauss(rnd)) * (t >= incidents[1].start ? 40 : 1)]);
  }
  const markers: Marker[] = [
    {
      x: incidents[0].start + 25 * MIN,
      kind: 'set',
      label: 'quota.set tenant-c 2 MB/s',
      detail: 'cluster load 0.91 > high watermark 0.85; tenant-c at 3.4× its fair share',
    },
    {
      x: incidents[0].end + 40 * MIN,
      kind: 'revert',
      label: 'quota.revert tenant-c',
      detail: 'load 0.66 < low watermark 0.70 for 30 min',
    },
    {
      x: start + 38.4 * DAY,
      kind: 'set',
      label: 'quota.set tenant-b 8 MB/s',
      detail: 'spike 0.88 > 0.85 (unlabelled: candidate false positive)',
    },
    { x: start + 38.5 * DAY, kind: 'revert', label: 'quota.revert tenant-b' },
    { x: incidents[1].start + 15 * MIN, kind: 'set', label: 'quota.set tenant-c 2 MB/s' },
    {
      x: incidents[1].start + 3 * HOUR,
      kind: 'escalated',
      label: 'escalated to on-call',
      detail: 'load still above high watermark 3 h after the quota; outcome: unchanged',
    },
  ];
  const big: Chart = {
    title: 'Cluster load (NAB-sized: 18,050 points at 5 min)',
    yLabel: 'load (fraction of capacity)',
    xType: 'time',
    series: [{ name: 'cluster load', points: load }],
    thresholds: [
      { name: 'high watermark', value: 0.85, color: '#D55E00' },
      { name: 'low watermark', value: 0.7, color: '#0072B2' },
    ],
    markers,
    spans: incidents,
    yMin: 0,
    yMax: 1,
  };
  const bytes: Chart = {
    title: 'Bytes in per tenant (log scale)',
    yLabel: 'bytes / s',
    xType: 'time',
    logY: true,
    series: tenants.map((points, i) => ({ name: `tenant-${'abc'[i]}`, points })),
    spans: incidents,
  };
  return {
    big,
    section: {
      title: 'Watermark quotas on labelled data',
      description:
        'Two months of multitenant cluster load shaped like the NAB "asg misconfiguration" series, with two labelled anomaly windows. Quotas are set above the high watermark on tenants over their fair share and released below the low watermark.',
      table: scoringTable({
        windows: 2,
        windowsActedOn: 2,
        meanDelayMs: 20 * MIN,
        meanLeadMs: 2.9 * DAY,
        actionsOutsideWindows: 2,
        actions: 6,
      }),
      charts: [big, bytes],
    },
  };
}

function sampleReport(seed: number): { report: Report; big: Chart } {
  const rnd = mulberry32(seed);
  const s1 = timeoutsSection(rnd);
  const s2 = herdSection(rnd);
  const { section: s3, big } = quotaSection(rnd);
  const report: Report = {
    title: 'homeostat — does the automation help? (sample)',
    generatedFrom: 'bench/report-sample.ts (seeded fake data, seed 42)',
    summary: {
      columns: ['Scenario', 'Metric', 'homeostat off', 'homeostat on'],
      rows: [
        ['Adaptive timeouts', 'minutes above p99 SLO', 61, 4],
        ['Adaptive timeouts', 'queries failed', 412, 1873],
        ['Herd control', 'peak retries / s', 2611, 402],
        ['Herd control', 'requests served / s', 902, 905],
        ['Watermark quotas', 'hours above high watermark', 131.5, 118.2],
        ['Watermark quotas', 'tenants throttled (max at once)', 0, 1],
      ],
      compare: { baseline: 2, candidate: 3, better: ['lower', 'lower', 'lower', 'higher', 'lower', 'neutral'] },
      notes: [
        '"off" is a replay of the same input with actions suppressed; "on" is the closed-loop simulation with all three policies enforcing.',
        'Queries failed rises with homeostat on: shed long queries are the price of keeping p99 inside the SLO.',
      ],
    },
    sections: [s1, s2, s3],
  };
  return { report, big };
}

function time(fn: () => unknown, reps: number): number {
  fn(); // warm-up
  const t = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t) / reps;
}

async function main(): Promise<void> {
  const root = join(__dirname, '..');
  const { report, big } = sampleReport(42);
  const out = join(root, 'out', 'sample-report.html');
  const bytes = await writeReport(out, report);
  const again = renderReport(sampleReport(42).report);
  const deterministic = again === renderReport(report);

  const bigReport: Report = { title: 'big', generatedFrom: 'bench', sections: [{ title: 'big', charts: [big] }] };
  const bigBytes = Buffer.byteLength(renderReport(bigReport), 'utf8');
  const bigPoints = big.series[0].points.length;

  const reps = 10;
  const baselineMs = time(() => JSON.stringify(report), reps);
  const renderMs = time(() => renderReport(report), reps);
  const result = {
    benchmark: 'report-sample',
    output: 'out/sample-report.html',
    reportBytes: bytes,
    deterministic,
    charts: report.sections.reduce((n, s) => n + s.charts.length, 0),
    inputPoints: report.sections
      .flatMap((s) => s.charts)
      .flatMap((c) => c.series)
      .reduce((n, s) => n + s.points.length, 0),
    jsonStringifyMs: Number(baselineMs.toFixed(2)),
    renderMs: Number(renderMs.toFixed(2)),
    renderVsJsonRatio: Number((renderMs / baselineMs).toFixed(2)),
    bigSeries: {
      points: bigPoints,
      reportBytes: bigBytes,
      bytesPerInputPoint: Number((bigBytes / bigPoints).toFixed(2)),
      jsonBytes: JSON.stringify(big).length,
    },
  };
  console.log(`wrote ${out} (${(bytes / 1024).toFixed(1)} KiB, deterministic: ${deterministic})`);
  console.log(
    `render ${result.renderMs} ms vs JSON.stringify ${result.jsonStringifyMs} ms → ratio ${result.renderVsJsonRatio}×`,
  );
  console.log(
    `one chart of ${bigPoints} points: ${(bigBytes / 1024).toFixed(1)} KiB page (model as JSON: ${(result.bigSeries.jsonBytes / 1024).toFixed(1)} KiB) → ${(bigBytes / result.bigSeries.jsonBytes).toFixed(2)}× of JSON`,
  );
  console.log(`wrote ${writeResult('report-sample', result)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
