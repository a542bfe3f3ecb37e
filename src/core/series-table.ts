/**
 * The index's table: (source, metric, dimension values) → series id, one open-addressing
 * table with linear probing, each slot holding its key's fields beside the id.
 *
 * Why: without a series hint (series-hint.ts) every record takes this look-up, and its series
 * is a random one of thousands. The chains it replaces were a Map by metric, then a Map by
 * source (its bucket, then its entry), then per-id columns of dimension values: three or four
 * dependent loads in structures spread over a few hundred KB, each likely a cache miss once a
 * close has run. Here a hash of the source's characters and the metric picks a slot, and the
 * slot holds [hash, id, source, metric, first and second dimension value] side by side — one
 * cache line read, a few pointer compares, the id. A miss is final (no key string is built to
 * ask the Map by key) unless some live series could not be placed (see `outside`), so a new
 * series costs no look-up of its key either.
 *
 * Bounded: probing stops after `probeLimit` slots, so crafted sources whose hashes collide
 * cost at most that many compares a record; a series that does not fit within the limit is
 * left out of the table and counted in `outside`, and while any is, a miss asks the Map by
 * key (series-index.ts) — the engine's answer never depends on the table, only its cost.
 * Entries are removed by backward shifting (Knuth, TAOCP vol. 3, 6.4, Algorithm R), so no
 * tombstones build up under eviction churn. The load stays at most three quarters.
 */
import type { InternalState, Series } from './state';
import { grown } from './grown';

/** Values per slot: the key's hash, the id (-1: empty), source, metric, first and second dimension value. */
const FIELDS = 6;
const HASH = 0;
const ID = 1;
const SOURCE = 2;
const METRIC = 3;
const D0 = 4;
const D1 = 5;
const EMPTY = -1;
const FIRST_SLOTS = 16;
/** Slots probed at most from a key's home slot; beyond, the series stays out of the table. */
export const PROBE_LIMIT = 32;

type Slot = string | number | undefined;

export interface SeriesTable {
  /** capacity × FIELDS values; capacity a power of two. */
  slots: Slot[];
  mask: number;
  /** Series in the table. */
  size: number;
  /** Live series left out of the table (no free slot within the probe limit): while 0, a miss is final. */
  outside: number;
  /** Per id: 1 while the series is in the table. */
  placed: Uint8Array;
  readonly probeLimit: number;
}

export function createSeriesTable(probeLimit = PROBE_LIMIT): SeriesTable {
  return {
    slots: emptySlots(FIRST_SLOTS),
    mask: FIRST_SLOTS - 1,
    size: 0,
    outside: 0,
    placed: new Uint8Array(64),
    probeLimit,
  };
}

function emptySlots(capacity: number): Slot[] {
  const slots = new Array<Slot>(capacity * FIELDS).fill(undefined);
  for (let i = 0; i < capacity; i++) {
    slots[i * FIELDS + HASH] = 0;
    slots[i * FIELDS + ID] = EMPTY;
  }
  return slots;
}

/**
 * A 30-bit hash (a small integer in the slot) of the source's characters and the metric's
 * length and first, middle and last characters — metrics are few and differ there — mixed by
 * FNV-1a steps and MurmurHash3's finaliser. Not secret: the probe limit bounds what collisions cost.
 */
