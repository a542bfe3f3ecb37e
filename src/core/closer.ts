/**
 * Closing windows: when the watermark passes a window's end + grace, emit one signal per
 * series with data in it (and zero-fill signals), the stage-one scope partials, then free
 * the pane no later window needs.
 *
 * Windows are aligned to the epoch: window k is [k·advance, k·advance + size). Records are
 * stored once, in the pane [k·advance, (k+1)·advance) holding them; a window is the union
 * of its size/advance panes ("No pane, no gain", Li et al., SIGMOD Record 2005,
 * https://doi.org/10.1145/1058150.1058158). Pane p is freed when window p — the last one
 * covering it — closes. Each pane's (series, value) columns are grouped by series once, by a
 * stable counting sort, when the first window covering the pane closes (records that reach
 * the pane later are regrouped in when next read); each window then gathers its series'
 * runs pane by pane and builds each series' sketch from them. The values reach the sketch
 * in the same order as before panes were grouped — pane by pane, arrival order within a
 * pane — so the floating-point sums, and so every output, are unchanged.
 *
 * Order: windows close in ascending start (hence end); within a window, outputs are sorted
 * by key (code-unit order). So every batch of outputs is sorted by (windowEnd, key).
 */
import type { WindowSignal } from '../model/signal';
import { createSketch, type DDSketch } from '../signals/ddsketch';
import { PACKED_EWMA, PACKED_TREND, recordMeanPacked } from '../signals/history';
import { buildSignal, type SignalExtras } from '../signals/window-signal';
import { emitPartials, groupOf, mergeByKey, type GroupAcc } from './close-partials';
import { codeBatch, ensureIdCapacity, groupBatch, releaseBatch } from './batches';
import { joinDormant } from './dormant-queue';
import { refreshRanks } from './series-index';
import { HISTORY, LAST_DATA_START, LAST_PANE_START, PER_RECORD } from './series-numbers';
import { ensurePositions, rankOrder, seriesToEmit } from './close-order';
import type { CloseScratch, Compiled, InternalState, PaneBatch, Series } from './state';
import type { EngineOutput } from './types';
import { firstOpenWindowStart } from './watermark';

// Offsets in a series' row, copied once: under tsx an imported binding is a getter call per use.
const ROW_LAST_DATA = LAST_DATA_START;
const ROW_LAST_PANE = LAST_PANE_START;
const ROW_PER_RECORD = PER_RECORD;
const ROW_HISTORY = HISTORY;
const ROW_EWMA = HISTORY + PACKED_EWMA;
const ROW_TREND = HISTORY + PACKED_TREND;

const NO_PARTITIONS: number[] = [];
/** Next window start with something to emit (NaN: none). */
function nextCandidate(st: InternalState, c: Compiled): number {
  const next = st.nextWindowStart;
  const until = Math.min(st.zeroFillUntil, st.zeroFillLimit);
  if (until !== -Infinity && next <= until) return next;
  if (st.paneStarts.length === 0) return NaN;
  return Math.max(next, st.paneStarts[0] - c.size + c.advance);
}

/** Closes every window the watermark has passed, then recomputes when the next one closes. */
export function closeDue(st: InternalState, c: Compiled, out: EngineOutput[]): void {
  for (;;) {
    const s = nextCandidate(st, c);
    if (Number.isNaN(s)) {
      st.nextCloseAt = Infinity;
      break;
    }
    const at = s + c.size + c.grace;
    if (at > st.watermark) {
      st.nextCloseAt = at;
      break;
    }
    closeWindow(st, c, s, out);
    st.nextWindowStart = s + c.advance;
  }
  const open = firstOpenWindowStart(st.watermark, c);
  if (open > st.nextWindowStart) st.nextWindowStart = open;
}

/** Closes window [s, s + size): its series' signals and scope partials, key-ordered, into `out`. */
function closeWindow(st: InternalState, c: Compiled, s: number, out: EngineOutput[]): void {
  const e = s + c.size;
  const cs = st.close;
  const sk = cs.sketch ?? (cs.sketch = createSketch(c.sketch));
  const coding = c.scopesByMetric.size > 0 && sk.codesFit();
  const batches = windowPanes(st, e, coding ? sk : null);
  ensureIdCapacity(cs, st.seriesById.length);
  const now = (cs.stampNow = (cs.stampNow + 1) | 0);
  countEntries(cs, batches, now);
  const horizon = s - c.zeroFill * c.advance;
  const list = seriesToEmit(st, c, s, horizon, now);
  refreshRanks(st);
  const grouped = gatherRuns(cs, list, batches, now);
  seriesSignals(st, c, { s, e, now, list, batches, grouped });
  const order = rankOrder(cs, list.length);

  const groups = new Map<string, GroupAcc>();
  const codes = coding ? gatheredCodes(cs, batches) : null;
  const signals = inKeyOrder(cs, list, order, grouped, codes, groups, c);
  st.counters.signals += signals.length;
  const partials = emitPartials(st, c, s, e, horizon, groups);
  st.counters.partials += partials.length;
  if (signals.length + partials.length > 0) st.counters.windowsClosed += 1;
  mergeByKey(signals, partials, out);

  freePane(st, c, s, cs.leaving);
  list.length = 0;
  cs.signals.length = 0;
  cs.members.length = 0;
  cs.copies.clear();
}

