/**
 * Stage two of the scope aggregates: merges stage-one partials (one per engine instance,
 * each covering the input partitions that instance owns) into the final signal of a
 * (scope key, window). Pure: `(state, input) → { state, outputs }`, state updated in place.
 *
 * A (key, window) is final when
 *   1. the union of the partials' partitions is the whole input topic (0..partitionCount-1)
 *      — the normal case, immediate when one engine owns every partition; or
 *   2. the driver says every input partition has passed it (`complete`): a partition that
 *      sent no partial had no data for the key — used when stage one runs as one engine per
 *      partition and the driver tracks each partition's watermark (src/pipeline/gather.ts); or
 *   3. (fallback) the merger's own event-time watermark — the highest windowEnd seen on any
 *      partial minus `latenessMs` — passes windowEnd + graceMs: an engine that had no data
 *      for the key (so sent no partial) or is down cannot hold the scope back for ever.
 * Per key, windows are finalised in window order (a complete window waits for an earlier
 * pending one), so EWMA and trend see the means in time order.
 *
 * Sketches merge exactly, so the final equals a single-stage aggregate of the union.
 * Partials the merger cannot use are side-output as `rejected`, counted, never merged:
 * `late` (window already final), `duplicate` (its partitions are already covered — e.g. a
 * redelivery), `overlap` (covers some already covered partitions but not all: cannot be
 * subtracted), `invalid` (not a partial, bad sketch), `key_limit` (maxKeys keys all pending).
 */
import type { WindowSignal } from '../model/signal';
import { createSketch, type DDSketch } from '../signals/ddsketch';
import { createHistory, packHistory, recordMean, unpackHistory, type SeriesHistory } from '../signals/history';
import { sketchFromBase64 } from '../signals/sketch-codec';
import { buildSignal, type SignalIdentity } from '../signals/window-signal';
import { ConfigError, describeError } from '../errors';
import { DEFAULT_ENGINE_CONFIG } from './config';
import { compareKeys } from './series-key';

export interface ScopeMergerConfig {
  /** Partitions of the input (telemetry) topic: a window is complete when 0..n-1 are covered. */
  partitionCount: number;
  /** Window advance, ms, for the trend's x axis (window steps). Default: the engine default. */
  advanceMs: number;
  /**
   * Fallback: the merger watermark trails the highest windowEnd seen by this much. Default
   * 30 000 — three default windows: how far one engine may fall behind the others before
   * its partials are no longer waited for (and, arriving later, are rejected as late).
   */
  latenessMs: number;
  /** Fallback: a window is final once the merger watermark passes windowEnd + graceMs. Default 0. */
  graceMs: number;
  /** EWMA weight of the newest final's mean. Default: the engine default (0.3). */
  ewmaAlpha: number;
  /** Means in the least-squares trend. Default: the engine default (6). */
  trendWindows: number;
  /** Keys (with EWMA/trend history) kept; the idle one touched longest ago is dropped first. Default 100 000. */
  maxKeys: number;
}

export type ScopeMergerConfigInput = Partial<ScopeMergerConfig> & { partitionCount: number };

export type MergerInput =
  | { kind: 'partial'; signal: WindowSignal }
  /** Every input partition has closed the windows whose end + graceMs is at or before `through`. */
  | { kind: 'complete'; through: number }
  | { kind: 'flush' };

export type MergerRejectReason = 'late' | 'duplicate' | 'overlap' | 'invalid' | 'key_limit';

export type MergerOutput =
  | { kind: 'signal'; signal: WindowSignal }
  | { kind: 'rejected'; reason: MergerRejectReason; signal: WindowSignal; detail: string };

export interface MergerCounters {
  partials: number;
  merged: number;
  rejected: number;
  finals: number;
  /** Of which finalised by full partition coverage (the rest by the watermark fallback). */
  finalsByCoverage: number;
}

export interface MergerState {
  readonly __mergerState: true;
}

interface Acc {
  readonly id: SignalIdentity;
  readonly start: number;
  readonly end: number;
  readonly sk: DDSketch;
  readonly covered: Set<number>;
}

interface KeyState {
  readonly history: SeriesHistory;
  /** Start of the last finalised window (-Infinity: none). */
  lastFinalStart: number;
  /** Pending windows, ascending start. */
  readonly pending: Acc[];
}

