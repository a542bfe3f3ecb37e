/**
 * The arbiter of the split stage two on Kafka (runner.decisionShards; src/pipeline/split-*.ts)
 * alone, in one process: D decision shards and the arbiter driven through their JSON messages
 * as their drivers drive them, without Kafka, at a window of many candidates (issue #21,
 * item 3: the arbiter is the part that cannot be split, so its cost a window is the ceiling).
 *
 *   npx tsx bench/split-arbiter.ts [--series 100000] [--overloaded-every 10] [--shards 2] [--windows 4] [--label '<code>']
 *   node --expose-gc --import tsx bench/split-arbiter.ts … --collect-between [--repeat 10]
 *
 * Every `overloaded-every`-th series is overloaded in a window (a different tenth each
 * window), so the adaptive timeout of bench/stage-two.ts proposes for it and renews its lease
 * while it lasts: about series / overloaded-every × 2 candidates a window. Per window, timed
 * on one thread (the shards' steps are timed apart, as they run in processes of their own):
 * - the arbiter's part: parsing the reports, judging them (`report`), parsing the shards'
 *   records, merging and verifying them (`built`) — its work in the Kafka form since the
 *   shards build;
 * - each shard's building: its verdicts parsed, every command and decision built, hashed and
 *   signed (`verdicts`) — the work the arbiter did itself before (it built every shard's
 *   records with the same buildFromVerdicts), so `arbiter + Σ shards' building` is what the
 *   arbiter's part was, measured in the same run.
 * - the Kafka form's framing (`chunkMs`): every report and built record cut into chunk records
 *   and put back together as the parts' readers do (messages above one record are chunked).
 * The first window warms up and is not in the figures.
 */
import { T0, WINDOW_MS, benchEngineOptions, benchFinal, benchSigningKey } from './lib/stage-two-setup';
import { argFlag, argNumber, argString, writeResult } from './lib/results';
import type { KafkaMessage } from 'kafkajs';
import { createSplitReassembly } from '../src/kafka/split-chunks';
import { splitRecordsOf, type SplitKind } from '../src/kafka/split-records';
import type { WindowSignal } from '../src/model/signal';
import { hashShard, shardPlan } from '../src/pipeline/sharded-decide';
import { createSplitArbiter, splitStart, type ArbiterSettled, type SplitArbiter } from '../src/pipeline/split-arbiter';
import type { ShardBuilt, ShardReport, ShardVerdicts, WindowSummary } from '../src/pipeline/split-protocol';
import { createSplitRouter, type SplitRouter } from '../src/pipeline/split-route';
import { createSplitShard, type SplitShard } from '../src/pipeline/split-shard';
import { createDecisionEngine, setupOf } from '../src/policies/engine';
import type { ControlDeps } from '../src/policies/engine-control';
import { createVerifier } from '../src/verify';

const SERIES = argNumber('series', 100_000);
const EVERY = argNumber('overloaded-every', 10);
const SHARDS = argNumber('shards', 2);
const WINDOWS = argNumber('windows', 4);
/** Which code ran (e.g. `main 9ebce74`), recorded with the result: before/after runs alternate worktrees. */
const LABEL = argString('label', '');
/**
 * `--collect-between` (run under `node --expose-gc --import tsx`): a full collection before the
 * arbiter's steps, so that the garbage of the shards' steps — another process's in a deployment —
 * is not collected on the arbiter's clock (the bench's one heap holds every part's state).
 */
const COLLECT = argFlag('collect-between');
/**
 * `--repeat N`: the last window's judging, and its merging and verifying, run N more times on
 * arbiters restored from the state before that window — the same input each time, its CPU time
 * each: a steadier figure of the arbiter's own code than one window on a loaded machine.
 */
const REPEAT = argNumber('repeat', 0);
const gc = (globalThis as { gc?: () => void }).gc;
if (COLLECT && gc === undefined) throw new Error('--collect-between needs node --expose-gc --import tsx');
const collect = (): void => {
  if (COLLECT) gc?.();
};