export function keyHash(source: string, metric: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < source.length; i++) h = Math.imul(h ^ source.charCodeAt(i), 0x01000193);
  const n = metric.length;
  h = Math.imul(h ^ n, 0x01000193);
  if (n > 0) {
    h = Math.imul(h ^ metric.charCodeAt(0), 0x01000193);
    h = Math.imul(h ^ metric.charCodeAt(n >> 1), 0x01000193);
    h = Math.imul(h ^ metric.charCodeAt(n - 1), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The id of the series in the table whose source, metric and dimension values (`dims` sorted)
 * are the record's, or -1 (final only while `outside` is 0).
 */
export function tableSeries(
  st: InternalState,
  source: string,
  metric: string,
  tags: Readonly<Record<string, string>>,
  dims: readonly string[],
): number {
  // A key of another type is never placed (insertSeries): the Map by key answers for it.
  if (typeof source !== 'string' || typeof metric !== 'string') return EMPTY;
  const t = st.table;
  const n = dims.length;
  const d0 = n > 0 ? str(tags[dims[0]]) : undefined;
  const d1 = n > 1 ? str(tags[dims[1]]) : undefined;
  const h = keyHash(source, metric);
  const slots = t.slots;
  const mask = t.mask;
  let i = h & mask;
  for (let probe = 0; probe < t.probeLimit; probe++) {
    const at = i * FIELDS;
    const id = slots[at + ID] as number;
    if (id === EMPTY) return EMPTY;
    if (
      slots[at + HASH] === h &&
      slots[at + SOURCE] === source &&
      slots[at + METRIC] === metric &&
      slots[at + D0] === d0 &&
      slots[at + D1] === d1 &&
      (n <= 2 || restMatch(st, id, tags, dims))
    )
      return id;
    i = (i + 1) & mask;
  }
  return EMPTY;
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

/** Places a new series (its first two dimension values `d0`, `d1`), or counts it `outside`. */
export function insertSeries(st: InternalState, se: Series, d0: string | undefined, d1: string | undefined): void {
  const t = st.table;
  if (se.id >= t.placed.length) t.placed = grown(t.placed, Math.max(se.id + 1, 2 * t.placed.length));
  t.placed[se.id] = 0;
  if (typeof se.source !== 'string' || typeof se.metric !== 'string') {
    t.outside += 1;
    return;
  }
  if (4 * (t.size + 1) > 3 * (t.mask + 1)) rehash(t, 2 * (t.mask + 1));
  if (place(t, keyHash(se.source, se.metric), se.id, se.source, se.metric, d0, d1)) t.placed[se.id] = 1;
  else t.outside += 1;
}

/** Writes an entry in the first empty slot within the probe limit of its home; false when there is none. */
function place(t: SeriesTable, h: number, id: number, source: Slot, metric: Slot, d0: Slot, d1: Slot): boolean {
  const slots = t.slots;
  let i = h & t.mask;
  for (let probe = 0; probe < t.probeLimit; probe++) {
    const at = i * FIELDS;
    if (slots[at + ID] === EMPTY) {
      slots[at + HASH] = h;
      slots[at + ID] = id;
      slots[at + SOURCE] = source;
      slots[at + METRIC] = metric;
      slots[at + D0] = d0;
      slots[at + D1] = d1;
      t.size += 1;
      return true;
    }
    i = (i + 1) & t.mask;
  }
  return false;
}

/** Re-places every entry in a table of `capacity` slots; an entry that no longer fits goes `outside`. */
function rehash(t: SeriesTable, capacity: number): void {
  const old = t.slots;
  t.slots = emptySlots(capacity);
  t.mask = capacity - 1;
  t.size = 0;
  for (let at = 0; at < old.length; at += FIELDS) {
    const id = old[at + ID] as number;
    if (id === EMPTY) continue;
    if (!place(t, old[at + HASH] as number, id, old[at + SOURCE], old[at + METRIC], old[at + D0], old[at + D1])) {
      t.placed[id] = 0;
      t.outside += 1;
    }
  }
}

/** Takes a series out of the table, or off the `outside` count (before its id is freed). */
export function removeSeries(st: InternalState, se: Series): void {
  const t = st.table;
  const id = se.id;
  if (t.placed[id] === 0) {
    t.outside -= 1;
    return;
  }
  t.placed[id] = 0;
  const slots = t.slots;
  const mask = t.mask;
  let i = keyHash(se.source, se.metric) & mask;
  while (slots[i * FIELDS + ID] !== id) i = (i + 1) & mask;
  // Backward shift: move up each later entry of the run whose home does not lie cyclically in (i, j].
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const at = j * FIELDS;
    if (slots[at + ID] === EMPTY) break;
    const home = (slots[at + HASH] as number) & mask;
    const stays = i <= j ? i < home && home <= j : i < home || home <= j;
    if (stays) continue;
    for (let f = 0; f < FIELDS; f++) slots[i * FIELDS + f] = slots[at + f];
    i = j;
  }
  const at = i * FIELDS;
  slots[at + HASH] = 0;
  slots[at + ID] = EMPTY;
  slots[at + SOURCE] = undefined;
  slots[at + METRIC] = undefined;
  slots[at + D0] = undefined;
  slots[at + D1] = undefined;
  t.size -= 1;
}
