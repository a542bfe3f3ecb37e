/**
 * Deterministic interleaving of several recorded partitions into one replay order.
 *
 * A live consumer reads its partitions concurrently, roughly in step in event time (the
 * runner's watermark alignment pauses a partition that runs ahead). Replaying one file after
 * another instead would make every later file late — the first would have pushed the watermark
 * past all of it. So the replay order is a k-way merge by event time: always the input whose
 * head record is earliest, ties to the lowest source index, and each source's own order is kept
 * (offset order within a partition). Invalid inputs have no event time and go out as soon as
 * they reach the head of their source.
 */
import type { ReplayFeed } from './replay';

/** The event time a feed is merged by; the earliest sample's for a multi-sample record. */
function keyOf(input: ReplayFeed): number {
  if ('invalid' in input) return -Infinity;
  if ('record' in input) return input.record.ts;
  let min = Infinity;
  for (const r of input.records) if (r.ts < min) min = r.ts;
  return min === Infinity ? -Infinity : min;
}

/** Index of the head with the smallest key (ties: lowest index); -1 when every source is done. */
function pick(keys: readonly number[], live: readonly boolean[]): number {
  let best = -1;
  let bestKey = Infinity;
  for (let i = 0; i < keys.length; i++) {
    if (!live[i]) continue;
    if (best === -1 || keys[i] < bestKey) {
      best = i;
      bestKey = keys[i];
    }
  }
  return best;
}

/** Merges synchronous sources by event time (a linear scan of the heads: sources are few). */
export function* mergeByEventTime<T extends ReplayFeed>(sources: readonly Iterable<T>[]): Generator<T> {
  if (sources.length === 1) {
    yield* sources[0];
    return;
  }
  const its = sources.map((s) => s[Symbol.iterator]());
  const heads: (T | undefined)[] = [];
  const keys: number[] = [];
  const live: boolean[] = [];
  its.forEach((it, i) => {
    const r = it.next();
    live[i] = r.done !== true;
    heads[i] = r.done === true ? undefined : r.value;
    keys[i] = r.done === true ? Infinity : keyOf(r.value);
  });
  for (;;) {
    const i = pick(keys, live);
    if (i === -1) return;
    yield heads[i] as T;
    const r = its[i].next();
    if (r.done === true) live[i] = false;
    else {
      heads[i] = r.value;
      keys[i] = keyOf(r.value);
    }
  }
}

/**
 * The same merge over sources that deliver batches (a file read chunk by chunk): records are
 * picked synchronously from the current batch of each source and handed on in batches of up to
 * `outSize`; a source is awaited only when its batch runs out. Same order as the per-record merge.
 */
export async function* mergeBatchesByEventTime<T extends ReplayFeed>(
  sources: readonly AsyncIterable<readonly T[]>[],
  outSize = 8192,
): AsyncGenerator<T[]> {
  if (sources.length === 1) {
    for await (const b of sources[0]) if (b.length > 0) yield b as T[];
    return;
  }
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  const batches: (readonly T[])[] = sources.map(() => []);
  const pos: number[] = sources.map(() => 0);
  const keys: number[] = sources.map(() => Infinity);
  const live: boolean[] = sources.map(() => true);
  /** Loads the next non-empty batch of source i (or marks it done). */
  const refill = async (i: number): Promise<void> => {
    for (;;) {
      const r = await its[i].next();
      if (r.done === true) {
        live[i] = false;
        return;
      }
      if (r.value.length > 0) {
        batches[i] = r.value;
        pos[i] = 0;
        keys[i] = keyOf(r.value[0]);
        return;
      }
    }
  };
  try {
    await Promise.all(its.map(async (_, i) => refill(i)));
    let out: T[] = [];
    for (;;) {
      const i = pick(keys, live);
      if (i === -1) break;
      const b = batches[i];
      out.push(b[pos[i]++]);
      if (pos[i] < b.length) keys[i] = keyOf(b[pos[i]]);
      else await refill(i);
      if (out.length >= outSize) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(its.map(async (it, i) => (live[i] && it.return !== undefined ? it.return() : undefined)));
  }
}
