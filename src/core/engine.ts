/**
 * The windowing engine: `(state, input) → { state, outputs }`, no clock, no I/O.
 *
 * A record is late when every window covering it has closed, i.e. when the watermark has
 * passed the end + grace of the last such window; it is side-output (`late`) with its
 * partition and offset, never dropped. Otherwise it is aggregated into its pane, and the
 * watermark (see watermark.ts) may advance and close windows (see closer.ts).
 *
 * Accounting identity after every step: consumed = aggregated + late + rejected.
 */
import { createSketch } from '../signals/ddsketch';
import { sketchToBase64 } from '../signals/sketch-codec';
import type { Telemetry } from '../model/telemetry';
import { assertEngineConfig, resolveEngineConfig, type EngineConfig, type EngineConfigInput } from './config';
import { closeDue } from './closer';
import { batchFor, dropSeriesEntries, makeRoom } from './batches';
import { leaveDormant } from './dormant-queue';
import { findSeries, killSeries } from './series-index';
import { LAST_PANE_START, MAX_TS, PER_RECORD, rowHistory, seedRowHistory } from './series-numbers';
import { newState, type Compiled, type InternalState, type PartitionState } from './state';
import type { EngineCounters, EngineInput, EngineOutput, WindowEngineState, Offset, StepResult } from './types';
import { assignPartitions, candidateWatermark, firstOpenWindowStart, removePartitions } from './watermark';

export interface Engine {
  readonly config: EngineConfig;
  /** A fresh state owning no partitions. */
  init(): WindowEngineState;
  /** Applies one input. The returned state is the same object, updated. */
  step(state: WindowEngineState, input: EngineInput): StepResult;
  /**
   * step() without its result: appends the outputs to `out` (which the caller owns and
   * empties). For a driver that steps one record at a time, so that a record with no output
   * costs no result object and a window close no copy of its outputs.
   */
  stepInto(state: WindowEngineState, input: EngineInput, out: EngineOutput[]): void;
  /** Applies inputs in order; outputs concatenated. */
  stepAll(state: WindowEngineState, inputs: Iterable<EngineInput>): StepResult;
  /** A copy of the counters. */
  counters(state: WindowEngineState): EngineCounters;
  /** Current watermark (event time, ms); -Infinity before the first record. */
  watermark(state: WindowEngineState): number;
  /**
   * Offset of the earliest record of `partition` still held in an open window (undefined:
   * none). Commit at most this offset (or the next offset to consume when undefined) so that
   * a restarted or re-assigned consumer re-reads every record whose window has not emitted.
   */
  pendingOffset(state: WindowEngineState, partition: number): Offset | undefined;
  /** Live series count (≤ maxSeries). */
  seriesCount(state: WindowEngineState): number;
  /** Open panes across all series (memory gauge; 0 after flush). */
  openPanes(state: WindowEngineState): number;
  /**
   * The EWMA/trend history of a live series (packed, signals/history.ts; a copy), so that a
   * checkpoint can carry it; undefined when the series is not live.
   */
  seriesHistory(state: WindowEngineState, key: string): Float64Array | undefined;
  /**
   * Histories from a checkpoint: each series takes its own when it is next created, so that a
   * restarted engine continues EWMA and trend where the checkpoint left them.
   */
  seedHistories(state: WindowEngineState, histories: ReadonlyMap<string, Float64Array>): void;
}

const NONE: readonly EngineOutput[] = Object.freeze([]);
// Local copies: under tsx an imported binding is a getter call on every use (hot path below).
const ROW_MAX_TS = MAX_TS;
const ROW_LAST_PANE_START = LAST_PANE_START;
const ROW_PER_RECORD = PER_RECORD;
const wake = leaveDormant;

function compile(config: EngineConfig): Compiled {
  const scopesByMetric = new Map<string, { name: string; groupBy: readonly string[] }[]>();
  for (const s of config.scopes) {
    const def = { name: s.name, groupBy: [...s.groupBy].sort() };
    for (const m of new Set(s.metrics)) {
      const list = scopesByMetric.get(m) ?? [];
      list.push(def);
      scopesByMetric.set(m, list);
    }
  }
  return {
    config,
    size: config.window.sizeMs,
    advance: config.window.advanceMs,
    grace: config.window.graceMs,
    ooo: config.allowedOutOfOrdernessMs,
    idleAfter: config.idleAfterMs,
    tumbling: config.window.sizeMs === config.window.advanceMs,
    sortedDims: [...config.dimensionTags].sort(),
    sketch: { ...config.sketch },
    zeroFill: config.zeroFillWindows,
    scopesByMetric,
    emptySketchB64: sketchToBase64(createSketch(config.sketch)),
  };
}

