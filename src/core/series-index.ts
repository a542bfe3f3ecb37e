/**
 * Finding, creating and evicting series.
 *
 * Hot path: one open-addressing table by (source, metric, dimension values), matched by
 * comparing the record's fields with the slot's — no string is built per record
 * (series-table.ts). The key string is only built for a new series, or when the table could
 * not place every live series (then the Map by key is asked too).
 *
 * Cap (maxSeries): a new series first evicts the dormant series — no data in an open pane,
 * only EWMA/trend/zero-fill history — that became dormant first, which is the one whose latest
 * event time is oldest (panes are freed in event-time order; ties broken by key). If every
 * series has an open window, evicting one would either emit a window twice or lose its
 * data, so the new record is rejected (`series_limit`, DLQ) instead — the same choice as
 * the cardinality limits of Prometheus and M3: protect the series that exist.
 */
import type { Telemetry } from '../model/telemetry';
import { acquireScopes, releaseScopes } from './scope-memberships';
import { hintOf, hintSource, hintedSeries, storeHint } from './series-hint';
import { insertSeries, removeSeries, tableSeries } from './series-table';
import { leaveDormant, NONE } from './dormant-queue';
import { compareKeys, pickTags, seriesKey } from './series-key';
import { MAX_TS, PER_RECORD, resetRow, seedRowHistory } from './series-numbers';
import type { Compiled, InternalState, Series } from './state';
import type { EngineOutput } from './types';

const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});
const NO_DIMS: readonly (string | undefined)[] = Object.freeze([]);

// Local copies: under tsx an imported function is read through a getter on every call (hot path).
const slotOf = hintOf;
const hinted = hintedSeries;
const remember = storeHint;
const sourceOf = hintSource;
const inTable = tableSeries;

/**
 * The id of the live series of a record, creating the series if needed; -1 when the cap
 * rejects it. First the slot on a shared tags object (series-hint.ts), then the index.
 */
export function findSeries(
  st: InternalState,
  c: Compiled,
  rec: Telemetry,
  partition: number,
  out: EngineOutput[],
): number {
  const tags = rec.tags ?? NO_TAGS;
  const hint = slotOf(tags);
  if (hint === undefined) {
    return indexSeries(st, c, rec, tags, partition, out);
  }
  const known = hinted(hint, st.hints, rec.source, rec.metric);
  if (known >= 0) return known;
  const id = indexSeries(st, c, rec, tags, partition, out);
  if (id < 0) return -1;
  // After the look-up: an eviction it made has moved the generation already.
  if (rec.source === sourceOf(hint)) remember(hint, st.hints, rec.metric, id);
  return id;
}

/**
 * The index look-up of findSeries: the series id, or -1 when the cap rejects a new series. An
 * id, not the Series: a placed series is found without reading its object (series-table.ts).
 */
function indexSeries(
  st: InternalState,
  c: Compiled,
  rec: Telemetry,
  tags: Readonly<Record<string, string>>,
  partition: number,
  out: EngineOutput[],
): number {
  const placed = inTable(st, rec.source, rec.metric, tags, c.sortedDims);
  if (placed >= 0) return placed;
  const dimTags = pickTags(tags, c.sortedDims);
  const key = seriesKey(rec.source, rec.metric, dimTags, c.sortedDims);
  // Every live series is in the table unless some could not be placed: only then may a miss be wrong.
  if (st.table.outside > 0) {
    const existing = st.seriesByKey.get(key);
    if (existing !== undefined) return existing.id;
  }
  if (st.seriesByKey.size >= c.config.maxSeries && !evictOne(st, out)) return -1;
  const se = newSeries(st, c, key, rec.source, rec.metric, dimTags, partition);
  st.seriesByKey.set(key, se);
  const dims = c.sortedDims;
  insertSeries(st, se, dims.length > 0 ? dimTags[dims[0]] : undefined, dims.length > 1 ? dimTags[dims[1]] : undefined);
  return se.id;
}

function newSeries(
  st: InternalState,
  c: Compiled,
  key: string,
  source: string,
  metric: string,
  tags: Record<string, string>,
  partition: number,
): Series {
  const dims = c.sortedDims;
  const id = st.freeIds.length > 0 ? (st.freeIds.pop() as number) : st.seriesById.length;
  resetRow(st.numbers, id);
  if (st.seededHistory.size > 0) seedRowHistory(st, id, key);
  const se: Series = {
    id,
    dimsRest: dims.length > 2 ? dims.slice(2).map((d) => tags[d]) : NO_DIMS,
    scope: 'series',
    key,
    source,
    metric,
    tags: Object.freeze(tags),
    partition,
    partitions: partitionList(st, partition),
    scopes: acquireScopes(st, c, metric, tags),
    alive: true,
    inRecent: false,
  };
  st.seriesById[id] = se;
  st.unranked.push(se);
  st.ranksStale = true;
  return se;
}

