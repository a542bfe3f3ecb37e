/**
 * bench/stage-two.ts --shards N: the sharded stage two (src/pipeline/sharded-decide.ts's
 * parts) with each decision shard in a worker thread (bench/lib/stage-two-shard-worker.ts)
 * and the arbiter — fleet-wide guardrails, verification — in the main thread; the shards
 * build, hash and sign their commands and decisions from the arbiter's verdicts, in parallel.
 * Timed per window as the single stage: buffering (every shard's gather.step of its finals)
 * and release → commands (from the marks that complete the window to the window's merged
 * commands, verification included). CPU is the whole process's (every
 * thread): Node 20 has no per-thread CPU clock.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Command } from '../src/model/command';
import type { WindowSignal } from '../src/model/signal';
import { createArbiter } from '../src/pipeline/arbiter';
import { mergeBuilt } from '../src/pipeline/shard-stage';
import type { DecideOutputs } from '../src/pipeline/decide';
import type { ShardWindow, WindowFrame } from '../src/pipeline/shard-stage';
import { hashShard, shardPlan } from '../src/pipeline/sharded-decide';
import { verifyWindow } from '../src/pipeline/verify-step';
import { setupOf } from '../src/policies/engine';
import { createVerifier } from '../src/verify';
import type { FromShard, ShardInit, ToShard, WireWindow } from './lib/stage-two-shard-worker';
import { benchEngineOptions, benchSigningKey, T0, WINDOW_MS } from './lib/stage-two-setup';

export interface ShardedWindowTiming {
  bufferMs: number;
  releaseMs: number;
  cpuMs: number;
  finals: number;
  commands: number;
  candidates: number;
  /** The arbiter's part of release → commands: judging and verification. */
  arbiterMs: number;
  /** Of which judging (merge of the candidates, chain and modes), without verification. */
  decideMs: number;
  /** The shards building, hashing and signing from the verdicts (in parallel), and the merge of their records. */
  buildMs: number;
}

interface Shard {
  worker: Worker;
  ask(m: ToShard): Promise<FromShard>;
}

function startShard(init: ShardInit): Shard {
  const worker = new Worker(path.join(__dirname, 'lib', 'stage-two-shard-worker.ts'), {
    workerData: init,
    // The worker is TypeScript: tsx's CommonJS hook (the main thread's loader does not reach workers).
    execArgv: ['--require', 'tsx/cjs'],
    resourceLimits: { maxOldGenerationSizeMb: 12_288 },
  });
  let waiting: ((r: FromShard) => void) | null = null;
  worker.on('message', (r: FromShard) => waiting?.(r));
  worker.on('error', (err) => {
    throw err;
  });
  return {
    worker,
    ask: (m) =>
      new Promise<FromShard>((resolve) => {
        waiting = resolve;
        worker.postMessage(m);
      }),
  };
}

const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