/**
 * The panes of the window ending at e, each grouped by series, and its scoped values coded
 * when `coder` is given. Each pane is grouped and coded once (the first window covering it
 * closes first), so the passes of a close cost one step per (pane, series) run, not per
 * record and window, and a scoped value takes one log, not one per window and scope group.
 */
function windowPanes(st: InternalState, e: number, coder: DDSketch | null): PaneBatch[] {
  const batches: PaneBatch[] = [];
  const starts = st.paneStarts;
  for (let i = 0; i < starts.length && starts[i] < e; i++) {
    const b = st.batches.get(starts[i]);
    if (b === undefined) continue;
    groupBatch(st, b);
    if (coder !== null) codeBatch(st, b, coder);
    batches.push(b);
  }
  return batches;
}

/** Pass 1 of a close: counts each series' entries in the window's panes (stamped `now`), listing them in `touched`. */
function countEntries(cs: CloseScratch, batches: readonly PaneBatch[], now: number): void {
  const { counts, stamp } = cs;
  const touched = cs.touched;
  touched.length = 0;
  for (const b of batches) {
    const runs = b.runs;
    const runIds = runs.ids;
    const lens = runs.lens;
    for (let r = 0; r < runs.count; r++) {
      const id = runIds[r];
      if (stamp[id] !== now) {
        stamp[id] = now;
        counts[id] = 0;
        touched.push(id);
      }
      counts[id] += lens[r];
    }
    if (b.compacted !== null) {
      for (const id of b.compacted.keys()) {
        if (stamp[id] !== now) {
          stamp[id] = now;
          counts[id] = 0;
          touched.push(id);
        }
      }
    }
  }
}

/** What a close has gathered for its window, handed to the per-series pass. */
interface WindowClose {
  readonly s: number;
  readonly e: number;
  readonly now: number;
  readonly list: readonly Series[];
  readonly batches: readonly PaneBatch[];
  readonly grouped: Float64Array;
}

/** A position's flags: its series feeds scope groups; its newest data is in the pane this close frees. */
const SCOPED = 1;
const LEAVING = 2;

/**
 * Pass 3 of a close, in id order: one signal per listed series, its history recorded, and
 * what the key-ordered pass needs (rank, flags, its values' range or a copy of its sketch).
 */
function seriesSignals(st: InternalState, c: Compiled, w: WindowClose): void {
  const cs = st.close;
  const { counts, stamp, cursor } = cs;
  const { s, e, now, batches, grouped, list } = w;
  const nums = st.numbers.data;
  const stride = st.numbers.stride;
  const perRecord = st.numbers.perRecord;
  const sk = cs.sketch ?? (cs.sketch = createSketch(c.sketch));
  ensurePositions(cs, list.length);
  const { ids, ranks, flags, from, to, signals, members, sumMinMax } = cs;
  const rankOf = st.numbers.rankOf;
  // One extras object for the whole close: buildSignal copies its fields into the signal.
  const extras: SignalExtras = { ewma: 0, trend: 0, partial: false, partitions: NO_PARTITIONS };
  for (let i = 0; i < list.length; i++) {
    const se = list[i];
    const id = se.id;
    let windowSk: DDSketch | null = null;
    let f = 0;
    const row = id * stride;
    if (stamp[id] === now) {
      sk.reset();
      const end = cursor[id];
      const start = end - counts[id];
      for (let j = start; j < end; j++) sk.add(grouped[j]);
      let whole = true;
      for (const b of batches) {
        const part = b.compacted?.get(id);
        if (part !== undefined) {
          sk.merge(part);
          whole = false;
        }
      }
      windowSk = sk;
      recordData(st, c, se, s, sk);
      if (se.scopes.members.length > 0) {
        f |= SCOPED;
        from[i] = start;
        to[i] = end;
        members[i] = se.scopes.members;
        sumMinMax[3 * i] = sk.sum;
        sumMinMax[3 * i + 1] = sk.min;
        sumMinMax[3 * i + 2] = sk.max;
        // Not just the gathered values: the groups merge the sketch itself.
        if (!whole || !sk.isRaw()) cs.copies.set(i, sk.copy());
      }
    } else {
      st.counters.zeroSignals += 1;
    }
    if (perRecord[id * ROW_PER_RECORD + ROW_LAST_PANE] === s) f |= LEAVING;
    extras.ewma = nums[row + ROW_EWMA];
    extras.trend = nums[row + ROW_TREND];
    extras.partitions = se.partitions;
    signals[i] = buildSignal(se, s, e, windowSk, extras);
    ids[i] = id;
    ranks[i] = rankOf[id];
    flags[i] = f;
  }
}

/**
 * Pass 4 of a close, in key order: the signals, the scope groups fed (their sums are folds
 * over the series in key order, as before), and the series leaving with the freed pane (in
 * key order: the eviction order). Returns the signals.
 */
