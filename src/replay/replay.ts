/**
 * The replay core: recorded telemetry through exactly the pipeline the live processor runs —
 * createProcessor (windows, watermarks, signals, scope merge) → createDecisionStage (policies,
 * guardrails, modes, commands) — as fast as the CPU allows, then a `flush` that closes every
 * open window. No clock, no I/O, no randomness: the same inputs in the same order and the same
 * config give the same signals, commands and decisions, byte for byte once encoded.
 *
 * Inputs carry their (synthetic or real) partition and offset so that watermarks, idleness and
 * the two-stage scope merge behave as they did live. Order matters: records of one partition
 * must come in offset order; across partitions, feed them merged by event time (merge.ts).
 */
import type { ErrorCode } from '../errors';
import type { Command } from '../model/command';
import type { Decision, DecisionKind } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { Telemetry } from '../model/telemetry';
import type { EngineConfig, Offset } from '../core';
import { createDecisionStage, type DecideOutputs } from '../pipeline/decide';
import { createProcessor, emptyOutputs, type DeadLetter, type ProcessorCounters } from '../pipeline/processor';
import type { DecisionEngine } from '../policies';

/** One recorded telemetry record and where it came from. */
export interface ReplayRecord {
  partition: number;
  offset: Offset;
  record: Telemetry;
}

/** An input that could not become telemetry (bad JSONL line, undecodable Kafka value): dead-lettered. */
export interface ReplayInvalid {
  partition: number;
  offset: Offset;
  invalid: { code: ErrorCode; message: string; field?: string };
}

/**
 * The samples of one recorded input record that carried many (an OTLP export, a batch of line
 * protocol): one arrival, judged against the watermark as it stood before it, as live.
 */
export interface ReplayArrival {
  partition: number;
  offset: Offset;
  records: readonly Telemetry[];
}

export type ReplayInput = ReplayRecord | ReplayInvalid;
/** What the replay core takes: a recorded input, or the samples of one multi-sample record. */
export type ReplayFeed = ReplayInput | ReplayArrival;

export interface ReplayOptions {
  /** Windows, watermarks and signals: engineConfigFrom(config) for the YAML config. */
  engine: EngineConfig;
  /** Policies, guardrails, modes and signing: createDecisionEngine(...). */
  decisions: DecisionEngine;
  /** Partitions the replay owns from the start (one per input file, or the topic's). Default: none announced. */
  partitions?: readonly number[];
  /** Partitions of the input "topic", for the scope merge's coverage. Default: max(partitions) + 1, at least 1. */
  partitionCount?: number;
}

/** Where outputs go as they are produced; every callback is optional. Arrays are only valid during the call. */
export interface ReplaySink {
  /** Final signals (partial = false), in emission order: what the policies read. */
  signals?(signals: readonly WindowSignal[]): void;
  commands?(commands: readonly Command[]): void;
  decisions?(decisions: readonly Decision[]): void;
  /** Inputs that were late, rejected or invalid, with the reason. */
  dead?(dead: readonly DeadLetter[]): void;
}

export interface ReplayCounters extends ProcessorCounters {
  /** Inputs pushed (records + invalid). */
  inputs: number;
  /** Final signals emitted. */
  finals: number;
  /** Distinct window ends the decision stage evaluated. */
  evaluations: number;
  commands: number;
  decisions: number;
  decisionsByKind: Record<DecisionKind, number>;
  /** Smallest and largest event time of the records (null before the first). */
  firstEventTime: number | null;
  lastEventTime: number | null;
}

export interface Replay {
  push(input: ReplayFeed): void;
  /** Feeds the final `flush` and delivers everything still pending. Call once. */
  finish(): ReplayCounters;
  counters(): ReplayCounters;
}

export interface ReplayResult {
  signals: WindowSignal[];
  commands: Command[];
  decisions: Decision[];
  dead: DeadLetter[];
  counters: ReplayCounters;
}

const KINDS: readonly DecisionKind[] = ['acted', 'blocked', 'shadowed', 'escalated', 'reverted', 'control', 'renewed'];

function zeroKinds(): Record<DecisionKind, number> {
  const out = {} as Record<DecisionKind, number>;
  for (const k of KINDS) out[k] = 0;
  return out;
}

/**
 * Hands `decide` the finals whose window end is complete (every end before the latest one
 * seen) and returns those held back: `pending` followed by the last run of equal ends of `f`.
 */
function releaseComplete(
  pending: WindowSignal[],
  f: readonly WindowSignal[],
  decide: (signals: readonly WindowSignal[]) => void,
): WindowSignal[] {
  const lastEnd = f[f.length - 1].windowEnd;
  if (pending.length > 0 && pending[pending.length - 1].windowEnd !== f[0].windowEnd) {
    decide(pending);
    pending = [];
  }
  // Everything before the last run of equal window ends is complete.
  let cut = f.length;
  while (cut > 0 && f[cut - 1].windowEnd === lastEnd) cut--;
  if (cut > 0) {
    if (pending.length > 0) {
      decide(pending.concat(f.slice(0, cut)));
      pending = [];
    } else decide(f.slice(0, cut));
  }
  for (let i = cut; i < f.length; i++) pending.push(f[i]);
  return pending;
}

