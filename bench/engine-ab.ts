/**
 * The engine of this tree against the engine of another checkout (e.g. the branch point),
 * alternated in one process on the same records: on a shared machine the load moves by 2×
 * between separate runs a minute apart, and a pair of runs back to back in one process sees
 * nearly the same load, so the ratio within each pair is what this bench reports.
 *
 *   git worktree add --detach /tmp/base <commit>   (and link its node_modules to this tree's)
 *   npx tsx bench/engine-ab.ts --base /tmp/base [--hop] [--n 1000000] [--rounds 12]
 *
 * Each round feeds N records (bench/lib/engine-source.ts, 10k series) through a fresh engine
 * of each tree plus a final flush, in the order base, this tree, then this tree, base in the
 * next round, and so on; CPU time of the process (user + system) while the engine steps,
 * record generation excluded. Both engines first take a 200k-record warm-up. Reports each
 * tree's CPU ms per round, and per pair the ratio base CPU / this tree's CPU (> 1: this tree
 * is cheaper); the figure is the median pair ratio. Also checks that both emit the same
 * number of outputs. Writes bench/results/engine-ab/<ISO time>.json.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createEngine, type Engine, type EngineConfigInput } from '../src/core';
import { feedEngine, HOPPING } from './lib/engine-source';
import { argFlag, argNumber, argString, quantile, writeResult } from './lib/results';

type CreateEngine = (config?: EngineConfigInput) => Engine;

const N = argNumber('n', 1_000_000);
const ROUNDS = argNumber('rounds', 12);
const SERIES = 10_000;
const HOP = argFlag('hop');

/** CPU ms and outputs of one engine fed N records (generation excluded). */
function runOnce(create: CreateEngine, n: number): { cpuMs: number; outputs: number } {
  return feedEngine(create(HOP ? HOPPING : {}), n, SERIES);
}

function commitOf(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function main(): void {
  const baseDir = resolve(argString('base', ''));
  if (argString('base', '') === '') throw new Error('--base <checkout> is required (the tree to compare against)');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const base = (require(join(baseDir, 'src', 'core')) as { createEngine: CreateEngine }).createEngine;
  runOnce(base, 200_000);
  runOnce(createEngine, 200_000);
  const baseMs: number[] = [];
  const thisMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? [base, createEngine] : [createEngine, base];
    const runs = order.map((create) => runOnce(create, N));
    const [b, t] = r % 2 === 0 ? runs : [runs[1], runs[0]];
    if (b.outputs !== t.outputs) throw new Error(`outputs differ: base ${b.outputs}, this tree ${t.outputs}`);
    baseMs.push(b.cpuMs);
    thisMs.push(t.cpuMs);
  }
  const ratios = baseMs.map((b, i) => b / thisMs[i]).sort((a, b) => a - b);
  const perCpuSec = (ms: number): number => Math.round(N / (ms / 1000));
  const result = {
    windows: HOP ? 'hopping 10s/2s' : 'tumbling 10s',
    n: N,
    series: SERIES,
    rounds: ROUNDS,
    baseCommit: commitOf(baseDir),
    baseCpuMs: baseMs.map((x) => Math.round(x)),
    cpuMs: thisMs.map((x) => Math.round(x)),
    baseBestPerCpuSec: perCpuSec(Math.min(...baseMs)),
    bestPerCpuSec: perCpuSec(Math.min(...thisMs)),
    pairRatios: ratios.map((x) => Number(x.toFixed(3))),
    medianPairRatio: Number(quantile(ratios, 0.5).toFixed(3)),
  };
  console.log(
    `${result.windows}, ${N} records × ${ROUNDS} rounds: median pair ratio base CPU / this tree's ${result.medianPairRatio} ` +
      `(pairs ${result.pairRatios.join(' ')}); best ${(result.bestPerCpuSec / 1e6).toFixed(2)}M per CPU-second ` +
      `against ${(result.baseBestPerCpuSec / 1e6).toFixed(2)}M`,
  );
  console.log(`wrote ${writeResult('engine-ab', result)}`);
}

main();