interface Internal {
  readonly __mergerState: true;
  readonly keys: Map<string, KeyState>;
  /** windowEnd → keys with a pending window ending there; `ends` ascending. */
  readonly byEnd: Map<number, Set<string>>;
  readonly ends: number[];
  maxWindowEnd: number;
  watermark: number;
  /** From `complete` inputs: windows with end + grace at or before it cover every partition. */
  completeThrough: number;
  readonly counters: MergerCounters;
  /** Histories from a checkpoint, by key, taken by each key when it is next created. */
  readonly seeded: Map<string, Float64Array>;
}

export interface ScopeMerger {
  readonly config: ScopeMergerConfig;
  init(): MergerState;
  step(state: MergerState, input: MergerInput): { state: MergerState; outputs: readonly MergerOutput[] };
  counters(state: MergerState): MergerCounters;
  watermark(state: MergerState): number;
  /** The EWMA/trend history of a scope key (packed, signals/history.ts), for a checkpoint. */
  history(state: MergerState, key: string): Float64Array | undefined;
  /** Histories from a checkpoint: each key takes its own when it is next created. */
  seedHistories(state: MergerState, histories: ReadonlyMap<string, Float64Array>): void;
}

/** The merger's settings, resolved once, and the list of every input partition (shared by complete finals). */
interface Merging {
  readonly config: ScopeMergerConfig;
  readonly allPartitions: number[];
}