function internal(state: WindowEngineState): InternalState {
  return state as InternalState;
}

/** `raise` false: the caller raises the watermark once after a record's last sample (`records`). */
function onRecord(
  st: InternalState,
  c: Compiled,
  partition: number,
  offset: Offset,
  rec: Telemetry,
  out: EngineOutput[],
  raise: boolean,
): void {
  const counters = st.counters;
  counters.consumed += 1;
  const ts = rec.ts;
  const value = rec.value;
  if (!Number.isFinite(ts) || !Number.isFinite(value)) {
    counters.rejected += 1;
    out.push({ kind: 'rejected', reason: 'invalid_value', partition, offset, record: rec });
    return;
  }
  let p: PartitionState | undefined = st.partitionById[partition];
  if (p === undefined) {
    // Replay from a file may not announce partitions: a record implies ownership.
    assignPartitions(st, [partition]);
    p = st.partitionById[partition];
    if (p === undefined) throw new RangeError(`partition must be an integer ≥ 0 (got ${partition})`);
  }
  const adv = c.advance;
  // floor division, not %: fmod on doubles (epoch ms are not small ints) is much slower.
  const paneStart = Math.floor(ts / adv) * adv;
  const lastEnd = paneStart + c.size;
  if (lastEnd + c.grace <= st.watermark) {
    counters.late += 1;
    out.push({ kind: 'late', partition, offset, record: rec, watermark: st.watermark });
  } else {
    const id = findSeries(st, c, rec, partition, out);
    if (id < 0) {
      counters.rejected += 1;
      out.push({ kind: 'rejected', reason: 'series_limit', partition, offset, record: rec });
    } else {
      aggregate(st, c, id, paneStart, value, ts);
      if (lastEnd !== p.lastPendingEnd) {
        if (!p.pending.has(lastEnd)) p.pending.set(lastEnd, offset);
        p.lastPendingEnd = lastEnd;
      }
    }
  }
  if (ts > p.maxTs) {
    p.maxTs = ts;
    if (ts > st.maxEventTime) st.maxEventTime = ts;
    if (raise) raiseWatermark(st, c, candidateWatermark(st, c), out);
  }
}

/**
 * Stores one on-time sample of series `id` in its pane and updates the series' last pane and
 * newest time: in its slot of `perRecord` (series-numbers.ts), not the series object nor its
 * row (a cache miss saved per record, or made cheaper).
 */
function aggregate(st: InternalState, c: Compiled, id: number, paneStart: number, value: number, ts: number): void {
  let b = st.lastBatch;
  if (b === null || b.start !== paneStart) {
    b = batchFor(st, c, paneStart);
    st.lastBatch = b;
  }
  if (b.len === b.values.length) makeRoom(st, c, b);
  b.ids[b.len] = id;
  b.values[b.len] = value;
  b.len += 1;
  const sn = st.numbers;
  const nums = sn.perRecord;
  const row = id * ROW_PER_RECORD;
  const lastPane = nums[row + ROW_LAST_PANE_START];
  if (paneStart > lastPane) {
    if (sn.dormant[id] === 1) wake(sn, st.dormant, id);
    nums[row + ROW_LAST_PANE_START] = paneStart;
  }
  st.counters.aggregated += 1;
  if (!c.tumbling && paneStart + c.advance + c.grace <= st.watermark) st.counters.partiallyLate += 1;
  if (ts > nums[row + ROW_MAX_TS]) nums[row + ROW_MAX_TS] = ts;
}

/** Raises the watermark to `w` (never lowers it), closing the windows it passes. */
function raiseWatermark(st: InternalState, c: Compiled, w: number, out: EngineOutput[]): void {
  if (!(w > st.watermark)) return;
  st.watermark = w;
  if (w >= st.nextCloseAt) closeDue(st, c, out);
  else {
    const open = firstOpenWindowStart(w, c);
    if (open > st.nextWindowStart) st.nextWindowStart = open;
  }
}

