/**
 * Pane batches (see PaneBatch in state.ts): creation, growth, compaction, release.
 */
import { createSketch, type DDSketch } from '../signals/ddsketch';
import type { CloseScratch, Compiled, InternalState, PaneBatch, PaneRuns } from './state';
import { grown } from './grown';

const INITIAL_CAPACITY = 4096;
/**
 * Entries a batch holds before it is folded into per-series sketches: 32 per live series
 * (so a compaction costs one sketch lookup per ~32 values), at least 64 Ki (768 KiB of
 * columns) and at most 4 Mi (48 MiB). Memory stays bounded by series count, not throughput.
 */
const COMPACT_PER_SERIES = 32;
const COMPACT_MIN = 1 << 16;
const COMPACT_MAX = 1 << 22;

function compactAt(st: InternalState): number {
  return Math.min(COMPACT_MAX, Math.max(COMPACT_MIN, COMPACT_PER_SERIES * st.seriesByKey.size));
}
const POOL_LIMIT = 16;
/** A pane's codes before its first close (closer.ts grows them to the pane's columns). */
const NO_CODES = new Int32Array(0);

/** The open batch of pane `start`, created (and scheduled for closing) if needed. */
export function batchFor(st: InternalState, c: Compiled, start: number): PaneBatch {
  const known = st.batches.get(start);
  if (known !== undefined) return known;
  let b = st.batchPool.pop();
  if (b === undefined) {
    b = {
      start,
      ids: new Int32Array(INITIAL_CAPACITY),
      values: new Float64Array(INITIAL_CAPACITY),
      len: 0,
      compacted: null,
      grouped: 0,
      runs: newRuns(),
      codes: NO_CODES,
      coded: false,
    };
  } else {
    b = {
      start,
      ids: b.ids,
      values: b.values,
      len: 0,
      compacted: null,
      grouped: 0,
      runs: b.runs,
      codes: b.codes,
      coded: false,
    };
    b.runs.count = 0;
  }
  st.batches.set(start, b);
  const starts = st.paneStarts;
  let i = starts.length;
  while (i > 0 && starts[i - 1] > start) i--;
  starts.splice(i, 0, start);
  // The first window holding this pane may now be the next one to close.
  const first = Math.max(st.nextWindowStart, start - c.size + c.advance);
  const at = first + c.size + c.grace;
  if (at < st.nextCloseAt) st.nextCloseAt = at;
  return b;
}

/** Makes room for one more entry: doubles the columns, or compacts once they are large enough. */
export function makeRoom(st: InternalState, c: Compiled, b: PaneBatch): void {
  const cap = b.values.length;
  if (cap < compactAt(st)) {
    const ids = new Int32Array(cap * 2);
    const values = new Float64Array(cap * 2);
    ids.set(b.ids.subarray(0, b.len));
    values.set(b.values.subarray(0, b.len));
    b.ids = ids;
    b.values = values;
    return;
  }
  compact(st, c, b);
}

/** Grows the per-series-id scratch arrays of `cs` to hold ids below `n`. */
export function ensureIdCapacity(cs: CloseScratch, n: number): void {
  if (cs.counts.length >= n) return;
  let cap = cs.counts.length;
  while (cap < n) cap *= 2;
  cs.stamp = grown(cs.stamp, cap);
  cs.emit = grown(cs.emit, cap);
  cs.counts = new Int32Array(cap);
  cs.cursor = new Int32Array(cap);
}

/**
 * Folds every entry into per-series sketches and empties the columns: the pane is grouped
 * by series first (groupBatch), so each series' sketch is looked up once per compaction,
 * not per entry, and takes its values in arrival order.
 */
export function compact(st: InternalState, c: Compiled, b: PaneBatch): void {
  let sketches = b.compacted;
  if (sketches === null) {
    sketches = new Map();
    b.compacted = sketches;
  }
  groupBatch(st, b);
  const { ids, starts, lens } = b.runs;
  const values = b.values;
  for (let r = 0; r < b.runs.count; r++) {
    const id = ids[r];
    let sk = sketches.get(id);
    if (sk === undefined) {
      sk = createSketch(c.sketch);
      sketches.set(id, sk);
    }
    const end = starts[r] + lens[r];
    for (let k = starts[r]; k < end; k++) sk.add(values[k]);
  }
  b.len = 0;
  b.grouped = 0;
  b.runs.count = 0;
}

function newRuns(): PaneRuns {
  return {
    count: 0,
    ids: new Int32Array(64),
    starts: new Int32Array(64),
    lens: new Int32Array(64),
    scoped: new Uint8Array(64),
  };
}