/** Runs `windows` + 1 windows (the first warms up and is not returned) through N shard workers and the arbiter. */
export async function runSharded(
  series: number,
  shards: number,
  windows: number,
  partitions: number,
): Promise<{ timings: ShardedWindowTiming[]; maxRss: number }> {
  const signing = benchSigningKey();
  const opts = benchEngineOptions(signing);
  const setup = setupOf(opts);
  const plan = shardPlan(setup, shards, (key) => hashShard(key, shards));
  const arbiter = createArbiter(setup);
  const verifier = createVerifier({});
  let vstate = verifier.init();
  const workers = [...Array(shards).keys()].map((shard) => startShard({ series, partitions, shard, shards }));
  const all = (m: (i: number) => ToShard) => Promise.all(workers.map((w, i) => w.ask(m(i))));
  const timings: ShardedWindowTiming[] = [];
  let maxRss = 0;
  try {
    for (let w = 0; w <= windows; w++) {
      await all(() => ({ kind: 'generate', w }));
      const end = T0 + (w + 1) * WINDOW_MS;
      const frame: WindowFrame = {
        eventTime: end,
        windowMs: WINDOW_MS,
        batch: { windowStart: end - WINDOW_MS, windowEnd: end },
      };
      const c0 = process.cpuUsage();
      const b0 = process.hrtime.bigint();
      await all(() => ({ kind: 'buffer' }));
      const bufferMs = ms(b0);
      const r0 = process.hrtime.bigint();
      const pending = [...new Set(vstate.pending.map((v) => v.target))];
      const released = (await all(() => ({ kind: 'release', pending, frame }))) as Extract<
        FromShard,
        { kind: 'released' }
      >[];
      const a0 = process.hrtime.bigint();
      const windowsIn: ShardWindow[] = released.map((r) => hydrate(setup, r.window));
      const decided = arbiter.decide(frame, windowsIn);
      const decideMs = ms(a0);
      const b1 = process.hrtime.bigint();
      const settled = (await all((i) => ({ kind: 'settle', settlement: decided.settlements[i] }))) as Extract<
        FromShard,
        { kind: 'settled' }
      >[];
      const merged = mergeBuilt(
        settled.map((s, i) => ({
          commands: s.built.commands,
          decisions: [...windowsIn[i].decisions, ...s.built.decisions],
        })),
      );
      const buildMs = ms(b1);
      const v0 = process.hrtime.bigint();
      const out: DecideOutputs = { commands: [...merged.commands], decisions: merged.decisions, outcomes: [] };
      const reverts: Command[][] = workers.map(() => []);
      const verify: WindowSignal[] = released.flatMap((r) => r.verify);
      vstate = verifyWindow(
        verifier,
        vstate,
        { commands: merged.commands, signals: verify, eventTime: end },
        signing,
        out,
        (cmd) => reverts[plan.shardOfTarget(cmd.policy, cmd.target)].push(cmd),
      );
      const arbiterMs = decideMs + ms(v0);
      const releaseMs = ms(r0);
      const cpu = cpuMs(c0);
      await all((i) => ({ kind: 'revert', reverts: reverts[i] }));
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      const finals = released.reduce((s, r) => s + r.finals, 0);
      if (finals !== series) throw new Error(`window ${w}: released ${finals} finals, expected ${series}`);
      if (w === 0) continue;
      if (out.commands.length === 0) throw new Error(`window ${w}: no commands (the workload overloads 1% of series)`);
      const candidates = windowsIn.reduce((s, x) => s + x.candidates.length, 0);
      timings.push({
        bufferMs,
        releaseMs,
        cpuMs: cpu,
        finals,
        commands: out.commands.length,
        candidates,
        arbiterMs,
        decideMs,
        buildMs,
      });
    }
  } finally {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
  return { timings, maxRss };
}

/** A shard's window as the arbiter takes it: each candidate with its policy's entry again. */
function hydrate(setup: ReturnType<typeof setupOf>, w: WireWindow): ShardWindow {
  return {
    ...w,
    candidates: w.candidates.map(({ policy, cand, ...rest }) => {
      const entry = setup.byName.get(policy);
      if (entry === undefined) throw new Error(`candidate of unknown policy ${policy}`);
      return { ...rest, pc: { entry, cand } };
    }),
  };
}

export interface ShardedResult {
  series: number;
  shards: number;
  windows: number;
  finals: number;
  commands: number;
  /** Candidates the arbiter decided per window (mean): its load. */
  candidatesPerWindow: number;
  finalsPerSec: number;
  cpuFinalsPerSec: number;
  releaseMs: { p50: number; p99: number; max: number };
  /** The arbiter's own work: judging and verification (the shards' building not included). */
  arbiterMs: { p50: number; max: number };
  /** The arbiter judging alone (merge of the candidates, chain, modes), without verification. */
  arbiterDecideMs: { p50: number; max: number };
  /** The shards building, hashing and signing from the verdicts (in parallel), with the merge of their records. */
  shardBuildMs?: { p50: number; max: number };
  bufferMsPerWindow: number;
  /** The whole process (every thread), sampled after each window. */
  maxRssMiB: number;
  /** Where commands are built and signed: in the arbiter (earlier runs), or by the shards holding their targets. */
  signing: 'arbiter' | 'shards';
  /** Against N = 1 of the same size in the same run (release → commands p50: N = 1 over this). */
  vsOneShard?: { finalsPerSec: number; cpuFinalsPerSec: number; releaseP50Speedup: number };
}

const sortedOf = (xs: number[]) => xs.slice().sort((a, b) => a - b);
const r1 = (x: number) => Math.round(x * 10) / 10;
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(p * xs.length) - 1))];