/** Gives up partitions: their series and buffered records go (the new owner re-reads them). */
function onRevoke(st: InternalState, c: Compiled, ids: readonly number[], out: EngineOutput[]): void {
  const removed = removePartitions(st, ids);
  if (removed.size === 0) return;
  const dead = [...st.seriesByKey.values()].filter((se) => removed.has(se.partition));
  // Drop their buffered records first (the new owner re-reads them), then free their ids.
  dropSeriesEntries(st, new Set(dead.map((se) => se.id)));
  for (const se of dead) killSeries(st, se);
  st.counters.revokedSeries += dead.length;
  raiseWatermark(st, c, candidateWatermark(st, c), out);
}

/** End of input: closes every window with data and forgets pending offsets. */
function onFlush(st: InternalState, c: Compiled, out: EngineOutput[]): void {
  // Zero-fill only up to the last window with data: after the end of a recording we do not
  // know that nothing happened, so we do not say so.
  const starts = st.paneStarts;
  const lastData = starts.length > 0 ? starts[starts.length - 1] : st.nextWindowStart - c.advance;
  st.zeroFillLimit = lastData;
  st.watermark = Infinity;
  closeDue(st, c, out);
  for (const p of st.partitions) {
    p.pending.clear();
    p.lastPendingEnd = NaN;
  }
}

/** Applies one input to the state, pushing its outputs to `out`. */
function apply(st: InternalState, c: Compiled, input: EngineInput, out: EngineOutput[]): void {
  switch (input.kind) {
    case 'record':
      onRecord(st, c, input.partition, input.offset, input.record, out, true);
      return;
    case 'records': {
      const recs = input.records;
      for (let i = 0; i < recs.length; i++) onRecord(st, c, input.partition, input.offset, recs[i], out, false);
      raiseWatermark(st, c, candidateWatermark(st, c), out);
      return;
    }
    case 'assign':
      assignPartitions(st, input.partitions);
      return;
    case 'revoke':
      onRevoke(st, c, input.partitions, out);
      return;
    case 'tick':
      raiseWatermark(st, c, input.watermark, out);
      return;
    case 'backlog': {
      const p = st.partitionById[input.partition];
      if (p === undefined || p.backlog === input.backlog) return;
      p.backlog = input.backlog;
      // Clearing a backlog may let an idle partition drop out of the watermark.
      if (!input.backlog) raiseWatermark(st, c, candidateWatermark(st, c), out);
      return;
    }
    case 'flush':
      onFlush(st, c, out);
      return;
  }
}

export function createEngine(input: EngineConfigInput | EngineConfig = {}): Engine {
  const config = resolveEngineConfig(input);
  assertEngineConfig(config);
  const c = compile(config);

  return {
    config,
    init: () => newState(config.trendWindows),
    step(state, input) {
      const st = internal(state);
      const out = st.scratchOut;
      if (out.length !== 0) out.length = 0; // left over if the previous step threw
      apply(st, c, input, out);
      // Most steps output nothing: one frozen result per state for them, not an object a record.
      if (out.length === 0) return st.quiet ?? (st.quiet = Object.freeze({ state, outputs: NONE }));
      const outputs = out.slice();
      // Emptied now, not at the next step: a window close can output a signal per series,
      // and the state would hold them all until the next input arrives.
      out.length = 0;
      return { state, outputs };
    },
    stepInto(state, input, out) {
      apply(internal(state), c, input, out);
    },
    stepAll(state, inputs) {
      const st = internal(state);
      const all: EngineOutput[] = [];
      for (const input of inputs) apply(st, c, input, all);
      return { state, outputs: all };
    },
    counters: (state) => ({ ...internal(state).counters }),
    watermark: (state) => internal(state).watermark,
    pendingOffset(state, partition) {
      const p = internal(state).partitionById[partition];
      if (p === undefined) return undefined;
      const first = p.pending.values().next();
      return first.done === true ? undefined : first.value;
    },
    seriesCount: (state) => internal(state).seriesByKey.size,
    openPanes: (state) => internal(state).batches.size,
    seriesHistory(state, key) {
      const st = internal(state);
      const se = st.seriesByKey.get(key);
      return se === undefined ? undefined : rowHistory(st.numbers, se.id);
    },
    seedHistories(state, histories) {
      const st = internal(state);
      for (const [key, h] of histories) {
        st.seededHistory.set(key, h);
        const se = st.seriesByKey.get(key);
        if (se !== undefined) seedRowHistory(st, se.id, key);
      }
    },
  };
}