/** The frozen `[partition]` shared by the partition's series (their signals' `partitions`). */
function partitionList(st: InternalState, partition: number): number[] {
  let list = st.partitionLists[partition];
  if (list === undefined) {
    list = Object.freeze([partition]) as number[];
    st.partitionLists[partition] = list;
  }
  return list;
}

/**
 * Removes a series from every index and frees its id. Only for a series with no entry in
 * an open batch: a dormant one, or one whose entries dropSeriesEntries removed.
 */
export function killSeries(st: InternalState, se: Series): void {
  se.alive = false;
  // Dropped from the rank order at the next refresh, so a shrinking set lets go of it too.
  st.numbers.rankOf[se.id] = -1;
  st.ranksStale = true;
  st.hints.gen += 1;
  releaseScopes(st, se.scopes);
  st.seriesByKey.delete(se.key);
  st.seriesById[se.id] = undefined;
  st.freeIds.push(se.id);
  st.recent.delete(se);
  leaveDormant(st.numbers, st.dormant, se.id);
  removeSeries(st, se);
}

function evictOne(st: InternalState, out: EngineOutput[]): boolean {
  const first = st.dormant.head;
  if (first === NONE) return false;
  const victim = st.seriesById[first] as Series;
  // Read before the kill: its id (and row of numbers) is free for the next series after it.
  const latestEventTime = st.numbers.perRecord[victim.id * PER_RECORD + MAX_TS];
  killSeries(st, victim);
  st.counters.evicted += 1;
  out.push({ kind: 'evicted', key: victim.key, partition: victim.partition, latestEventTime });
  return true;
}

/**
 * Re-assigns each live series' rank (position in key order, `SeriesNumbers.rankOf` by id)
 * after series were added or killed, so that sorting a window's series is an integer compare. Only the series created since the last
 * refresh are sorted; they are merged into the kept order by binary search, so a refresh
 * costs k log k + k log n key comparisons and one pass over n, not a sort of all n series
 * (100k series with a few hundred new each window: the full sort was most of a close). The
 * order is kept as ids and the ranks in a per-id column, so the pass over n touches no Series
 * object (writing `rank` on each of 100k objects was a cache miss apiece).
 */
export function refreshRanks(st: InternalState): void {
  if (!st.ranksStale) return;
  const fresh = st.unranked.filter(isAlive).sort(byKey);
  const rankOf = st.numbers.rankOf;
  const all = mergeByKey(st, stillRanked(st.rankOrder, rankOf), fresh);
  for (let i = 0; i < all.length; i++) rankOf[all[i]] = i;
  st.rankOrder = all;
  st.unranked = [];
  st.ranksStale = false;
}

const isAlive = (se: Series): boolean => se.alive;
const byKey = (a: Series, b: Series): number => compareKeys(a.key, b.key);

/**
 * The ids of `kept` still ranked (killed series have rank -1, and so has a new series that took
 * a killed one's id), in their order. Reads only the per-id column: the Series objects of a
 * large set are megabytes apart, and this runs at every close after a creation or a kill.
 */
function stillRanked(kept: Int32Array, rankOf: Int32Array): Int32Array {
  let n = 0;
  for (let i = 0; i < kept.length; i++) if (rankOf[kept[i]] >= 0) n += 1;
  if (n === kept.length) return kept;
  const out = new Int32Array(n);
  let w = 0;
  for (let i = 0; i < kept.length; i++) if (rankOf[kept[i]] >= 0) out[w++] = kept[i];
  return out;
}

/** The ids of `kept` (key order, live series only) and `fresh` (key order) as one list in key order. */
function mergeByKey(st: InternalState, kept: Int32Array, fresh: readonly Series[]): Int32Array {
  const out = new Int32Array(kept.length + fresh.length);
  let w = 0;
  let from = 0;
  for (const se of fresh) {
    const at = lowerBound(st, kept, se.key, from);
    out.set(kept.subarray(from, at), w);
    w += at - from;
    out[w++] = se.id;
    from = at;
  }
  out.set(kept.subarray(from), w);
  return out;
}

/** The first index ≥ `lo` of `ids` whose series' key is not below `key` (keys are unique among live series). */
function lowerBound(st: InternalState, ids: Int32Array, key: string, lo: number): number {
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((st.seriesById[ids[mid]] as Series).key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