export function createReplay(options: ReplayOptions, sink: ReplaySink = {}): Replay {
  const partitions = options.partitions ?? [];
  const partitionCount = options.partitionCount ?? Math.max(1, ...partitions.map((p) => p + 1));
  const processor = createProcessor({ engine: options.engine, partitionCount });
  const stage = createDecisionStage(options.decisions);
  const out = emptyOutputs();
  const decided: DecideOutputs = { commands: [], decisions: [] };
  // Finals of the latest window end are held back until a later end (or the flush) shows that
  // no more finals of that end can come: the decision stage then evaluates each window end
  // exactly once with all of its signals, whatever step they were emitted in.
  let pending: WindowSignal[] = [];
  let inputs = 0;
  let finals = 0;
  let evaluations = 0;
  let commands = 0;
  let decisions = 0;
  const byKind = zeroKinds();
  let first: number | null = null;
  let last: number | null = null;
  let finished = false;

  if (partitions.length > 0) processor.step({ kind: 'assign', partitions }, out);

  const decide = (signals: readonly WindowSignal[]): void => {
    if (signals.length === 0) return;
    for (let i = 0; i < signals.length; i++)
      if (i === 0 || signals[i].windowEnd !== signals[i - 1].windowEnd) evaluations++;
    stage.onFinals(signals, decided);
    if (decided.commands.length > 0) {
      commands += decided.commands.length;
      sink.commands?.(decided.commands);
      decided.commands.length = 0;
    }
    if (decided.decisions.length > 0) {
      decisions += decided.decisions.length;
      for (const d of decided.decisions) byKind[d.kind]++;
      sink.decisions?.(decided.decisions);
      decided.decisions.length = 0;
    }
  };

  const drain = (final: boolean): void => {
    if (out.dead.length > 0) {
      sink.dead?.(out.dead);
      out.dead.length = 0;
    }
    out.published.length = 0;
    const f = out.finals;
    if (f.length > 0) {
      finals += f.length;
      sink.signals?.(f);
      pending = releaseComplete(pending, f, decide);
      f.length = 0;
    }
    if (final && pending.length > 0) {
      decide(pending);
      pending = [];
    }
  };

  const seen = (ts: number): void => {
    if (first === null || ts < first) first = ts;
    if (last === null || ts > last) last = ts;
  };

  const counters = (): ReplayCounters => ({
    ...processor.counters(),
    inputs,
    finals,
    evaluations,
    commands,
    decisions,
    decisionsByKind: { ...byKind },
    firstEventTime: first,
    lastEventTime: last,
  });

  return {
    push(input) {
      if (finished) throw new Error('replay: push after finish');
      inputs++;
      if ('invalid' in input) {
        const { code, message, field } = input.invalid;
        processor.step(
          { kind: 'invalid', partition: input.partition, offset: String(input.offset), code, message, field },
          out,
        );
      } else if ('records' in input) {
        for (const r of input.records) seen(r.ts);
        processor.step(
          { kind: 'records', partition: input.partition, offset: input.offset, records: input.records },
          out,
        );
      } else {
        seen(input.record.ts);
        processor.step({ kind: 'record', partition: input.partition, offset: input.offset, record: input.record }, out);
      }
      if (out.finals.length > 0 || out.dead.length > 0) drain(false);
      else out.published.length = 0;
    },
    finish() {
      if (finished) throw new Error('replay: finish called twice');
      finished = true;
      processor.step({ kind: 'flush' }, out);
      drain(true);
      return counters();
    },
    counters,
  };
}

function collector(): { sink: ReplaySink; result: Omit<ReplayResult, 'counters'> } {
  const result = {
    signals: [] as WindowSignal[],
    commands: [] as Command[],
    decisions: [] as Decision[],
    dead: [] as DeadLetter[],
  };
  // A loop, not push(...xs): a flush can emit more finals than a call may take arguments.
  const append = <T>(to: T[], from: readonly T[]): void => {
    for (let i = 0; i < from.length; i++) to.push(from[i]);
  };
  const sink: ReplaySink = {
    signals: (s) => append(result.signals, s),
    commands: (c) => append(result.commands, c),
    decisions: (d) => append(result.decisions, d),
    dead: (d) => append(result.dead, d),
  };
  return { sink, result };
}

/** Replays synchronous inputs and collects every output (tests, small recordings, the report). */
export function replayRecordsSync(records: Iterable<ReplayFeed>, options: ReplayOptions): ReplayResult {
  const { sink, result } = collector();
  const replay = createReplay(options, sink);
  for (const r of records) replay.push(r);
  return { ...result, counters: replay.finish() };
}

/** Replays inputs from any (async) iterable into `sink` as they are produced; resolves to the counters. */
export async function replayStream(
  records: Iterable<ReplayFeed> | AsyncIterable<ReplayFeed>,
  options: ReplayOptions,
  sink: ReplaySink,
): Promise<ReplayCounters> {
  const replay = createReplay(options, sink);
  // A sync iterable is looped synchronously: `for await` would cost a promise hop per record.
  if (Symbol.asyncIterator in records) for await (const r of records) replay.push(r);
  else for (const r of records) replay.push(r);
  return replay.finish();
}

/** Replays batches of inputs (as files and topic ranges are read) into `sink`; resolves to the counters. */
export async function replayBatches(
  batches: Iterable<readonly ReplayFeed[]> | AsyncIterable<readonly ReplayFeed[]>,
  options: ReplayOptions,
  sink: ReplaySink,
): Promise<ReplayCounters> {
  const replay = createReplay(options, sink);
  const push = (b: readonly ReplayFeed[]): void => {
    for (let i = 0; i < b.length; i++) replay.push(b[i]);
  };
  if (Symbol.asyncIterator in batches) for await (const b of batches) push(b);
  else for (const b of batches) push(b);
  return replay.finish();
}

/** Replays inputs from any (async) iterable and collects every output. */
export async function replayRecords(
  records: Iterable<ReplayFeed> | AsyncIterable<ReplayFeed>,
  options: ReplayOptions,
): Promise<ReplayResult> {
  const { sink, result } = collector();
  const counters = await replayStream(records, options, sink);
  return { ...result, counters };
}
