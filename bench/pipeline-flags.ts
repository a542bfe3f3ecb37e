/**
 * The pipeline bench under two sets of node flags (e.g. V8's young generation size), alternated
 * in child processes, as bench/engine-flags.ts does for the engine: a flag such as
 * `--max-semi-space-size` is fixed when a process starts, so pairs of children run back to back
 * instead, in the order A, B, then B, A, and each figure is the median of the per-pair ratios (a
 * pair sees nearly the same load on a shared machine).
 *
 *   npx tsx bench/pipeline.ts --format avro --keep --only pipeline     # prints the kept topic
 *   npx tsx bench/pipeline-flags.ts --topic <kept topic> --format avro --flags '--max-semi-space-size=64'
 *                                   [--base-flags ''] [--rounds 3]
 *
 * Each child is `bench/pipeline.ts --topic <kept topic>` under its flags: the raw consumer, raw +
 * decode and the pipeline on the same records, each phase's events per CPU-second and garbage
 * collection. Per pair: flagged / base events per CPU-second of the pipeline and of raw + decode
 * (> 1: the flags make it cheaper), and the pipeline over raw + decode per CPU-second on each side
 * (the aim's ratio). Writes bench/results/pipeline-flags/<ISO time>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GcFigures } from './lib/gc';
import { argNumber, argString, quantile, round, writeResult } from './lib/results';

const ROUNDS = argNumber('rounds', 3);
const FLAGS = argString('flags', '');
const BASE_FLAGS = argString('base-flags', '');
const TOPIC = argString('topic', '');
const FORMAT = argString('format', 'avro');

interface PhaseFigures {
  eventsPerCpuSec: number;
  gc: GcFigures;
}

interface ChildRun {
  maxSemiSpaceMB: number | null;
  /** Peak resident memory of the child (bench/pipeline.ts's whole run). */
  maxRssMB: number;
  decode: PhaseFigures;
  pipeline: PhaseFigures;
  /** The pipeline over raw + decode, both per CPU-second. */
  ratio: number;
}

function spawnRun(flags: string, dir: string, i: number): ChildRun {
  const out = join(dir, `run-${i}.json`);
  const script = join(__dirname, 'pipeline.ts');
  const args = [...flags.split(/\s+/).filter((f) => f !== ''), '--import', 'tsx', script];
  args.push('--topic', TOPIC, '--format', FORMAT, '--json-out', out);
  execFileSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } });
  const run = JSON.parse(readFileSync(out, 'utf8')) as {
    maxSemiSpaceMB: number | null;
    maxRssMB: number;
    results: { decode: PhaseFigures; pipeline: PhaseFigures }[];
  };
  const { decode, pipeline } = run.results[0];
  const pick = (p: PhaseFigures): PhaseFigures => ({ eventsPerCpuSec: p.eventsPerCpuSec, gc: p.gc });
  return {
    maxSemiSpaceMB: run.maxSemiSpaceMB,
    maxRssMB: run.maxRssMB,
    decode: pick(decode),
    pipeline: pick(pipeline),
    ratio: round(pipeline.eventsPerCpuSec / decode.eventsPerCpuSec, 3),
  };
}

const median = (xs: number[]): number =>
  round(
    quantile(
      [...xs].sort((a, b) => a - b),
      0.5,
    ),
    3,
  );

function main(): void {
  if (TOPIC === '') throw new Error('--topic <kept telemetry topic> is required (bench/pipeline.ts --keep makes one)');
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-flags-'));
  const base: ChildRun[] = [];
  const flagged: ChildRun[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const baseFirst = r % 2 === 0;
      const first = spawnRun(baseFirst ? BASE_FLAGS : FLAGS, dir, 2 * r);
      const second = spawnRun(baseFirst ? FLAGS : BASE_FLAGS, dir, 2 * r + 1);
      const [b, f] = baseFirst ? [first, second] : [second, first];
      base.push(b);
      flagged.push(f);
      console.log(
        `round ${r + 1}: pipeline per CPU-s base ${b.pipeline.eventsPerCpuSec}, flagged ${f.pipeline.eventsPerCpuSec}; ` +
          `over raw + decode ${b.ratio} / ${f.ratio}; pipeline scavenges ${b.pipeline.gc.scavenges} (${b.pipeline.gc.scavengeMs} ms) / ` +
          `${f.pipeline.gc.scavenges} (${f.pipeline.gc.scavengeMs} ms); peak RSS ${b.maxRssMB} / ${f.maxRssMB} MB`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pairs = (pick: (c: ChildRun) => number): number[] => base.map((b, i) => round(pick(flagged[i]) / pick(b), 3));
  const pipelinePairs = pairs((c) => c.pipeline.eventsPerCpuSec);
  const decodePairs = pairs((c) => c.decode.eventsPerCpuSec);
  const result = {
    format: FORMAT,
    topic: TOPIC,
    rounds: ROUNDS,
    baseFlags: BASE_FLAGS,
    flags: FLAGS,
    baseMaxSemiSpaceMB: base[0]?.maxSemiSpaceMB ?? null,
    flaggedMaxSemiSpaceMB: flagged[0]?.maxSemiSpaceMB ?? null,
    statistic: 'per pair: flagged / base events per CPU-second (> 1: the flags make it cheaper); medians over pairs',
    base,
    flagged,
    pipelinePairRatios: pipelinePairs,
    medianPipelinePairRatio: median(pipelinePairs),
    decodePairRatios: decodePairs,
    medianDecodePairRatio: median(decodePairs),
    medianRatioVsDecodeBase: median(base.map((b) => b.ratio)),
    medianRatioVsDecodeFlagged: median(flagged.map((f) => f.ratio)),
  };
  console.log(
    `${FORMAT}, ${ROUNDS} pairs, flags '${FLAGS}' against '${BASE_FLAGS}': pipeline per CPU-second ×${result.medianPipelinePairRatio} ` +
      `(pairs ${pipelinePairs.join(' ')}), raw + decode ×${result.medianDecodePairRatio}; pipeline / raw + decode per CPU-second ` +
      `${result.medianRatioVsDecodeBase} base, ${result.medianRatioVsDecodeFlagged} flagged`,
  );
  console.log(`wrote ${writeResult('pipeline-flags', result)}`);
}

main();
