/**
 * Stage two alone (no broker): how many active series one stage-two process carries at
 * 10 s windows. Drives its pure core as the runner does (src/kafka/gather-driver.ts): gather
 * (src/pipeline/gather.ts: buffer finals by window, release complete windows in order, merge
 * scope partials) feeding the decision stage (src/pipeline/decide.ts: policies, guardrails,
 * signing, verification).
 *
 *   npx tsx bench/stage-two.ts [--series 10000,100000,1000000] [--windows 6] [--partitions 12] [--shards 1,2,4]
 *
 * Each size runs in a fresh child process (the parent re-executes itself with a large heap),
 * so that one size's garbage never counts in another's. Per window, stage one's output is
 * generated first (untimed): a final per series, on partition `series % partitions`, then a
 * mark per partition past the window's end + grace. Then, timed:
 *   - buffering: gather.step for every final (what stage two does while the window is open);
 *   - release → commands: from the step of the mark that completes the window until the
 *     decision stage has returned that window's commands — the processing part of the
 *     command latency after window close (the broker's reads and writes come on top).
 * One window in a hundred series is overloaded (queue depth above the policy's high
 * threshold, a different hundredth each window), so each window produces commands; the
 * policy is the adaptive timeout of bench/latency.ts with its permissive guardrails (lease
 * caps raised too), in enforce mode, commands signed (Ed25519) and verified as in `homeostat run`.
 *
 * Sustained finals/s = finals / (buffering + release time), wall and per CPU-second. Memory:
 * heapUsed and RSS after each window (max over the run). Baseline in the same child: sorting
 * the window's finals by key — the least a stage two that releases in a deterministic order
 * must do — so the ratio says how far the real work is from that floor.
 * --snapshot: after each window, what the Kafka driver does after every transaction — the
 * stage's state() (the policies' tables built from their working copies), its frames and their
 * chunks — timed apart from the figures above (wall and CPU), which then carry its garbage;
 * beside it, in the same process and alternating which goes first, the whole-JSON encoding
 * written before frames, and on the last window the way back (bench/lib/snapshot-measure.ts).
 * Writes bench/results/stage-two/<ISO time>.json (one file per run, every size in it).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { compareKeys } from '../src/core/series-key';
import type { WindowSignal } from '../src/model/signal';
import { emptyGatherOutputs } from '../src/pipeline/gather';
import { createDecisionStage, type DecideOutputs } from '../src/pipeline/decide';
import { createDecisionEngine } from '../src/policies';
import { createVerifier } from '../src/verify';
import { argFlag, argNumber, argString, quantile, round, writeResult } from './lib/results';
import { describeSharded, shardedChild, withRatios, type ShardedResult } from './stage-two-shards';
import { createSnapshotMeasure, type SnapshotFigures } from './lib/snapshot-measure';
import { benchEngineOptions, benchGather, benchSigningKey, WINDOW_MS, windowInputs } from './lib/stage-two-setup';

const SIZES = argString('series', '10000,100000,1000000').split(',').map(Number);
const WINDOWS = Math.floor(argNumber('windows', 6));
const PARTITIONS = Math.floor(argNumber('partitions', 12));
/** --shards 1,2,4: also the sharded stage two at each N (N = 1 is the baseline); empty: the single stage alone. */
const SHARDS = argString('shards', '').split(',').filter(Boolean).map(Number);
/** --snapshot: state() and its JSON after every window, as the Kafka driver's transactions take them. */
const SNAPSHOT = argFlag('snapshot');
/** The aim of issue #21: command p99 ≤ 1 s after window close. */
const AIM_MS = 1_000;

interface WindowTiming {
  bufferMs: number;
  releaseMs: number;
  commands: number;
}

interface ChildResult {
  series: number;
  windows: number;
  partitions: number;
  finals: number;
  commands: number;
  finalsPerSec: number;
  cpuFinalsPerSec: number;
  /** Release → commands per window, ms (all windows, then quantiles over them). */
  releaseMs: { p50: number; p99: number; max: number };
  bufferMsPerWindow: number;
  baselineSortMsPerWindow: number;
  ratioToSort: number;
  maxHeapMiB: number;
  maxRssMiB: number;
  /** --snapshot: per window, state(), frames and chunks, the whole-JSON encoding beside them, and the finals per CPU-second counting the first three. */
  snapshot?: SnapshotFigures & { cpuFinalsPerSecWithSnapshot: number };
}

