/**
 * The engine under two sets of node flags (e.g. V8's young generation size), alternated in
 * child processes: a flag such as `--max-semi-space-size` is fixed when a process starts, so
 * the two sides cannot share one process as in bench/engine-ab.ts; pairs of children run back
 * to back instead, in the order A, B, then B, A, and the figure is the median of the per-pair
 * CPU ratios (a pair sees nearly the same load on a shared machine).
 *
 *   npx tsx bench/engine-flags.ts --flags '--max-semi-space-size=64' [--base-flags ''] [--hop]
 *                                 [--n 1000000] [--rounds 10]
 *
 * Each child feeds a 200k-record warm-up and then N records (bench/lib/engine-source.ts, 10k
 * series) through a fresh engine plus a final flush, and reports the CPU time (user + system)
 * of the timed run, record generation excluded, and its outputs. Ratio per pair: base CPU /
 * flagged CPU (> 1: the flags make the engine cheaper). Writes bench/results/engine-flags/<ISO time>.json.
 */
import { execFileSync } from 'node:child_process';
import { createEngine } from '../src/core';
import { feedEngine, HOPPING } from './lib/engine-source';
import { argFlag, argNumber, argString, maxSemiSpaceMB, quantile, writeResult } from './lib/results';

const N = argNumber('n', 1_000_000);
const ROUNDS = argNumber('rounds', 10);
const HOP = argFlag('hop');
const FLAGS = argString('flags', '');
const BASE_FLAGS = argString('base-flags', '');

interface ChildRun {
  cpuMs: number;
  outputs: number;
  maxSemiSpaceMB: number | null;
}

/** CPU ms and outputs of one engine fed n records (generation excluded). */
function runOnce(n: number): { cpuMs: number; outputs: number } {
  return feedEngine(createEngine(HOP ? HOPPING : {}), n, 10_000);
}

function child(): void {
  runOnce(200_000);
  const run: ChildRun = { ...runOnce(N), maxSemiSpaceMB: maxSemiSpaceMB() };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

function spawnRun(flags: string): ChildRun {
  const args = [...flags.split(/\s+/).filter((f) => f !== ''), '--import', 'tsx', process.argv[1], '--child'];
  args.push('--n', String(N), ...(HOP ? ['--hop'] : []));
  const text = execFileSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(text.trim().split('\n').pop() as string) as ChildRun;
}

function main(): void {
  const base: ChildRun[] = [];
  const flagged: ChildRun[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const baseFirst = r % 2 === 0;
    const first = spawnRun(baseFirst ? BASE_FLAGS : FLAGS);
    const second = spawnRun(baseFirst ? FLAGS : BASE_FLAGS);
    const [b, f] = baseFirst ? [first, second] : [second, first];
    if (b.outputs !== f.outputs) throw new Error(`outputs differ: base ${b.outputs}, flagged ${f.outputs}`);
    base.push(b);
    flagged.push(f);
    console.log(`round ${r + 1}: base ${b.cpuMs.toFixed(0)} ms, flagged ${f.cpuMs.toFixed(0)} ms`);
  }
  const ratios = base.map((b, i) => b.cpuMs / flagged[i].cpuMs).sort((a, b) => a - b);
  const perCpuSec = (runs: ChildRun[]): number => Math.round(N / (Math.min(...runs.map((x) => x.cpuMs)) / 1000));
  const result = {
    windows: HOP ? 'hopping 10s/2s' : 'tumbling 10s',
    n: N,
    series: 10_000,
    rounds: ROUNDS,
    baseFlags: BASE_FLAGS,
    flags: FLAGS,
    baseMaxSemiSpaceMB: base[0]?.maxSemiSpaceMB ?? null,
    flaggedMaxSemiSpaceMB: flagged[0]?.maxSemiSpaceMB ?? null,
    baseCpuMs: base.map((x) => Math.round(x.cpuMs)),
    cpuMs: flagged.map((x) => Math.round(x.cpuMs)),
    baseBestPerCpuSec: perCpuSec(base),
    bestPerCpuSec: perCpuSec(flagged),
    pairRatios: ratios.map((x) => Number(x.toFixed(3))),
    medianPairRatio: Number(quantile(ratios, 0.5).toFixed(3)),
  };
  console.log(
    `${result.windows}, ${N} records × ${ROUNDS} pairs, flags '${FLAGS}' against '${BASE_FLAGS}': median pair ratio ` +
      `${result.medianPairRatio} (pairs ${result.pairRatios.join(' ')}); best ${(result.bestPerCpuSec / 1e6).toFixed(2)}M ` +
      `per CPU-second against ${(result.baseBestPerCpuSec / 1e6).toFixed(2)}M`,
  );
  console.log(`wrote ${writeResult('engine-flags', result)}`);
}

if (argFlag('child')) child();
else main();