/** Window w's finals in key order (as a gather releases them): every EVERY-th series overloaded, a different set each window. */
function finalsOf(w: number): WindowSignal[] {
  const start = T0 + w * WINDOW_MS;
  const out: WindowSignal[] = [];
  for (let i = 0; i < SERIES; i++) {
    const source = `worker-${String(i).padStart(7, '0')}`;
    const depth = (i + w) % EVERY === 0 ? 80 : 5;
    out.push(benchFinal(source, start, depth, [0]));
  }
  return out;
}

interface Row {
  window: number;
  candidates: number;
  commands: number;
  arbiterMs: number;
  /**
   * The process's CPU time (user + system, all its threads: the collector's too) over the same
   * steps: what load from other processes does not inflate.
   */
  arbiterCpuMs: number;
  arbiter: { parseReportsMs: number; judgeMs: number; parseBuiltMs: number; mergeVerifyMs: number };
  shardsEvaluateMs: number[];
  shardsBuildMs: number[];
  arbiterIfItBuiltMs: number;
  /** The largest report and built record of a shard, in bytes of JSON (chunked above one record). */
  maxReportBytes: number;
  maxBuiltBytes: number;
  /**
   * The Kafka form's framing of every report and built record of the window: cut into chunk
   * records (split-records.ts) and put back together by a reader (split-chunks.ts), sha256 both
   * ways — not in arbiterMs (the writer's half is a shard's, the reader's the arbiter's).
   */
  chunkMs: number;
  chunkRecords: number;
}

/** Writes a message's JSON (as the writer encodes it anyway) as its records and reads them back as a part's reader does; the records' count. */
function chunkRoundTrip(json: Buffer, kind: SplitKind, key: string): number {
  const records = splitRecordsOf(json, kind, key);
  const reader = createSplitReassembly();
  let whole = 0;
  records.forEach((m, i) => {
    if (reader.take({ ...m, offset: String(i) } as unknown as KafkaMessage, false).whole) whole++;
  });
  if (whole !== 1) throw new Error(`${key}: ${records.length} records made ${whole} messages`);
  return records.length;
}

/** CPU time of the process over the arbiter's steps, summed by `arbiterTime`. */
let arbiterCpuUs = 0;
/** `time` of an arbiter's step, its CPU time added to arbiterCpuUs. */
const arbiterTime = <T>(fn: () => T): [T, number] => {
  const cpu = process.cpuUsage();
  const out = time(fn);
  const d = process.cpuUsage(cpu);
  arbiterCpuUs += d.user + d.system;
  return out;
};
const time = <T>(fn: () => T): [T, number] => {
  const began = performance.now();
  const r = fn();
  return [r, performance.now() - began];
};
const round = (x: number): number => Math.round(x * 10) / 10;
/** The process's CPU ms (user + system) that `fn` takes. */
const cpuMs = (fn: () => unknown): number => {
  const began = process.cpuUsage();
  fn();
  const d = process.cpuUsage(began);
  return (d.user + d.system) / 1000;
};
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The last window again (REPEAT): its judging and its merge-and-verify on a fresh arbiter each time, CPU ms. */
function repeatWindow(make: () => SplitArbiter, reports: readonly ShardReport[], built: readonly ShardBuilt[]) {
  const judgeCpuMs: number[] = [];
  const finishCpuMs: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const arbiter = make();
    collect();
    judgeCpuMs.push(round(cpuMs(() => reports.forEach((r) => judgeReports(arbiter, r)))));
    collect();
    finishCpuMs.push(round(cpuMs(() => built.forEach((b) => finishWindow(arbiter, b)))));
  }
  return { judgeCpuMs, finishCpuMs, medianJudgeCpuMs: median(judgeCpuMs), medianFinishCpuMs: median(finishCpuMs) };
}

// The steps are function declarations (named in a profile, as arrows under tsx are not) so that a profile (--cpu-prof; bench/lib/profile-phases.ts,
// SPLIT_ARBITER_RULES) can tell them apart: the arbiter's parses of what crosses Kafka, its
// judging and its merge-and-verify, the shards' steps, the framing.
function parseReport(text: string): ShardReport {
  return JSON.parse(text) as ShardReport;
}
function parseBuilt(text: string): ShardBuilt {
  return JSON.parse(text) as ShardBuilt;
}
function judgeReports(arbiter: SplitArbiter, r: ShardReport): ReturnType<SplitArbiter['report']> {
  return arbiter.report(r);
}
function finishWindow(arbiter: SplitArbiter, b: ShardBuilt): ArbiterSettled | null {
  return arbiter.built(b);
}
function evaluateShard(shard: SplitShard, summary: WindowSummary, finals: WindowSignal[]): string {
  return JSON.stringify(shard.window(summary, finals));
}
function buildShard(shard: SplitShard, v: ShardVerdicts): string {
  return JSON.stringify(shard.verdicts(v));
}
/** A small message's trip through JSON, as it crosses (untimed: verdicts and settlements are the arbiter's writes). */
const copied = <T>(m: T): T => JSON.parse(JSON.stringify(m)) as T;