function stage(partitions: number) {
  const gather = benchGather(partitions);
  const signing = benchSigningKey();
  const decide = createDecisionStage(createDecisionEngine(benchEngineOptions(signing)), {
    verifier: createVerifier({}),
    signing,
  });
  return { gather, decide };
}

const cpuMs = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

function child(series: number): void {
  const { gather, decide } = stage(PARTITIONS);
  const offset = { next: 0 };
  const out = emptyGatherOutputs();
  // Every partition's records read: only marks hold a window back.
  gather.step(
    { kind: 'offsets', high: Array<string>(PARTITIONS).fill('0'), committed: Array<string>(PARTITIONS).fill('0') },
    out,
  );
  const timings: WindowTiming[] = [];
  const sortMs: number[] = [];
  let cpu = 0;
  let finals = 0;
  let maxHeap = 0;
  let maxRss = 0;
  const snapshot = SNAPSHOT ? createSnapshotMeasure(() => decide.state()) : null;
  // Window 0 warms the JIT and fills the policies' state; it is not counted.
  for (let w = 0; w <= WINDOWS; w++) {
    const { finals: inputs, marks } = windowInputs(series, PARTITIONS, w, offset);
    const keys = inputs
      .map((x) => (x.kind === 'signal' ? x.signal : null))
      .filter((s): s is WindowSignal => s !== null);
    const s0 = process.hrtime.bigint();
    keys
      .slice()
      .reverse()
      .sort((a, b) => compareKeys(a.key, b.key));
    const sorted = Number(process.hrtime.bigint() - s0) / 1e6;

    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const input of inputs) gather.step(input, out);
    const t1 = process.hrtime.bigint();
    for (let p = 0; p < PARTITIONS - 1; p++) gather.step(marks[p], out);
    // The last mark completes the window: release → commands starts here.
    const r0 = process.hrtime.bigint();
    gather.step(marks[PARTITIONS - 1], out);
    const released = out.finals.length;
    const decided: DecideOutputs = { commands: [], decisions: [], outcomes: [] };
    decide.onFinals(out.finals, decided);
    const r1 = process.hrtime.bigint();
    const used = cpuMs(c0);
    if (released !== series) throw new Error(`window ${w}: released ${released} finals, expected ${series}`);
    out.finals.length = 0;
    out.published.length = 0;
    snapshot?.take(w > 0, w);
    const mem = process.memoryUsage();
    if (w === 0) continue;
    if (decided.commands.length === 0)
      throw new Error(`window ${w}: no commands (the workload overloads 1% of series)`);
    timings.push({
      bufferMs: Number(t1 - t0) / 1e6,
      releaseMs: Number(r1 - r0) / 1e6,
      commands: decided.commands.length,
    });
    sortMs.push(sorted);
    cpu += used;
    finals += released;
    maxHeap = Math.max(maxHeap, mem.heapUsed);
    maxRss = Math.max(maxRss, mem.rss);
  }
  const release = timings.map((t) => t.releaseMs).sort((a, b) => a - b);
  const wall = timings.reduce((s, t) => s + t.bufferMs + t.releaseMs, 0);
  const bufferMs = timings.reduce((s, t) => s + t.bufferMs, 0) / timings.length;
  const sortAvg = sortMs.reduce((s, x) => s + x, 0) / sortMs.length;
  const result: ChildResult = {
    series,
    windows: timings.length,
    partitions: PARTITIONS,
    finals,
    commands: timings.reduce((s, t) => s + t.commands, 0),
    finalsPerSec: Math.round(finals / (wall / 1000)),
    cpuFinalsPerSec: Math.round(finals / (cpu / 1000)),
    releaseMs: {
      p50: round(quantile(release, 0.5), 1),
      p99: round(quantile(release, 0.99), 1),
      max: round(release[release.length - 1], 1),
    },
    bufferMsPerWindow: round(bufferMs, 1),
    baselineSortMsPerWindow: round(sortAvg, 1),
    ratioToSort: round(wall / timings.length / sortAvg, 2),
    maxHeapMiB: round(maxHeap / 2 ** 20, 1),
    maxRssMiB: round(maxRss / 2 ** 20, 1),
    ...(snapshot ? { snapshot: withCpu(snapshot.figures(), finals, cpu, timings.length) } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The snapshot's figures with the finals per CPU-second counting state(), frames and chunks. */
function withCpu(f: SnapshotFigures, finals: number, cpu: number, windows: number): ChildResult['snapshot'] {
  return { ...f, cpuFinalsPerSecWithSnapshot: Math.round(finals / ((cpu + f.cpuMsPerWindow * windows) / 1000)) };
}

/** Runs one size in a fresh child process (a large heap; the sharded stage with `shards` > 0). */
function spawnChild<T>(series: number, shards: number): T {
  const args = [
    '--max-old-space-size=12288',
    ...process.execArgv,
    process.argv[1],
    '--child',
    String(series),
    '--windows',
    String(WINDOWS),
    '--partitions',
    String(PARTITIONS),
    ...(SNAPSHOT ? ['--snapshot'] : []),
    ...(shards > 0 ? ['--shard-count', String(shards)] : []),
  ];
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0)
    throw new Error(`the ${series}-series child (${shards} shards) failed (exit ${String(r.status)})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

function describeSnapshot(s: NonNullable<ChildResult['snapshot']>): string {
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  const changed = Object.entries(s.changedShare)
    .map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`)
    .join(', ');
  return (
    `          snapshot after each window: state() ${s.stateMsPerWindow} ms; frames ${s.frames.encodeMsPerWindow} ms ` +
    `(${mib(s.frames.inflatedBytes)} MiB → ${mib(s.frames.bytes)} MiB gzip, ${s.frames.chunks} chunks, chunking ${s.frames.chunkMsPerWindow} ms) ` +
    `against whole JSON + gzip ${s.wholeJson.encodeMsPerWindow} ms (${mib(s.wholeJson.jsonBytes)} MiB → ${mib(s.wholeJson.gzipBytes)} MiB): ${s.encodeRatio}×; ` +
    `read back: frames ${s.frames.decodeMs} ms (round trip ${s.frames.roundTrip ? 'identical' : 'DIFFERS'}), whole JSON ${s.wholeJson.decodeMs} ms; ` +
    `entries changed a window: ${changed}; ${(s.cpuFinalsPerSecWithSnapshot / 1e3).toFixed(0)}k finals per CPU-second counting the snapshot`
  );
}

function parent(): void {
  const results: ChildResult[] = [];
  const sharded: ShardedResult[] = [];
  for (const series of SIZES) {
    const res = spawnChild<ChildResult>(series, 0);
    results.push(res);
    console.log(
      `${String(series).padStart(8)} series: ${(res.finalsPerSec / 1e3).toFixed(0)}k finals/s wall (${(res.cpuFinalsPerSec / 1e3).toFixed(0)}k per CPU-second), ` +
        `release → commands p50 ${res.releaseMs.p50} ms, max ${res.releaseMs.max} ms over ${res.windows} windows (${res.commands} commands); ` +
        `buffering ${res.bufferMsPerWindow} ms/window; ${res.ratioToSort}× a key sort of the window; heap ≤ ${res.maxHeapMiB} MiB, RSS ≤ ${res.maxRssMiB} MiB`,
    );
    if (res.snapshot) console.log(describeSnapshot(res.snapshot));
    const runs = SHARDS.map((n) => spawnChild<ShardedResult>(series, n));
    for (const r of withRatios(runs)) {
      sharded.push(r);
      console.log(describeSharded(r));
    }
  }
  // The ceiling: the largest size whose every window went from release to commands within the aim.
  const within = results.filter((r) => r.releaseMs.max <= AIM_MS).map((r) => r.series);
  const file = writeResult('stage-two', {
    windowMs: WINDOW_MS,
    definition:
      'per window: buffering = gather.step of every final; release → commands = from the completing mark to the decision stage returning the commands; no broker',
    baseline: 'sorting the window finals by key (same child)',
    aimMs: AIM_MS,
    results,
    ...(SHARDS.length > 0
      ? {
          sharded,
          shardedDefinition:
            'each decision shard in a worker thread (its own gather and DecisionShard), the arbiter (fleet-wide guardrails, verification) in the main thread, the shards building and signing from its verdicts; ' +
            'CPU = the whole process (all threads); ratios against N = 1 of the same size in the same run',
          cores: os.cpus().length,
        }
      : {}),
    largestWithinAim: within.length > 0 ? Math.max(...within) : null,
  });
  console.log(
    `largest size with every window's release → commands ≤ ${AIM_MS} ms: ${within.length > 0 ? Math.max(...within) : 'none'}\nwrote ${file}`,
  );
}

if (argFlag('child')) {
  const i = process.argv.indexOf('--child');
  const n = argFlag('shard-count') ? argNumber('shard-count', 1) : 0;
  if (n > 0) void shardedChild(Number(process.argv[i + 1]), n, WINDOWS, PARTITIONS);
  else child(Number(process.argv[i + 1]));
} else {
  parent();
}
