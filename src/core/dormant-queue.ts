/**
 * The dormant series — no data in an open pane — in the order they became dormant, which is
 * the eviction order at the series cap: a doubly linked list threaded through two per-id
 * columns of SeriesNumbers (`dormantPrev`, `dormantNext`), with membership in `dormant`.
 *
 * Why not a Map<Series, true>: in the fleet shape (100k series, a record or two per series
 * and window) a close turns most series dormant and their next record takes them out again,
 * a Map insert and delete per series and window, each hashing the Series object — a cache
 * miss apiece over megabytes of objects. Linking by id writes two Int32s and reads no object.
 *
 * Same order as the Map's insertion order: joining appends at the tail and a series already
 * in the list keeps its place (as `Map.set` on a present key does); leaving unlinks.
 */
import type { SeriesNumbers } from './series-numbers';

/** Ends of the list; NONE when empty. */
export interface DormantQueue {
  head: number;
  tail: number;
}

export const NONE = -1;

export function createDormantQueue(): DormantQueue {
  return { head: NONE, tail: NONE };
}

/** Series `id` turns dormant (no-op if it already is). */
export function joinDormant(sn: SeriesNumbers, q: DormantQueue, id: number): void {
  if (sn.dormant[id] === 1) return;
  sn.dormant[id] = 1;
  sn.dormantPrev[id] = q.tail;
  sn.dormantNext[id] = NONE;
  if (q.tail === NONE) q.head = id;
  else sn.dormantNext[q.tail] = id;
  q.tail = id;
}

/** Series `id` is no longer dormant (no-op if it was not). */
export function leaveDormant(sn: SeriesNumbers, q: DormantQueue, id: number): void {
  if (sn.dormant[id] !== 1) return;
  sn.dormant[id] = 0;
  const prev = sn.dormantPrev[id];
  const next = sn.dormantNext[id];
  if (prev === NONE) q.head = next;
  else sn.dormantNext[prev] = next;
  if (next === NONE) q.tail = prev;
  else sn.dormantPrev[next] = prev;
}