export async function shardedChild(series: number, shards: number, windows: number, partitions: number): Promise<void> {
  const { timings: t, maxRss } = await runSharded(series, shards, windows, partitions);
  const release = sortedOf(t.map((x) => x.releaseMs));
  const arbiter = sortedOf(t.map((x) => x.arbiterMs));
  const deciding = sortedOf(t.map((x) => x.decideMs));
  const building = sortedOf(t.map((x) => x.buildMs));
  const finals = t.reduce((s, x) => s + x.finals, 0);
  const wall = t.reduce((s, x) => s + x.bufferMs + x.releaseMs, 0);
  const cpu = t.reduce((s, x) => s + x.cpuMs, 0);
  const result: ShardedResult = {
    series,
    shards,
    windows: t.length,
    finals,
    commands: t.reduce((s, x) => s + x.commands, 0),
    candidatesPerWindow: Math.round(t.reduce((s, x) => s + x.candidates, 0) / t.length),
    finalsPerSec: Math.round(finals / (wall / 1000)),
    cpuFinalsPerSec: Math.round(finals / (cpu / 1000)),
    releaseMs: { p50: r1(q(release, 0.5)), p99: r1(q(release, 0.99)), max: r1(release[release.length - 1]) },
    arbiterMs: { p50: r1(q(arbiter, 0.5)), max: r1(arbiter[arbiter.length - 1]) },
    arbiterDecideMs: { p50: r1(q(deciding, 0.5)), max: r1(deciding[deciding.length - 1]) },
    shardBuildMs: { p50: r1(q(building, 0.5)), max: r1(building[building.length - 1]) },
    bufferMsPerWindow: r1(t.reduce((s, x) => s + x.bufferMs, 0) / t.length),
    maxRssMiB: r1(maxRss / 2 ** 20),
    signing: 'shards',
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Each run with its ratios to the N = 1 run of the same size (when there is one). */
export function withRatios(runs: readonly ShardedResult[]): ShardedResult[] {
  const one = runs.find((r) => r.shards === 1);
  if (one === undefined) return [...runs];
  return runs.map((r) => ({
    ...r,
    vsOneShard: {
      finalsPerSec: Math.round((r.finalsPerSec / one.finalsPerSec) * 100) / 100,
      cpuFinalsPerSec: Math.round((r.cpuFinalsPerSec / one.cpuFinalsPerSec) * 100) / 100,
      releaseP50Speedup: Math.round((one.releaseMs.p50 / r.releaseMs.p50) * 100) / 100,
    },
  }));
}

export function describeSharded(r: ShardedResult): string {
  const vs = r.vsOneShard
    ? ` — vs 1 shard: ${r.vsOneShard.finalsPerSec}× finals/s, ${r.vsOneShard.cpuFinalsPerSec}× per CPU-s, release p50 ${r.vsOneShard.releaseP50Speedup}× faster`
    : '';
  return (
    `${String(r.series).padStart(8)} series, ${r.shards} shard(s): ${(r.finalsPerSec / 1e3).toFixed(0)}k finals/s wall ` +
    `(${(r.cpuFinalsPerSec / 1e3).toFixed(0)}k per CPU-second), release → commands p50 ${r.releaseMs.p50} ms, max ${r.releaseMs.max} ms ` +
    `(arbiter p50 ${r.arbiterMs.p50} ms, of which judging ${r.arbiterDecideMs.p50} ms, for ${r.candidatesPerWindow} candidates a window; shards building ${r.shardBuildMs?.p50 ?? '-'} ms); RSS ${r.maxRssMiB} MiB${vs}`
  );
}
