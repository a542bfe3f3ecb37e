/**
 * A bounded, time-ordered ring: at most `capacity` entries, sorted by time, one per time.
 * Upserting a time that exists replaces its value, so replaying the same outputs (a batch
 * retried after an aborted transaction re-emits them) changes nothing. When full, the
 * oldest entry goes; an entry older than everything held in a full ring is dropped.
 *
 * Sorted arrays with splice: upserts almost always append (event time moves forward), and
 * the capacities here are hundreds, where a memmove is cheaper than any tree.
 */
import { HomeostatError } from '../errors';

export type UpsertResult = 'added' | 'replaced' | 'dropped';

export interface TimeRing<T> {
  readonly capacity: number;
  readonly size: number;
  upsert(t: number, value: T): UpsertResult;
  get(t: number): T | undefined;
  /** Times, oldest first (a copy). */
  times(): number[];
  /** [t, value] pairs, oldest first (a copy). */
  entries(): Array<[number, T]>;
  /** Oldest time held, or undefined when empty. */
  first(): number | undefined;
  last(): number | undefined;
}

/** Index of the first element of `ts` that is >= t (ts sorted ascending). */
function lowerBound(ts: readonly number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function createTimeRing<T>(capacity: number): TimeRing<T> {
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new HomeostatError('USAGE', `ring capacity must be a positive integer, got ${capacity}`, {
      field: 'capacity',
    });
  }
  const ts: number[] = [];
  const vs: T[] = [];
  return {
    capacity,
    get size() {
      return ts.length;
    },
    upsert(t, value) {
      if (!Number.isFinite(t)) return 'dropped';
      const n = ts.length;
      if (n === 0 || t > ts[n - 1]) {
        ts.push(t);
        vs.push(value);
      } else {
        const i = lowerBound(ts, t);
        if (ts[i] === t) {
          vs[i] = value;
          return 'replaced';
        }
        if (n >= capacity && i === 0) return 'dropped';
        ts.splice(i, 0, t);
        vs.splice(i, 0, value);
      }
      if (ts.length > capacity) {
        ts.shift();
        vs.shift();
      }
      return 'added';
    },
    get(t) {
      const i = lowerBound(ts, t);
      return ts[i] === t ? vs[i] : undefined;
    },
    times: () => ts.slice(),
    entries: () => ts.map((t, i) => [t, vs[i]] as [number, T]),
    first: () => ts[0],
    last: () => ts[ts.length - 1],
  };
}

/** A Map bounded to `capacity` keys, evicting the least recently touched; `touch` marks use. */
export interface LruMap<K, V> {
  readonly size: number;
  get(key: K): V | undefined;
  has(key: K): boolean;
  /** Sets (and touches) the key; returns the entries evicted to make room. */
  set(key: K, value: V): Array<[K, V]>;
  touch(key: K): void;
  delete(key: K): boolean;
  values(): IterableIterator<V>;
  keys(): IterableIterator<K>;
}

export function createLruMap<K, V>(capacity: number): LruMap<K, V> {
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new HomeostatError('USAGE', `LRU capacity must be a positive integer, got ${capacity}`, {
      field: 'capacity',
    });
  }
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  const map = new Map<K, V>();
  return {
    get size() {
      return map.size;
    },
    get: (key) => map.get(key),
    has: (key) => map.has(key),
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      const evicted: Array<[K, V]> = [];
      while (map.size > capacity) {
        const oldest = map.keys().next().value as K;
        evicted.push([oldest, map.get(oldest) as V]);
        map.delete(oldest);
      }
      return evicted;
    },
    touch(key) {
      if (!map.has(key)) return;
      const v = map.get(key) as V;
      map.delete(key);
      map.set(key, v);
    },
    delete: (key) => map.delete(key),
    values: () => map.values(),
    keys: () => map.keys(),
  };
}
