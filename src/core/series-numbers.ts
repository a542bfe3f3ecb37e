/**
 * The numbers of every live series, one row of doubles per series id in one shared
 * Float64Array, instead of fields of the Series object.
 *
 * Why: V8 keeps a double-valued object field (event times, NaN, ±Infinity) as a pointer to a
 * separate 16 B heap number, and the EWMA/trend history was an object with two small arrays:
 * ~380 B of heap per series together. A row is (4 + 4 + 2K) × 8 B (160 B at the default
 * K = 6) and costs no allocation per series; see docs/benchmarks.md, memory.
 *
 * Rows are indexed by series id, and ids are reused once a series is gone: newSeries resets
 * the row, and nothing may read the row of a dead series (its id may already belong to a
 * new one).
 */
import { packedHistorySize, resetPackedHistory } from '../signals/history';
import type { InternalState } from './state';

/** Latest event time aggregated (eviction order; -Infinity before the first). */
export const MAX_TS = 0;
/** Start of the newest pane holding its data: dormant once that pane is freed (-Infinity: none). */
export const LAST_PANE_START = 1;
/** Start of the last window emitted (de-duplicates zero-fill; NaN: none). */
export const EMITTED_START = 2;
/** Start of the last window with data emitted (zero-fill horizon; -Infinity: none). */
export const LAST_DATA_START = 3;
/** The packed EWMA/trend history (signals/history.ts) starts here. */
export const HISTORY = 4;

/** Rows of the first allocation (none before the first series: K may be large). */
const FIRST_ROWS = 8;

export interface SeriesNumbers {
  /** Doubles per row. */
  readonly stride: number;
  readonly trendWindows: number;
  /** rows × stride doubles; replaced (grown) as ids grow. */
  data: Float64Array;
}

export function createSeriesNumbers(trendWindows: number): SeriesNumbers {
  return { stride: HISTORY + packedHistorySize(trendWindows), trendWindows, data: new Float64Array(0) };
}

/** Makes room for the row of `id` (doubling, so growth costs O(1) amortised per series) and resets it. */
export function resetRow(sn: SeriesNumbers, id: number): void {
  const at = id * sn.stride;
  if (at + sn.stride > sn.data.length) {
    let rows = Math.max(FIRST_ROWS, sn.data.length / sn.stride);
    while (rows <= id) rows *= 2;
    const grown = new Float64Array(rows * sn.stride);
    grown.set(sn.data);
    sn.data = grown;
  }
  const d = sn.data;
  d[at + MAX_TS] = -Infinity;
  d[at + LAST_PANE_START] = -Infinity;
  d[at + EMITTED_START] = NaN;
  d[at + LAST_DATA_START] = -Infinity;
  resetPackedHistory(d, at + HISTORY, sn.trendWindows);
}

/** The packed EWMA/trend history of row `id` (a copy: the row may be reused). */
export function rowHistory(sn: SeriesNumbers, id: number): Float64Array {
  const at = id * sn.stride + HISTORY;
  return sn.data.slice(at, at + packedHistorySize(sn.trendWindows));
}

/** Gives the new series `key` (row `id`) the history seeded for it, once. */
export function seedRowHistory(st: InternalState, id: number, key: string): void {
  const h = st.seededHistory.get(key);
  if (h === undefined) return;
  st.seededHistory.delete(key);
  const sn = st.numbers;
  // A history written with another trendWindows does not fit: the series starts afresh.
  if (h.length === packedHistorySize(sn.trendWindows)) sn.data.set(h, id * sn.stride + HISTORY);
}
