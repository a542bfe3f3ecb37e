/**
 * The producer's bounded buffer: samples in FIFO chunks of at most `maxBatch` (one Kafka
 * batch each), at most `capacity` samples in memory (including the chunk in flight),
 * and — for the `block` policy — a bounded FIFO of callers waiting for room.
 *
 * Chunks are columns (timestamps and values in Float64Arrays, metric names and tag objects
 * by reference), not one object per sample: samples can sit here for seconds, and a
 * hundred thousand long-lived objects would be promoted to V8's old space and collected by
 * full mark-compact passes; columns keep the retained memory small and the GC cheap.
 *
 * No timers and no I/O here: the producer decides when to seal a chunk (linger, flush) and
 * reports sends; the buffer only keeps order and the bound. Memory is bounded by
 * `capacity` samples plus at most `capacity` waiting samples.
 */

/** One sample as recorded: `tags` are the call's or instrument's own (defaults are added when encoding). */
export interface Sample {
  metric: string;
  value: number;
  ts: number;
  tags: Record<string, string>;
}

/** A read-only view of the samples of one chunk not acknowledged yet, in order. */
export interface SampleBatch {
  readonly length: number;
  metric(i: number): string;
  value(i: number): number;
  ts(i: number): number;
  tags(i: number): Record<string, string>;
}

export interface Chunk {
  readonly batch: SampleBatch;
  /** No more appends: it goes out as is. */
  readonly sealed: boolean;
}

export interface Waiter {
  readonly sample: Sample;
  /** Called with true once the sample is in the buffer, false when it is given up. */
  readonly settle: (accepted: boolean) => void;
}

export interface BoundedBuffer {
  /** Samples held (buffered or in flight). */
  readonly size: number;
  readonly waiting: number;
  /** Appends if there is room and nobody waits; false otherwise. */
  tryAppend(metric: string, value: number, ts: number, tags: Record<string, string>): boolean;
  /** Queues a caller for room; false when `capacity` callers already wait. */
  enqueueWaiter(waiter: Waiter): boolean;
  /** Removes a waiter that gave up (its timeout); true if it was still waiting. */
  removeWaiter(waiter: Waiter): boolean;
  /** Seals the open chunk so that it is sendable now. */
  sealOpen(): void;
  /** The oldest chunk, if it is sealed (ready to send). */
  nextSendable(): Chunk | undefined;
  /** The oldest chunk was acknowledged: drop it and admit waiters into the room it freed. */
  completeOldest(): number;
  /** The first `n` samples of the oldest chunk were acknowledged (a partly sent batch): drop just those. */
  ackOldest(n: number): number;
  /** True when the open (last) chunk has samples and is not sealed. */
  hasOpen(): boolean;
  /** Gives up every waiter (settled false) and every held sample; returns how many samples were held. */
  discardAll(): number;
}

class ColumnChunk implements Chunk, SampleBatch {
  readonly tsCol: Float64Array;
  readonly valueCol: Float64Array;
  readonly metricCol: string[] = [];
  readonly tagsCol: Record<string, string>[] = [];
  count = 0;
  /** Samples already acknowledged (a partly sent batch). */
  start = 0;
  sealed = false;

  constructor(size: number) {
    this.tsCol = new Float64Array(size);
    this.valueCol = new Float64Array(size);
  }

  get batch(): SampleBatch {
    return this;
  }
  get length(): number {
    return this.count - this.start;
  }
  metric(i: number): string {
    return this.metricCol[this.start + i];
  }
  value(i: number): number {
    return this.valueCol[this.start + i];
  }
  ts(i: number): number {
    return this.tsCol[this.start + i];
  }
  tags(i: number): Record<string, string> {
    return this.tagsCol[this.start + i];
  }
}

export function createBoundedBuffer(capacity: number, maxBatch: number): BoundedBuffer {
  const chunks: ColumnChunk[] = [];
  // One spent chunk kept for reuse: a steady stream allocates no new typed arrays.
  let spare: ColumnChunk | undefined;
  let size = 0;
  // Waiters in an array with a moving head: O(1) dequeue without shift().
  let waiters: (Waiter | undefined)[] = [];
  let head = 0;
  let waiting = 0;

  const newChunk = (): ColumnChunk => {
    const c = spare ?? new ColumnChunk(maxBatch);
    spare = undefined;
    c.count = 0;
    c.start = 0;
    c.sealed = false;
    c.metricCol.length = 0;
    c.tagsCol.length = 0;
    return c;
  };

  const append = (metric: string, value: number, ts: number, tags: Record<string, string>): void => {
    let open = chunks.length > 0 ? chunks[chunks.length - 1] : undefined;
    if (open === undefined || open.sealed) {
      open = newChunk();
      chunks.push(open);
    }
    const i = open.count++;
    open.tsCol[i] = ts;
    open.valueCol[i] = value;
    open.metricCol.push(metric);
    open.tagsCol.push(tags);
    if (open.count >= maxBatch) open.sealed = true;
    size++;
  };

  const admit = (): void => {
    while (waiting > 0 && size < capacity) {
      const w = waiters[head];
      waiters[head] = undefined;
      head++;
      if (w === undefined) continue; // removed (timed out)
      waiting--;
      append(w.sample.metric, w.sample.value, w.sample.ts, w.sample.tags);
      w.settle(true);
    }
    if (waiting === 0) {
      waiters = [];
      head = 0;
    } else if (head > 1024 && head * 2 > waiters.length) {
      waiters = waiters.slice(head);
      head = 0;
    }
  };

  const completeOldest = (): number => {
    const done = chunks.shift();
    if (done === undefined) return 0;
    const n = done.length;
    size -= n;
    spare = done;
    admit();
    return n;
  };

  return {
    get size() {
      return size;
    },
    get waiting() {
      return waiting;
    },
    tryAppend(metric, value, ts, tags) {
      // Waiters keep their place in line: no overtaking while anyone waits.
      if (size >= capacity || waiting > 0) return false;
      append(metric, value, ts, tags);
      return true;
    },
    enqueueWaiter(waiter) {
      if (waiting >= capacity) return false;
      waiters.push(waiter);
      waiting++;
      return true;
    },
    removeWaiter(waiter) {
      for (let i = head; i < waiters.length; i++) {
        if (waiters[i] === waiter) {
          waiters[i] = undefined;
          waiting--;
          return true;
        }
      }
      return false;
    },
    sealOpen() {
      const open = chunks.length > 0 ? chunks[chunks.length - 1] : undefined;
      if (open !== undefined && open.count > 0) open.sealed = true;
    },
    nextSendable() {
      const first = chunks[0];
      return first !== undefined && first.sealed ? first : undefined;
    },
    completeOldest,
    ackOldest(n) {
      const first = chunks[0];
      if (first === undefined) return 0;
      if (n >= first.length) return completeOldest();
      first.start += n;
      size -= n;
      admit();
      return n;
    },
    hasOpen() {
      const open = chunks.length > 0 ? chunks[chunks.length - 1] : undefined;
      return open !== undefined && !open.sealed && open.count > 0;
    },
    discardAll() {
      const held = size;
      chunks.length = 0;
      size = 0;
      const given = waiters;
      waiters = [];
      head = 0;
      waiting = 0;
      for (const w of given) w?.settle(false);
      return held;
    },
  };
}
