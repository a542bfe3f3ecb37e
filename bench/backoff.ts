/**
 * Reproduces the simulation of Marc Brooker, "Exponential Backoff And Jitter" (AWS
 * Architecture Blog, 2015, https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/;
 * simulator https://github.com/aws-samples/aws-arch-backoff-simulator): N clients contend
 * on one optimistic-concurrency row (read, then conditional write), network delay
 * |N(10 ms, 2 ms)|, backoff base 5 ms, cap 2000 ms, 100 runs per point.
 *
 * Reports, per strategy and client count, the mean number of calls (conditional writes,
 * the blog's "work") and the mean time until every client has written, each also as a
 * ratio to plain exponential backoff without jitter (`none`) at the same client count —
 * the baseline measured in the same run. `immediate` (no backoff) is the original's
 * "None" reference. Results go to bench/results/backoff/<ISO time>.json.
 *
 * Run: npx tsx bench/backoff.ts [--runs 100] [--seed 2015]
 * Deterministic: the same seed and runs give the same figures on any machine.
 */
import { sweepContention, type ContentionStrategy, type ContentionSweepPoint } from '../src/client/contention-sim';
import { writeResult } from './lib/results';

const STRATEGIES: readonly ContentionStrategy[] = ['none', 'full', 'equal', 'decorrelated', 'immediate'];
const BASELINE: ContentionStrategy = 'none';
const CLIENT_COUNTS: readonly number[] = [10, 15, 20, 25, 30, 35, 40, 45, 50];

function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`--${name} must be a positive integer, got ${process.argv[i + 1]}`);
  }
  return value;
}

interface Row extends ContentionSweepPoint {
  callsRatio: number;
  timeRatio: number;
}

function withRatios(points: readonly ContentionSweepPoint[]): Row[] {
  return points.map((p) => {
    const base = points.find((b) => b.clients === p.clients && b.strategy === BASELINE);
    if (base === undefined) throw new Error(`baseline ${BASELINE} missing at ${p.clients} clients`);
    return { ...p, callsRatio: p.meanCalls / base.meanCalls, timeRatio: p.meanCompletionMs / base.meanCompletionMs };
  });
}

/** The blog's qualitative findings, checked on every point so a regression is visible. */
function expectations(rows: readonly Row[]): { name: string; holds: boolean; detail: string }[] {
  const at = (s: ContentionStrategy, n: number): Row => rows.find((r) => r.strategy === s && r.clients === n) as Row;
  const every = (pred: (n: number) => boolean): boolean => CLIENT_COUNTS.every(pred);
  const worstJitter = (n: number): number =>
    Math.max(...(['full', 'equal', 'decorrelated'] as const).map((s) => at(s, n).meanCalls));
  return [
    {
      name: 'full jitter makes fewer calls than no jitter at every client count',
      holds: every((n) => at('full', n).meanCalls < at('none', n).meanCalls),
      detail: CLIENT_COUNTS.map((n) => `${n}: ${at('full', n).callsRatio.toFixed(2)}`).join(', '),
    },
    {
      name: 'no jitter makes the most calls of the backoff strategies at every client count',
      holds: every((n) => at('none', n).meanCalls > worstJitter(n)),
      detail: CLIENT_COUNTS.map(
        (n) => `${n}: none ${at('none', n).meanCalls.toFixed(0)} vs max jitter ${worstJitter(n).toFixed(0)}`,
      ).join(', '),
    },
    {
      name: 'equal and decorrelated make at most 1.25x the calls of full jitter at every client count',
      holds: every(
        (n) =>
          at('equal', n).meanCalls <= 1.25 * at('full', n).meanCalls &&
          at('decorrelated', n).meanCalls <= 1.25 * at('full', n).meanCalls,
      ),
      detail: CLIENT_COUNTS.map(
        (n) =>
          `${n}: equal ${(at('equal', n).meanCalls / at('full', n).meanCalls).toFixed(2)}, decorr ${(at('decorrelated', n).meanCalls / at('full', n).meanCalls).toFixed(2)}`,
      ).join('; '),
    },
  ];
}

function table(rows: readonly Row[]): string {
  const header = ['clients', ...STRATEGIES.map((s) => `${s} calls (x)`), ...STRATEGIES.map((s) => `${s} ms (x)`)];
  const lines = CLIENT_COUNTS.map((n) => {
    const r = (s: ContentionStrategy): Row => rows.find((x) => x.strategy === s && x.clients === n) as Row;
    return [
      String(n),
      ...STRATEGIES.map((s) => `${r(s).meanCalls.toFixed(1)} (${r(s).callsRatio.toFixed(2)})`),
      ...STRATEGIES.map((s) => `${r(s).meanCompletionMs.toFixed(0)} (${r(s).timeRatio.toFixed(2)})`),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [fmt(header), ...lines.map(fmt)].join('\n');
}

function main(): void {
  const runs = argNumber('runs', 100);
  const seed = argNumber('seed', 2015);
  const started = process.hrtime.bigint();
  const points = sweepContention({ strategies: STRATEGIES, clientCounts: CLIENT_COUNTS, runs, seed });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const rows = withRatios(points);
  const checks = expectations(rows);

  console.log(`Exponential backoff and jitter (Brooker 2015): OCC contention, ${runs} runs/point, seed ${seed}`);
  console.log(`mean calls (conditional writes) and mean completion time; (x) = ratio to '${BASELINE}' (no jitter)\n`);
  console.log(table(rows));
  console.log('');
  for (const c of checks) console.log(`${c.holds ? 'PASS' : 'FAIL'}  ${c.name}\n      ${c.detail}`);
  console.log(`\nsimulated ${STRATEGIES.length * CLIENT_COUNTS.length * runs} runs in ${wallMs.toFixed(0)} ms`);

  const out = {
    benchmark: 'backoff',
    source: {
      paper: 'https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/',
      simulator: 'https://github.com/aws-samples/aws-arch-backoff-simulator',
    },
    model: { baseMs: 5, capMs: 2000, netDelayMs: '|N(10, 2)|', calls: 'conditional writes (reads are as many again)' },
    seed,
    runs,
    clientCounts: CLIENT_COUNTS,
    strategies: STRATEGIES,
    baseline: BASELINE,
    results: rows,
    expectations: checks,
    wallMs: Math.round(wallMs),
    node: process.version,
  };
  console.log(`wrote ${writeResult('backoff', out)}`);
  if (checks.some((c) => !c.holds)) process.exitCode = 1;
}

main();