function growRuns(runs: PaneRuns, n: number): void {
  if (runs.ids.length >= n) return;
  let cap = runs.ids.length;
  while (cap < n) cap *= 2;
  runs.ids = new Int32Array(cap);
  runs.starts = new Int32Array(cap);
  runs.lens = new Int32Array(cap);
  runs.scoped = new Uint8Array(cap);
}

/**
 * Groups the pane's entries by series (a stable counting sort into the spare columns, which
 * are then swapped with the pane's), so that each series' entries are one contiguous run
 * in arrival order, and records the runs. Stable, so regrouping a pane whose grouped prefix
 * got new entries appended keeps each series' entries in arrival order. A no-op when
 * nothing arrived since the last grouping.
 */
export function groupBatch(st: InternalState, b: PaneBatch): void {
  const n = b.len;
  if (b.grouped === n) return;
  const cs = st.close;
  ensureIdCapacity(cs, st.seriesById.length);
  const now = (cs.stampNow = (cs.stampNow + 1) | 0);
  const { counts, stamp, cursor } = cs;
  const touched = cs.touched;
  touched.length = 0;
  const ids = b.ids;
  const values = b.values;
  for (let k = 0; k < n; k++) {
    const id = ids[k];
    if (stamp[id] !== now) {
      stamp[id] = now;
      counts[id] = 0;
      touched.push(id);
    }
    counts[id] += 1;
  }
  const runs = b.runs;
  growRuns(runs, touched.length);
  let total = 0;
  for (let r = 0; r < touched.length; r++) {
    const id = touched[r];
    runs.ids[r] = id;
    runs.starts[r] = total;
    runs.lens[r] = counts[id];
    cursor[id] = total;
    total += counts[id];
  }
  runs.count = touched.length;
  if (cs.spareValues.length !== values.length) {
    cs.spareIds = new Int32Array(values.length);
    cs.spareValues = new Float64Array(values.length);
  }
  const gIds = cs.spareIds;
  const gValues = cs.spareValues;
  for (let k = 0; k < n; k++) {
    const at = cursor[ids[k]]++;
    gIds[at] = ids[k];
    gValues[at] = values[k];
  }
  cs.spareIds = ids;
  cs.spareValues = values;
  b.ids = gIds;
  b.values = gValues;
  b.grouped = n;
  // Entries moved: their codes are recomputed when next read (every change to the entries
  // — appends, compaction, revocation — leads here before they are read again).
  b.coded = false;
  touched.length = 0;
}

/**
 * Codes the grouped values of the pane's scoped series (DDSketch.codeValues; the only values a
 * scope group bins), unless they are coded already.
 */
export function codeBatch(st: InternalState, b: PaneBatch, coder: DDSketch): void {
  if (b.coded) return;
  if (b.codes.length < b.values.length) b.codes = new Int32Array(b.values.length);
  const { ids, starts, lens, count, scoped } = b.runs;
  const byId = st.seriesById;
  for (let r = 0; r < count; r++) {
    const se = byId[ids[r]];
    const coding = se !== undefined && se.scopes.members.length > 0;
    scoped[r] = coding ? 1 : 0;
    if (coding) coder.codeValues(b.values, b.codes, starts[r], starts[r] + lens[r]);
  }
  b.coded = true;
}

/** Drops a closed batch, keeping its columns for reuse. */
export function releaseBatch(st: InternalState, b: PaneBatch): void {
  st.batches.delete(b.start);
  if (st.paneStarts[0] === b.start) st.paneStarts.shift();
  else {
    const i = st.paneStarts.indexOf(b.start);
    if (i >= 0) st.paneStarts.splice(i, 1);
  }
  if (st.lastBatch === b) st.lastBatch = null;
  b.compacted = null;
  b.len = 0;
  b.grouped = 0;
  b.runs.count = 0;
  if (st.batchPool.length < POOL_LIMIT) st.batchPool.push(b);
}

/** Removes the entries of the given series ids from every open batch (partition revoked). */
export function dropSeriesEntries(st: InternalState, dead: ReadonlySet<number>): void {
  for (const b of st.batches.values()) {
    let w = 0;
    for (let k = 0; k < b.len; k++) {
      const id = b.ids[k];
      if (dead.has(id)) continue;
      b.ids[w] = id;
      b.values[w] = b.values[k];
      w++;
    }
    b.len = w;
    // Other series' runs moved: regroup when next read.
    b.grouped = 0;
    b.runs.count = 0;
    if (b.compacted !== null) for (const id of dead) b.compacted.delete(id);
  }
}
