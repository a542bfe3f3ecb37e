/**
 * The index's chains: metric → source → the ids of the series of that (source, metric), one
 * per combination of dimension values seen, matched against a record's tags — kept in
 * columns by series id, not in the Series objects.
 *
 * Why: without a series hint (series-hint.ts) every record takes this look-up, and its series
 * is a random one of thousands. Reading the first two dimension values and the next link from
 * the Series object cost a cache miss per record (a line-level profile of the hopping engine
 * bench put a third of the look-up's samples on that first read); two string slots and an
 * int per id, in arrays of 80 KB and 40 KB at 10k series, are far likelier to be in cache.
 * The Map holds the chain's first id, a small integer, so the look-up touches no Series
 * object at all: only `Series.dimsRest`, for a third dimension tag and beyond.
 */
import type { InternalState, Series } from './state';
import { grown } from './grown';

/** Series chained per (source, metric); beyond it lookups build the key (still correct). */
const CHAIN_LIMIT = 8;
const NONE = -1;

export interface SeriesChains {
  /** metric → source → id of the chain's first series (metric first: few, hot maps). */
  readonly byMetric: Map<string, Map<string, number>>;
  /** Per id, at 2·id and 2·id + 1: the values of the first two sorted dimension tags. */
  dims: (string | undefined)[];
  /** Per id: the next series id of the chain, -1 at its end. */
  next: Int32Array;
  /** Per id: 1 while the series is on a chain (chains are capped: the rest are found by key). */
  chained: Uint8Array;
}

export function createSeriesChains(): SeriesChains {
  return { byMetric: new Map(), dims: [], next: new Int32Array(64), chained: new Uint8Array(64) };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The id of the chained series of (source, metric) whose dimension values are the record's,
 * or -1. `dims` are the sorted dimension tags.
 */
export function chainedSeries(
  st: InternalState,
  source: string,
  metric: string,
  tags: Readonly<Record<string, string>>,
  dims: readonly string[],
): number {
  const ch = st.chains;
  const bySource = ch.byMetric.get(metric);
  if (bySource === undefined) return NONE;
  let id = bySource.get(source);
  if (id === undefined) return NONE;
  const n = dims.length;
  const d0 = n > 0 ? str(tags[dims[0]]) : undefined;
  const d1 = n > 1 ? str(tags[dims[1]]) : undefined;
  const values = ch.dims;
  const next = ch.next;
  while (id !== NONE) {
    if (values[2 * id] === d0 && values[2 * id + 1] === d1 && (n <= 2 || restMatch(st, id, tags, dims))) return id;
    id = next[id];
  }
  return NONE;
}

function restMatch(
  st: InternalState,
  id: number,
  tags: Readonly<Record<string, string>>,
  dims: readonly string[],
): boolean {
  const rest = (st.seriesById[id] as Series).dimsRest;
  for (let j = 2; j < dims.length; j++) {
    if (str(tags[dims[j]]) !== rest[j - 2]) return false;
  }
  return true;
}

/** Appends a new series to its (source, metric) chain, unless the chain is full. */
export function chain(st: InternalState, se: Series, d0: string | undefined, d1: string | undefined): void {
  const ch = st.chains;
  const id = se.id;
  grow(ch, id);
  ch.dims[2 * id] = d0;
  ch.dims[2 * id + 1] = d1;
  ch.next[id] = NONE;
  ch.chained[id] = 0;
  let bySource = ch.byMetric.get(se.metric);
  if (bySource === undefined) {
    bySource = new Map();
    ch.byMetric.set(se.metric, bySource);
  }
  const head = bySource.get(se.source);
  if (head === undefined) {
    bySource.set(se.source, id);
    ch.chained[id] = 1;
    return;
  }
  let tail = head;
  let length = 1;
  while (ch.next[tail] !== NONE) {
    tail = ch.next[tail];
    length += 1;
  }
  if (length < CHAIN_LIMIT) {
    ch.next[tail] = id;
    ch.chained[id] = 1;
  }
}

/** Takes a series off its chain (before its id is freed). */
export function unchain(st: InternalState, se: Series): void {
  const ch = st.chains;
  const id = se.id;
  if (ch.chained[id] === 0) return;
  ch.chained[id] = 0;
  const after = ch.next[id];
  ch.next[id] = NONE;
  const bySource = ch.byMetric.get(se.metric);
  if (bySource === undefined) return;
  const head = bySource.get(se.source);
  if (head === undefined) return;
  if (head === id) {
    if (after !== NONE) bySource.set(se.source, after);
    else {
      bySource.delete(se.source);
      if (bySource.size === 0) ch.byMetric.delete(se.metric);
    }
    return;
  }
  let prev = head;
  while (ch.next[prev] !== NONE && ch.next[prev] !== id) prev = ch.next[prev];
  if (ch.next[prev] === id) ch.next[prev] = after;
}

/** Makes room for id in the per-id columns (doubling). */
function grow(ch: SeriesChains, id: number): void {
  while (ch.dims.length < 2 * id + 2) ch.dims.push(undefined, undefined);
  if (id < ch.next.length) return;
  let cap = ch.next.length;
  while (cap <= id) cap *= 2;
  ch.next = grown(ch.next, cap);
  ch.chained = grown(ch.chained, cap);
}
