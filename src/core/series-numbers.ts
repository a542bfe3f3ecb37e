/**
 * The numbers of every live series, one row of doubles per series id in one shared
 * Float64Array, instead of fields of the Series object.
 *
 * Why: V8 keeps a double-valued object field (event times, NaN, ±Infinity) as a pointer to a
 * separate 16 B heap number, and the EWMA/trend history was an object with two small arrays:
 * ~380 B of heap per series together. A row is (2 + 4 + 2K) × 8 B (144 B at the default
 * K = 6), with 16 B more per id for the two numbers below (160 B in all), and costs no
 * allocation per series; see docs/benchmarks.md, memory.
 *
 * The two numbers every record reads and writes (its series' newest event time and newest
 * pane) are kept apart from the row, two doubles per id in `perRecord`: a record's series is
 * a random one of thousands, and a 16 B slot of a 160 KB array (10k series) is far likelier
 * to be in cache than the first line of a 144 B row of a 1.4 MB one. The row is read at a
 * window close, in id order.
 *
 * Beside them, small per-id columns (13 B per id) that the record path and the close read in
 * place of the Series object: the dormant byte and list links, and the rank in key order.
 *
 * Rows are indexed by series id, and ids are reused once a series is gone: newSeries resets
 * the row, and nothing may read the row of a dead series (its id may already belong to a
 * new one).
 */
import { packedHistorySize, resetPackedHistory } from '../signals/history';
import type { InternalState } from './state';
import { grown } from './grown';

/** In `perRecord`, at id · PER_RECORD: latest event time aggregated (eviction order; -Infinity before the first). */
export const MAX_TS = 0;
/** In `perRecord`: start of the newest pane holding its data: dormant once that pane is freed (-Infinity: none). */
export const LAST_PANE_START = 1;
/** Doubles per id in `perRecord`. */
export const PER_RECORD = 2;
/** In the row: start of the last window emitted (de-duplicates zero-fill; NaN: none). */
export const EMITTED_START = 0;
/** In the row: start of the last window with data emitted (zero-fill horizon; -Infinity: none). */
export const LAST_DATA_START = 1;
/** In the row: the packed EWMA/trend history (signals/history.ts) starts here. */
export const HISTORY = 2;

/** Rows of the first allocation (none before the first series: K may be large). */
const FIRST_ROWS = 8;

export interface SeriesNumbers {
  /** Doubles per row. */
  readonly stride: number;
  readonly trendWindows: number;
  /** rows × stride doubles; replaced (grown) as ids grow. */
  data: Float64Array;
  /** rows × PER_RECORD doubles (MAX_TS, LAST_PANE_START); grown with `data`. */
  perRecord: Float64Array;
  /** Per id: 1 while the series is in the dormant list `InternalState.dormant` (dormant-queue.ts). */
  dormant: Uint8Array;
  /** Per id: the dormant list's links (dormant-queue.ts; read only while `dormant` is 1). */
  dormantPrev: Int32Array;
  dormantNext: Int32Array;
  /**
   * Per id: the series' position in key order as of the last rank refresh, -1 while it has
   * none (created since, or killed): series-index.ts, refreshRanks.
   */
  rankOf: Int32Array;
}

export function createSeriesNumbers(trendWindows: number): SeriesNumbers {
  return {
    stride: HISTORY + packedHistorySize(trendWindows),
    trendWindows,
    data: new Float64Array(0),
    perRecord: new Float64Array(0),
    dormant: new Uint8Array(0),
    dormantPrev: new Int32Array(0),
    dormantNext: new Int32Array(0),
    rankOf: new Int32Array(0),
  };
}

/** Makes room for the row of `id` (doubling, so growth costs O(1) amortised per series) and resets it. */
export function resetRow(sn: SeriesNumbers, id: number): void {
  const at = id * sn.stride;
  if (at + sn.stride > sn.data.length) {
    let rows = Math.max(FIRST_ROWS, sn.data.length / sn.stride);
    while (rows <= id) rows *= 2;
    sn.data = grown(sn.data, rows * sn.stride);
    sn.perRecord = grown(sn.perRecord, rows * PER_RECORD);
    sn.dormant = grown(sn.dormant, rows);
    sn.dormantPrev = grown(sn.dormantPrev, rows);
    sn.dormantNext = grown(sn.dormantNext, rows);
    sn.rankOf = grown(sn.rankOf, rows);
  }
  sn.dormant[id] = 0;
  sn.rankOf[id] = -1;
  const hot = id * PER_RECORD;
  sn.perRecord[hot + MAX_TS] = -Infinity;
  sn.perRecord[hot + LAST_PANE_START] = -Infinity;
  const d = sn.data;
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
