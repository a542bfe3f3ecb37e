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
  return new ColumnBuffer(capacity, maxBatch);
}

/** Callers waiting for room, first come first served, at most `capacity` of them. */
class WaiterLine {
  // Waiters in an array with a moving head: O(1) dequeue without shift().
  private waiters: (Waiter | undefined)[] = [];
  private head = 0;
  /** Waiters still in line (removed ones excluded). */
  count = 0;

  constructor(private readonly capacity: number) {}

  push(waiter: Waiter): boolean {
    if (this.count >= this.capacity) return false;
    this.waiters.push(waiter);
    this.count++;
    return true;
  }

  remove(waiter: Waiter): boolean {
    const { waiters } = this;
    for (let i = this.head; i < waiters.length; i++) {
      if (waiters[i] === waiter) {
        waiters[i] = undefined;
        this.count--;
        return true;
      }
    }
    return false;
  }

  /** The first waiter in line, taken out of it; undefined when none waits. */
  next(): Waiter | undefined {
    while (this.count > 0) {
      const w = this.waiters[this.head];
      this.waiters[this.head] = undefined;
      this.head++;
      if (w === undefined) continue; // removed (timed out)
      this.count--;
      return w;
    }
    return undefined;
  }

  /** Frees the slots of waiters already served once they are most of the array. */
  compact(): void {
    if (this.count === 0) {
      this.waiters = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    }
  }

  /** Empties the line; returns the waiters it held (with holes where some were removed). */
  takeAll(): (Waiter | undefined)[] {
    const given = this.waiters;
    this.waiters = [];
    this.head = 0;
    this.count = 0;
    return given;
  }
}

/** The buffer: column chunks in order, the bound, and the line of waiters. */
class ColumnBuffer implements BoundedBuffer {
  private readonly chunks: ColumnChunk[] = [];
  // One spent chunk kept for reuse: a steady stream allocates no new typed arrays.
  private spare: ColumnChunk | undefined;
  private held = 0;
  private readonly line: WaiterLine;

  constructor(
    private readonly capacity: number,
    private readonly maxBatch: number,
  ) {
    this.line = new WaiterLine(capacity);
  }

  get size(): number {
    return this.held;
  }
  get waiting(): number {
    return this.line.count;
  }

  tryAppend(metric: string, value: number, ts: number, tags: Record<string, string>): boolean {
    // Waiters keep their place in line: no overtaking while anyone waits.
    if (this.held >= this.capacity || this.line.count > 0) return false;
    this.append(metric, value, ts, tags);
    return true;
  }
  enqueueWaiter(waiter: Waiter): boolean {
    return this.line.push(waiter);
  }
  removeWaiter(waiter: Waiter): boolean {
    return this.line.remove(waiter);
  }
  sealOpen(): void {
    const open = this.openChunk();
    if (open !== undefined && open.count > 0) open.sealed = true;
  }
  nextSendable(): Chunk | undefined {
    const first = this.chunks[0];
    return first !== undefined && first.sealed ? first : undefined;
  }
  completeOldest(): number {
    const done = this.chunks.shift();
    if (done === undefined) return 0;
    const n = done.length;
    this.held -= n;
    this.spare = done;
    this.admit();
    return n;
  }
  ackOldest(n: number): number {
    const first = this.chunks[0];
    if (first === undefined) return 0;
    if (n >= first.length) return this.completeOldest();
    first.start += n;
    this.held -= n;
    this.admit();
    return n;
  }
  hasOpen(): boolean {
    const open = this.openChunk();
    return open !== undefined && !open.sealed && open.count > 0;
  }
  discardAll(): number {
    const held = this.held;
    this.chunks.length = 0;
    this.held = 0;
    for (const w of this.line.takeAll()) w?.settle(false);
    return held;
  }

  /** The last chunk, which takes appends until it is sealed. */
  private openChunk(): ColumnChunk | undefined {
    const { chunks } = this;
    return chunks.length > 0 ? chunks[chunks.length - 1] : undefined;
  }

  /** An empty chunk: the spare one when there is one. */
  private newChunk(): ColumnChunk {
    const c = this.spare ?? new ColumnChunk(this.maxBatch);
    this.spare = undefined;
    c.count = 0;
    c.start = 0;
    c.sealed = false;
    c.metricCol.length = 0;
    c.tagsCol.length = 0;
    return c;
  }

  private append(metric: string, value: number, ts: number, tags: Record<string, string>): void {
    let open = this.openChunk();
    if (open === undefined || open.sealed) {
      open = this.newChunk();
      this.chunks.push(open);
    }
    const i = open.count++;
    open.tsCol[i] = ts;
    open.valueCol[i] = value;
    open.metricCol.push(metric);
    open.tagsCol.push(tags);
    if (open.count >= this.maxBatch) open.sealed = true;
    this.held++;
  }

  /** Lets waiters in, in order, while there is room. */
  private admit(): void {
    while (this.line.count > 0 && this.held < this.capacity) {
      const w = this.line.next();
      if (w === undefined) break;
      this.append(w.sample.metric, w.sample.value, w.sample.ts, w.sample.tags);
      w.settle(true);
    }
    this.line.compact();
  }
}