/** Fills the defaults in and validates, naming every bad key at once. */
function resolveMergerConfig(input: ScopeMergerConfigInput): ScopeMergerConfig {
  const d = DEFAULT_ENGINE_CONFIG;
  const config: ScopeMergerConfig = {
    partitionCount: input.partitionCount,
    advanceMs: input.advanceMs ?? d.window.advanceMs,
    latenessMs: input.latenessMs ?? 30_000,
    graceMs: input.graceMs ?? 0,
    ewmaAlpha: input.ewmaAlpha ?? d.ewmaAlpha,
    trendWindows: input.trendWindows ?? d.trendWindows,
    maxKeys: input.maxKeys ?? 100_000,
  };
  const issues: string[] = [];
  if (!(Number.isInteger(config.partitionCount) && config.partitionCount > 0)) {
    issues.push(
      `partitionCount must be the input topic's partition count, a positive integer (got ${config.partitionCount})`,
    );
  }
  if (!(config.advanceMs > 0)) issues.push(`advanceMs must be > 0 (got ${config.advanceMs})`);
  if (!(config.latenessMs >= 0)) issues.push(`latenessMs must be ≥ 0 (got ${config.latenessMs})`);
  if (!(config.graceMs >= 0)) issues.push(`graceMs must be ≥ 0 (got ${config.graceMs})`);
  if (!(config.ewmaAlpha > 0 && config.ewmaAlpha <= 1))
    issues.push(`ewmaAlpha must be in (0, 1] (got ${config.ewmaAlpha})`);
  if (!(Number.isInteger(config.trendWindows) && config.trendWindows >= 2)) {
    issues.push(`trendWindows must be an integer ≥ 2 (got ${config.trendWindows})`);
  }
  if (!(Number.isInteger(config.maxKeys) && config.maxKeys > 0))
    issues.push(`maxKeys must be a positive integer (got ${config.maxKeys})`);
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

/** Emits the key's head window as final and records its mean in the key's history. */
function finalize(m: Merging, st: Internal, key: string, ks: KeyState, byCoverage: boolean, out: MergerOutput[]): void {
  const config = m.config;
  const acc = ks.pending.shift();
  if (acc === undefined) return;
  unindex(st, acc.end, key);
  if (acc.sk.count > 0)
    recordMean(ks.history, acc.start / config.advanceMs, acc.sk.sum / acc.sk.count, config.ewmaAlpha);
  ks.lastFinalStart = acc.start;
  // Complete by the driver's word: every partition is in it, with data or without.
  const partitions =
    acc.end + config.graceMs <= st.completeThrough ? m.allPartitions : [...acc.covered].sort((a, b) => a - b);
  out.push({
    kind: 'signal',
    signal: buildSignal(acc.id, acc.start, acc.end, acc.sk, {
      ewma: ks.history.ewma,
      trend: ks.history.trend,
      partial: false,
      partitions,
    }),
  });
  st.counters.finals += 1;
  if (byCoverage) st.counters.finalsByCoverage += 1;
  // Touch: most recently finalised keys go last in eviction order.
  st.keys.delete(key);
  st.keys.set(key, ks);
}

/** Emits the key's head windows while each is complete or due. */
function drainKey(m: Merging, st: Internal, key: string, ks: KeyState, out: MergerOutput[]): void {
  for (;;) {
    const head = ks.pending[0];
    if (head === undefined) return;
    if (head.covered.size >= m.config.partitionCount) finalize(m, st, key, ks, true, out);
    else if (head.end + m.config.graceMs <= st.watermark) finalize(m, st, key, ks, false, out);
    else return;
  }
}

/** Finalises every pending window the merger watermark has made due, window end by window end. */
function sweep(m: Merging, st: Internal, out: MergerOutput[]): void {
  while (st.ends.length > 0 && st.ends[0] + m.config.graceMs <= st.watermark) {
    const end = st.ends[0];
    const keys = st.byEnd.get(end);
    if (keys !== undefined) {
      // Every window ending here is due, and so is anything before it: drainKey empties the set.
      for (const key of [...keys].sort(compareKeys)) {
        const ks = st.keys.get(key);
        if (ks !== undefined) drainKey(m, st, key, ks, out);
      }
    }
    st.byEnd.delete(end);
    st.ends.shift();
  }
}

/** Side-outputs a partial the merger cannot use, counted. */
function reject(
  st: Internal,
  out: MergerOutput[],
  reason: MergerRejectReason,
  signal: WindowSignal,
  detail: string,
): void {
  st.counters.rejected += 1;
  out.push({ kind: 'rejected', reason, signal, detail });
}

/**
 * The key's state, created (with its seeded history, if any) when new; at maxKeys the idle key
 * touched longest ago makes room. Null when every key has pending windows.
 */
function keyState(config: ScopeMergerConfig, st: Internal, key: string): KeyState | null {
  const known = st.keys.get(key);
  if (known !== undefined) return known;
  if (st.keys.size >= config.maxKeys) {
    let victim: string | undefined;
    for (const [k, ks] of st.keys) {
      if (ks.pending.length === 0) {
        victim = k;
        break;
      }
    }
    if (victim === undefined) return null;
    st.keys.delete(victim);
  }
  const seeded = st.seeded.get(key);
  if (seeded !== undefined) st.seeded.delete(key);
  const history = (seeded && unpackHistory(seeded, config.trendWindows)) ?? createHistory(config.trendWindows);
  const ks: KeyState = { history, lastFinalStart: -Infinity, pending: [] };
  st.keys.set(key, ks);
  return ks;
}

/** The partial's sketch, or null (rejected as `invalid`) when it is not a partial of known partitions. */
function partialSketch(
  config: ScopeMergerConfig,
  st: Internal,
  signal: WindowSignal,
  out: MergerOutput[],
): DDSketch | null {
  if (!signal.partial || signal.sketch === undefined) {
    reject(st, out, 'invalid', signal, 'not a partial with a sketch');
    return null;
  }
  const parts = signal.partitions;
  if (parts.length === 0 || parts.some((p) => !(Number.isInteger(p) && p >= 0 && p < config.partitionCount))) {
    reject(
      st,
      out,
      'invalid',
      signal,
      `partitions ${JSON.stringify(parts)} not within 0..${config.partitionCount - 1}`,
    );
    return null;
  }
  try {
    return sketchFromBase64(signal.sketch);
  } catch (err) {
    reject(st, out, 'invalid', signal, describeError(err));
    return null;
  }
}

/** The key's pending window starting where the partial's does, created in start order when new. */
function pendingWindow(st: Internal, ks: KeyState, signal: WindowSignal, sk: DDSketch): Acc {
  const { key, windowStart: start, windowEnd: end } = signal;
  let i = ks.pending.length;
  while (i > 0 && ks.pending[i - 1].start > start) i--;
  let acc = ks.pending[i - 1];
  if (acc === undefined || acc.start !== start) {
    acc = {
      id: { scope: signal.scope, key, source: signal.source, metric: signal.metric, tags: signal.tags },
      start,
      end,
      sk: createSketch({ relativeAccuracy: sk.relativeAccuracy, maxBins: sk.maxBins }),
      covered: new Set(),
    };
    ks.pending.splice(i, 0, acc);
    index(st, end, key);
  }
  return acc;
}

/** Merges one stage-one partial into its pending window, then finalises what it completes or makes due. */
function onPartial(m: Merging, st: Internal, signal: WindowSignal, out: MergerOutput[]): void {
  const config = m.config;
  st.counters.partials += 1;
  const sk = partialSketch(config, st, signal, out);
  if (sk === null) return;
  const parts = signal.partitions;
  const key = signal.key;
  const start = signal.windowStart;
  const end = signal.windowEnd;
  const known = st.keys.get(key);
  if ((known !== undefined && start <= known.lastFinalStart) || end + config.graceMs <= st.watermark) {
    reject(st, out, 'late', signal, `window ${start}..${end} of ${key} is already final`);
    return;
  }
  const ks = keyState(config, st, key);
  if (ks === null) {
    reject(st, out, 'key_limit', signal, `${config.maxKeys} keys all have pending windows`);
    return;
  }
  const acc = pendingWindow(st, ks, signal, sk);
  const overlapping = parts.filter((p) => acc.covered.has(p)).length;
  if (overlapping > 0) {
    const why = overlapping === parts.length ? 'duplicate' : 'overlap';
    reject(st, out, why, signal, `partitions ${JSON.stringify(parts)} already covered for ${key} ${start}..${end}`);
    return;
  }
  if (!acc.sk.isCompatible(sk)) {
    reject(st, out, 'invalid', signal, 'sketch parameters differ from the other partials of this window');
    return;
  }
  acc.sk.merge(sk);
  for (const p of parts) acc.covered.add(p);
  st.counters.merged += 1;
  if (end > st.maxWindowEnd) {
    st.maxWindowEnd = end;
    st.watermark = Math.max(st.watermark, end - config.latenessMs);
  }
  drainKey(m, st, key, ks, out);
  sweep(m, st, out);
}

/** The driver's word that every partition has passed `through`: raises the watermark to it. */
function onComplete(m: Merging, st: Internal, through: number, out: MergerOutput[]): void {
  if (!(through > st.completeThrough)) return;
  st.completeThrough = through;
  if (through > st.watermark) st.watermark = through;
  sweep(m, st, out);
}

/** A fresh merger state. */
function newMergerState(): Internal {
  return {
    __mergerState: true,
    keys: new Map(),
    byEnd: new Map(),
    ends: [],
    maxWindowEnd: -Infinity,
    watermark: -Infinity,
    completeThrough: -Infinity,
    counters: { partials: 0, merged: 0, rejected: 0, finals: 0, finalsByCoverage: 0 },
    seeded: new Map(),
  };
}

export function createScopeMerger(input: ScopeMergerConfigInput): ScopeMerger {
  const config = resolveMergerConfig(input);
  const m: Merging = { config, allPartitions: [...Array(config.partitionCount).keys()] };

  const onFlush = (st: Internal, out: MergerOutput[]): void => {
    st.watermark = Infinity;
    sweep(m, st, out);
  };

  return {
    config,
    init: (): MergerState => newMergerState(),
    step(state, input) {
      const st = state as Internal;
      const out: MergerOutput[] = [];
      if (input.kind === 'partial') onPartial(m, st, input.signal, out);
      else if (input.kind === 'complete') onComplete(m, st, input.through, out);
      else onFlush(st, out);
      out.sort(byEndThenKey);
      return { state, outputs: out };
    },
    counters: (state) => ({ ...(state as Internal).counters }),
    watermark: (state) => (state as Internal).watermark,
    history(state, key) {
      const ks = (state as Internal).keys.get(key);
      return ks === undefined ? undefined : packHistory(ks.history);
    },
    seedHistories(state, histories) {
      const st = state as Internal;
      for (const [key, h] of histories) {
        const ks = st.keys.get(key);
        const unpacked = ks === undefined ? undefined : unpackHistory(h, config.trendWindows);
        if (ks !== undefined && unpacked !== undefined) Object.assign(ks.history, unpacked);
        else if (ks === undefined) st.seeded.set(key, h);
      }
    },
  };
}

function index(st: Internal, end: number, key: string): void {
  let keys = st.byEnd.get(end);
  if (keys === undefined) {
    keys = new Set();
    st.byEnd.set(end, keys);
    let i = st.ends.length;
    while (i > 0 && st.ends[i - 1] > end) i--;
    st.ends.splice(i, 0, end);
  }
  keys.add(key);
}

function unindex(st: Internal, end: number, key: string): void {
  st.byEnd.get(end)?.delete(key);
}

/** Rejections first (they refer to the input), then finals by (windowEnd, key). */
function byEndThenKey(a: MergerOutput, b: MergerOutput): number {
  if (a.kind !== 'signal' || b.kind !== 'signal') return (a.kind === 'signal' ? 1 : 0) - (b.kind === 'signal' ? 1 : 0);
  return a.signal.windowEnd - b.signal.windowEnd || compareKeys(a.signal.key, b.signal.key);
}