function inKeyOrder(
  cs: CloseScratch,
  list: readonly Series[],
  order: Int32Array,
  grouped: Float64Array,
  codes: Int32Array | null,
  groups: Map<string, GroupAcc>,
  c: Compiled,
): WindowSignal[] {
  const { ids, flags, from, to, signals: byPosition, members: membersAt, sumMinMax } = cs;
  const leaving = cs.leaving;
  leaving.length = 0;
  const n = list.length;
  const signals = new Array<WindowSignal>(n);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const signal = byPosition[i];
    signals[k] = signal;
    const f = flags[i];
    if (f === 0) continue;
    if ((f & SCOPED) !== 0) {
      const members = membersAt[i];
      const copy = cs.copies.get(i);
      const sum = sumMinMax[3 * i];
      const min = sumMinMax[3 * i + 1];
      const max = sumMinMax[3 * i + 2];
      for (const m of members) {
        const g = groupOf(c, m, groups);
        if (copy !== undefined) g.sk.merge(copy);
        else if (codes !== null) g.sk.mergeCoded(grouped, codes, from[i], to[i], sum, min, max);
        else g.sk.mergeRaw(grouped, from[i], to[i], sum, min, max);
      }
    }
    if ((f & LEAVING) !== 0) leaving.push(ids[i]);
  }
  return signals;
}

/** Records a series' data in window s: its history (EWMA, trend), last data start and zero-fill horizon. */
function recordData(st: InternalState, c: Compiled, se: Series, s: number, sk: DDSketch): void {
  const nums = st.numbers.data;
  const row = se.id * st.numbers.stride;
  const position = s / c.advance;
  recordMeanPacked(nums, row + ROW_HISTORY, c.config.trendWindows, position, sk.sum / sk.count, c.config.ewmaAlpha);
  nums[row + ROW_LAST_DATA] = s;
  if (c.zeroFill > 0) {
    if (!se.inRecent) {
      st.recent.add(se);
      se.inRecent = true;
    }
    const until = s + c.zeroFill * c.advance;
    if (until > st.zeroFillUntil) st.zeroFillUntil = until;
  }
}

/**
 * Pass 2 of a close: lays each series' values (and their codes, in cs.groupedCodes) out
 * contiguously, pane by pane, and leaves cursor[id] at the end of its values in the returned
 * array. A window of one pane (tumbling windows) already has them so in the pane's grouped
 * columns: no copy.
 */
function gatherRuns(
  cs: CloseScratch,
  list: readonly Series[],
  batches: readonly PaneBatch[],
  now: number,
): Float64Array {
  const { counts, stamp, cursor } = cs;
  if (batches.length === 1) {
    const { ids, starts, lens, count } = batches[0].runs;
    for (let r = 0; r < count; r++) cursor[ids[r]] = starts[r] + lens[r];
    return batches[0].values;
  }
  let total = 0;
  for (const se of list) {
    if (stamp[se.id] !== now) continue;
    cursor[se.id] = total;
    total += counts[se.id];
  }
  if (cs.grouped.length < total) {
    let cap = cs.grouped.length;
    while (cap < total) cap *= 2;
    cs.grouped = new Float64Array(cap);
  }
  if (cs.groupedCodes.length < cs.grouped.length) cs.groupedCodes = new Int32Array(cs.grouped.length);
  const grouped = cs.grouped;
  // Codes travel with their values: those of scoped series, the only ones read.
  const codes = cs.groupedCodes;
  for (const b of batches) {
    const values = b.values;
    const paneCodes = b.codes;
    const coded = b.coded;
    const { ids: runIds, starts: runStarts, lens, scoped } = b.runs;
    for (let r = 0; r < b.runs.count; r++) {
      const id = runIds[r];
      let at = cursor[id];
      const from = runStarts[r];
      const to = from + lens[r];
      if (coded && scoped[r] === 1) for (let k = from, j = at; k < to; k++, j++) codes[j] = paneCodes[k];
      for (let k = from; k < to; k++) grouped[at++] = values[k];
      cursor[id] = at;
    }
  }
  return grouped;
}

/** The codes parallel to gatherRuns' values: for a window of one pane, the pane's own, as its values. */
function gatheredCodes(cs: CloseScratch, batches: readonly PaneBatch[]): Int32Array {
  return batches.length === 1 ? batches[0].codes : cs.groupedCodes;
}

/** Frees pane s (window s was the last to cover it); series whose newest data it held turn dormant. */
function freePane(st: InternalState, c: Compiled, s: number, leaving: number[]): void {
  const b = st.batches.get(s);
  if (b !== undefined) {
    // Every series with data in pane s is in the list of window s, and `leaving` holds those
    // whose newest data it is, in key order: marking them dormant in that order makes the
    // eviction order deterministic.
    const sn = st.numbers;
    const queue = st.dormant;
    for (let k = 0; k < leaving.length; k++) joinDormant(sn, queue, leaving[k]);
    releaseBatch(st, b);
    const end = s + c.size;
    for (const p of st.partitions) p.pending.delete(end);
  }
  leaving.length = 0;
}