/** Window w's finals split by the shards they are routed to. */
function routeFinals(route: SplitRouter, shards: number, finals: readonly WindowSignal[]): WindowSignal[][] {
  const routed: WindowSignal[][] = Array.from({ length: shards }, () => []);
  for (const f of finals) for (const d of route(f)) routed[d].push(f);
  return routed;
}

function main(): void {
  const opts = benchEngineOptions(benchSigningKey());
  const setup = setupOf(opts);
  const plan = shardPlan(setup, SHARDS, (key) => hashShard(key, SHARDS));
  const verifier = createVerifier({});
  const route = createSplitRouter(setup, plan, verifier.config);
  const start = splitStart(setup, plan, createDecisionEngine(opts).init(), verifier.init());
  const deps: ControlDeps = { modeOf: setup.modeOf, policy: (p) => setup.byName.get(p)?.cp, limits: opts.control };
  const shards = start.shards.map((init, index) =>
    createSplitShard({ setup, plan, index, verifier: verifier.config, init }),
  );
  const arbiter = createSplitArbiter({ setup, plan, deps, verifier, signing: opts.signing, init: start.arbiter });
  const rows: Row[] = [];
  const last = { before: start.arbiter, reports: [] as ShardReport[], built: [] as ShardBuilt[], candidates: 0 };
  for (let w = 0; w <= WINDOWS; w++) {
    arbiterCpuUs = 0;
    if (w === WINDOWS) last.before = structuredClone(arbiter.checkpoint());
    const finals = finalsOf(w);
    const summary = { end: finals[0].windowEnd, minStart: finals[0].windowStart };
    const routed = routeFinals(route, shards.length, finals);
    const shardMs = shards.map(() => 0);
    const buildMs = shards.map(() => 0);
    let maxBuiltBytes = 0;
    const chunked = { ms: 0, records: 0 };
    const frame = (text: string, kind: SplitKind, key: string): void => {
      const json = Buffer.from(text);
      const [records, ms] = time(() => chunkRoundTrip(json, kind, key));
      chunked.ms += ms;
      chunked.records += records;
    };
    const reports = shards.map((s, d) => {
      const [text, ms] = time(() => evaluateShard(s, summary, routed[d]));
      shardMs[d] += ms;
      frame(text, 'report', `shard/${d}`);
      return text;
    });
    const arb = { parseReportsMs: 0, judgeMs: 0, parseBuiltMs: 0, finishMs: 0 };
    let verdicts: (ShardVerdicts | null)[] = [];
    let done: ArbiterSettled | null = null;
    collect();
    for (const text of reports) {
      const [r, parse] = arbiterTime(() => parseReport(text));
      last.reports.push(r);
      const [judged, ms] = arbiterTime(() => judgeReports(arbiter, r));
      arb.parseReportsMs += parse;
      arb.judgeMs += ms;
      if (judged) {
        verdicts = judged.verdicts.map((v) => (v === null ? null : copied(v)));
        done = judged.settled;
      }
    }
    let commands = 0;
    verdicts.forEach((v, d) => {
      if (v === null) return;
      const [text, ms] = time(() => buildShard(shards[d], v));
      buildMs[d] += ms;
      maxBuiltBytes = Math.max(maxBuiltBytes, Buffer.byteLength(text));
      collect();
      const [b, parse] = arbiterTime(() => parseBuilt(text));
      last.built.push(b);
      frame(text, 'built', `shard/${d}`);
      arb.parseBuiltMs += parse;
      collect();
      const [settled, finish] = arbiterTime(() => finishWindow(arbiter, b));
      arb.finishMs += finish;
      done = settled ?? done;
    });
    if (done === null) throw new Error(`window ${w}: not settled`);
    commands = done.out.commands.length;
    done.settlements.forEach((st, d) => shards[d].settle(copied(st)));
    const candidates = verdicts.reduce((n, v) => n + (v?.verdicts.length ?? 0), 0);
    const arbiterMs = arb.parseReportsMs + arb.judgeMs + arb.parseBuiltMs + arb.finishMs;
    const building = buildMs.reduce((a, b) => a + b, 0);
    const row: Row = {
      window: w,
      candidates,
      commands,
      arbiterMs: round(arbiterMs),
      arbiterCpuMs: round(arbiterCpuUs / 1000),
      arbiter: {
        parseReportsMs: round(arb.parseReportsMs),
        judgeMs: round(arb.judgeMs),
        parseBuiltMs: round(arb.parseBuiltMs),
        mergeVerifyMs: round(arb.finishMs),
      },
      shardsEvaluateMs: shardMs.map(round),
      shardsBuildMs: buildMs.map(round),
      arbiterIfItBuiltMs: round(arbiterMs + building),
      maxReportBytes: Math.max(...reports.map((t) => Buffer.byteLength(t))),
      maxBuiltBytes,
      chunkMs: round(chunked.ms),
      chunkRecords: chunked.records,
    };
    console.log(JSON.stringify(row));
    if (w > 0) rows.push(row);
    last.candidates = candidates;
    if (w < WINDOWS) {
      last.reports = [];
      last.built = [];
    }
  }
  const mean = (f: (r: Row) => number): number => round(rows.reduce((a, r) => a + f(r), 0) / rows.length);
  const result = {
    code: LABEL,
    /** Node's flags (e.g. --max-semi-space-size): the collector's settings change the arbiter's figures. */
    execArgv: process.execArgv.filter((a) => a !== '--import' && a !== 'tsx'),
    collectBetween: COLLECT,
    series: SERIES,
    overloadedEvery: EVERY,
    shards: SHARDS,
    windows: rows.length,
    definition:
      'ms a window on one thread; arbiterMs: parse the reports + judge + parse the built records + merge/verify ' +
      "(the shards build); arbiterIfItBuiltMs: arbiterMs + every shard's building (what the arbiter did before; " +
      'it did not parse built records, so this overstates it by parseBuiltMs)',
    mean: {
      candidates: mean((r) => r.candidates),
      commands: mean((r) => r.commands),
      arbiterMs: mean((r) => r.arbiterMs),
      arbiterCpuMs: mean((r) => r.arbiterCpuMs),
      arbiterIfItBuiltMs: mean((r) => r.arbiterIfItBuiltMs),
      busiestShardBuildMs: mean((r) => Math.max(...r.shardsBuildMs)),
      parseBuiltMs: mean((r) => r.arbiter.parseBuiltMs),
      parseReportsMs: mean((r) => r.arbiter.parseReportsMs),
      chunkMs: mean((r) => r.chunkMs),
    },
    repeat:
      REPEAT > 0
        ? {
            candidates: last.candidates,
            ...repeatWindow(
              () => createSplitArbiter({ setup, plan, deps, verifier, signing: opts.signing, init: last.before }),
              last.reports,
              last.built,
            ),
          }
        : null,
    ratioArbiterNowToBefore: Number((mean((r) => r.arbiterMs) / mean((r) => r.arbiterIfItBuiltMs)).toFixed(3)),
    rows,
  };
  console.log(
    `${SERIES} series, ${SHARDS} shards: ${result.mean.candidates} candidates, ${result.mean.commands} commands a window; ` +
      `arbiter ${result.mean.arbiterMs} ms a window (it would be ${result.mean.arbiterIfItBuiltMs} ms building itself; ` +
      `ratio ${result.ratioArbiterNowToBefore}); busiest shard's building ${result.mean.busiestShardBuildMs} ms`,
  );
  if (result.repeat !== null)
    console.log(
      `last window (${result.repeat.candidates} candidates) ${REPEAT} times: judging ${result.repeat.medianJudgeCpuMs} ms, ` +
        `merging and verifying ${result.repeat.medianFinishCpuMs} ms of CPU (medians)`,
    );
  console.log(`wrote ${writeResult('split-arbiter', result)}`);
}

main();
