/**
 * The series a shared tags object's records went to, kept on the tags object itself, so that
 * the next record of the same source and metric finds its series without the index.
 *
 * Why: in the pipeline, between two records of a series, the decoder and the Kafka client
 * push the engine's index out of the CPU's caches, and the index look-up is a chain of
 * dependent loads — a Map by metric, a Map by source, the series object to compare its
 * dimension values with the record's tags — each a likely cache miss: 0.46–0.49 µs an event
 * in the pipeline's profile against 0.14 µs in the engine bench. The decoder shares one
 * frozen tags object between a source's records while their tag bytes stay the same
 * (codec/tags-memo.ts) and checks this slot's source to do so, so the slot is in cache when
 * the engine reads it: one array, a few pointer compares, and the series id.
 *
 * The slot holds ids (never series objects or the engine state: a tags object kept by a
 * decoder keeps nothing of the engine alive but its small owner object), and it is only a
 * cache, checked on every use: it names the owner it was filled for, the owner's series
 * generation (moved whenever a series is killed — evicted or revoked — since its id may then
 * be reused) and the source. A series is a function of (source, metric, dimension tag values)
 * and the tags object is frozen, so while the three match, the id stored for a metric is the
 * one the index would give: outputs never depend on the slot. Tags without one take the index.
 */

/** Metrics remembered per tags object (most sources send a handful; more only miss). */
export const HINT_METRICS = 8;

/** Where a shared tags object carries its slot: a symbol, so that no reader of the tags sees it. */
export const SERIES_HINT: unique symbol = Symbol('homeostat.seriesHint');

/**
 * An engine state's side of the check: an object of its own, and its series generation,
 * moved whenever a series is killed.
 */
export interface HintOwner {
  gen: number;
}

/**
 * One flat array, so that the whole slot is one or two cache lines:
 * [source, owner, generation, next entry to replace, metric 0, id 0, …, metric 7, id 7].
 */
export type SeriesHint = (string | number | HintOwner | null | undefined)[];

const SOURCE = 0;
const OWNER = 1;
const GEN = 2;
const NEXT = 3;
const FIRST = 4;
const END = FIRST + 2 * HINT_METRICS;

/**
 * Gives a tags object of `source`'s records, before it is frozen and shared, an empty slot
 * (non-enumerable: keys, JSON and the encoders never see it).
 */
export function addSeriesHint<T extends object>(tags: T, source: string): T {
  const hint: SeriesHint = new Array<SeriesHint[number]>(END).fill(undefined);
  hint[SOURCE] = source;
  hint[OWNER] = null;
  hint[GEN] = 0;
  hint[NEXT] = FIRST;
  Object.defineProperty(tags, SERIES_HINT, { value: hint, enumerable: false, writable: false, configurable: false });
  return tags;
}

/** The slot of a tags object, or undefined. */
export function hintOf(tags: object): SeriesHint | undefined {
  return (tags as { [SERIES_HINT]?: SeriesHint })[SERIES_HINT];
}

/** The source a slot was made for. */
export function hintSource(h: SeriesHint): string {
  return h[SOURCE] as string;
}

/** The series id stored for `metric` when the slot is current for (owner, its generation, source); -1 otherwise. */
export function hintedSeries(h: SeriesHint, owner: HintOwner, source: string, metric: string): number {
  if (h[OWNER] !== owner || h[GEN] !== owner.gen || h[SOURCE] !== source) return -1;
  for (let i = FIRST; i < END; i += 2) if (h[i] === metric) return h[i + 1] as number;
  return -1;
}

/** Stores series `id` for `metric` (of the slot's source), first emptying a slot filled for another owner or generation. */
export function storeHint(h: SeriesHint, owner: HintOwner, metric: string, id: number): void {
  if (h[OWNER] !== owner || h[GEN] !== owner.gen) {
    h[OWNER] = owner;
    h[GEN] = owner.gen;
    h.fill(undefined, FIRST);
    h[NEXT] = FIRST;
  }
  const i = h[NEXT] as number;
  h[i] = metric;
  h[i + 1] = id;
  h[NEXT] = i + 2 === END ? FIRST : i + 2;
}
