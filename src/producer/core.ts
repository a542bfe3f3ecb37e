/**
 * The producer without Kafka: samples in, batches out through an injected `send`.
 * Validation at record time (a sample the processor would dead-letter is refused here),
 * the bounded buffer and its full policy, linger, one batch in flight at a time (order per
 * key is kept, as the idempotent producer needs), retries with backoff, counters and
 * gauges collected per interval, flush and close.
 */
import { HomeostatError, describeError } from '../errors';
import type { Telemetry } from '../model/telemetry';
import { createBoundedBuffer, type SampleBatch, type Waiter } from './buffer';
import { createInstruments, type Counter, type Gauge } from './instruments';
import type { ResolvedProducerOptions } from './options';
import { mergeTags, sampleProblem } from './validate';

/** One batch to send: `at(i)` builds the i-th sample as a Telemetry record (a fresh, short-lived object). */
export interface OutgoingBatch {
  readonly length: number;
  at(i: number): Telemetry;
}

export interface Timer {
  /** Starts a measurement; the returned function records the elapsed milliseconds. */
  start(): () => Promise<boolean>;
  /** Records one duration in milliseconds. */
  record(ms: number): Promise<boolean>;
}

export interface ProducerStats {
  /** Samples accepted into the buffer (instrument samples included). */
  recorded: number;
  /** Samples acknowledged by Kafka. */
  sent: number;
  /** Samples held in memory now (waiting or in flight). */
  buffered: number;
  /** Highest `buffered` seen. */
  peakBuffered: number;
  /** record() calls waiting for room (`block`). */
  blocked: number;
  /** Samples not sent: buffer full (`drop`), blocked past blockTimeoutMs, recorded after close, or unsent when close timed out. */
  dropped: number;
  /** Samples refused as invalid (non-finite value, empty metric, ts out of range, too many tags…). */
  invalid: number;
  /** Successful Kafka requests. */
  batches: number;
  /** Failed Kafka requests (the batch stays buffered and is retried). */
  sendErrors: number;
  lastError: string | undefined;
  /** Distinct counters and gauges. */
  instruments: number;
}

/**
 * A send that failed after Kafka acknowledged the first `acknowledged` records of the batch
 * (the batch went out in several requests): those are not sent again.
 */
export interface PartialSendFailure {
  acknowledged: number;
}

function acknowledgedOf(err: unknown): number {
  const n = (err as Partial<PartialSendFailure> | undefined)?.acknowledged;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}

export type CoreOptions = Pick<
  ResolvedProducerOptions,
  | 'source'
  | 'defaultTags'
  | 'lingerMs'
  | 'maxBatchRecords'
  | 'maxBufferedRecords'
  | 'onFull'
  | 'blockTimeoutMs'
  | 'intervalMs'
  | 'closeTimeoutMs'
  | 'maxInstruments'
  | 'limits'
> & {
  /** Sends one batch; resolves once Kafka acknowledged it. May reject with a PartialSendFailure. */
  send: (batch: OutgoingBatch) => Promise<void>;
  /** Wall clock for default timestamps. Default Date.now. */
  now?: () => number;
};

export interface ProducerCore {
  /**
   * One sample (ts default now). Resolves true once buffered, false when refused (invalid,
   * dropped, closed); never rejects. `tags` is kept by reference until sent: do not mutate it.
   */
  record(metric: string, value: number, tags?: Record<string, string>, ts?: number): Promise<boolean>;
  counter(metric: string, tags?: Record<string, string>): Counter;
  gauge(metric: string, tags?: Record<string, string>): Gauge;
  timer(metric: string, tags?: Record<string, string>): Timer;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): ProducerStats;
}

const TRUE = Promise.resolve(true);
const NO_TAGS: Record<string, string> = Object.freeze({});
const FALSE = Promise.resolve(false);
const MAX_BACKOFF_MS = 30_000;

export function createProducerCore(o: CoreOptions): ProducerCore {
  const run = new ProducerRun(o);
  return {
    record: (metric, value, tags, ts) => run.record(metric, value, tags, ts),
    counter(metric, tags) {
      run.startInterval();
      return run.instruments.counter(metric, tags ?? NO_TAGS);
    },
    gauge(metric, tags) {
      run.startInterval();
      return run.instruments.gauge(metric, tags ?? NO_TAGS);
    },
    timer(metric, tags) {
      const own = tags ?? NO_TAGS;
      return {
        start() {
          const t0 = performance.now();
          return () => run.record(metric, performance.now() - t0, own);
        },
        record: (ms) => run.record(metric, ms, own),
      };
    },
    flush: () => run.flush(),
    close: () => run.close(),
    stats: () => run.stats(),
  };
}

/** A flush() waiting until `target` samples have been acknowledged. */
interface FlushWaiter {
  target: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Fresh counters: nothing recorded, sent or refused yet. */
function zeroStats(): ProducerStats {
  return {
    recorded: 0,
    sent: 0,
    buffered: 0,
    peakBuffered: 0,
    blocked: 0,
    dropped: 0,
    invalid: 0,
    batches: 0,
    sendErrors: 0,
    lastError: undefined,
    instruments: 0,
  };
}

/**
 * The producer's state — buffer, counters, timers, flush waiters — and its paths: admission
 * (record, with the full policy), the send loop (pump, linger, retry with backoff), the
 * instruments' interval, flush and close.
 */
class ProducerRun {
  readonly instruments: ReturnType<typeof createInstruments>;
  private readonly now: () => number;
  private readonly buffer: ReturnType<typeof createBoundedBuffer>;
  private readonly defaults: Record<string, string>;
  private readonly defaultCount: number;
  private readonly s: ProducerStats = zeroStats();
  private readonly flushWaiters: FlushWaiter[] = [];
  private inflight = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private backoffMs = 100;
  private linger: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;

  constructor(private readonly o: CoreOptions) {
    this.now = o.now ?? Date.now;
    this.buffer = createBoundedBuffer(o.maxBufferedRecords, o.maxBatchRecords);
    this.defaults = o.defaultTags;
    this.defaultCount = Object.keys(this.defaults).length;
    this.instruments = createInstruments(o.maxInstruments, (why) => {
      this.s.invalid++;
      this.s.lastError = why;
    });
  }

  record(metric: string, value: number, tags?: Record<string, string>, ts?: number): Promise<boolean> {
    if (this.closed) {
      this.s.dropped++;
      return FALSE;
    }
    const at = ts ?? this.now();
    const own = tags ?? NO_TAGS;
    const why = sampleProblem(metric, value, at, this.defaults, this.defaultCount, own, this.o.limits);
    return why === undefined ? this.offer(metric, value, at, own) : this.refuse(why);
  }

  startInterval(): void {
    if (this.interval !== undefined || this.closed) return;
    this.interval = setInterval(() => this.collectInstruments(true), this.o.intervalMs);
    // The app decides when to exit; close() sends what the instruments hold.
    this.interval.unref();
  }

  flush(): Promise<void> {
    this.collectInstruments(false);
    this.buffer.sealOpen();
    const target = this.s.recorded;
    if (this.s.sent >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.flushWaiters.push({ target, resolve, reject });
      this.pump();
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.interval !== undefined) clearInterval(this.interval);
    this.interval = undefined;
    this.closed = true;
    this.closing = new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(this.abandon()), this.o.closeTimeoutMs);
      this.drain().then(
        () => {
          clearTimeout(timeout);
          this.stopTimers();
          resolve();
        },
        (err: unknown) => {
          clearTimeout(timeout);
          this.stopTimers();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
    return this.closing;
  }

  stats(): ProducerStats {
    const { buffer } = this;
    return { ...this.s, buffered: buffer.size, blocked: buffer.waiting, instruments: this.instruments.size };
  }

  /** One batch as the Telemetry records `send` is given (built lazily, one at a time). */
  private outgoing(batch: SampleBatch): OutgoingBatch {
    const { o, defaults, defaultCount } = this;
    return {
      length: batch.length,
      at: (i) => ({
        ts: batch.ts(i),
        source: o.source,
        metric: batch.metric(i),
        value: batch.value(i),
        tags: mergeTags(defaults, defaultCount, batch.tags(i)),
      }),
    };
  }

  /** Resolves the flushes whose samples have all been acknowledged. */
  private settleFlushes(): void {
    const { flushWaiters } = this;
    for (let i = flushWaiters.length - 1; i >= 0; i--) {
      if (flushWaiters[i].target <= this.s.sent) {
        flushWaiters[i].resolve();
        flushWaiters.splice(i, 1);
      }
    }
  }

  /** Sends the oldest sealed batch unless one is in flight or a retry is pending. */
  private pump(): void {
    if (this.inflight || this.retry !== undefined) return;
    const chunk = this.buffer.nextSendable();
    if (chunk === undefined) return;
    this.inflight = true;
    this.o.send(this.outgoing(chunk.batch)).then(
      () => this.sent(),
      (err: unknown) => this.sendFailed(err),
    );
  }

  /** The batch in flight was acknowledged: count it and send the next. */
  private sent(): void {
    this.inflight = false;
    this.backoffMs = 100;
    this.s.sent += this.buffer.completeOldest();
    this.s.batches++;
    this.settleFlushes();
    this.pump();
    this.armLinger();
  }

  /** The batch in flight failed: keep what was not acknowledged and retry it after a backoff. */
  private sendFailed(err: unknown): void {
    const { s } = this;
    this.inflight = false;
    s.sendErrors++;
    s.lastError = describeError(err);
    const acked = acknowledgedOf(err);
    if (acked > 0) {
      s.sent += this.buffer.ackOldest(acked);
      this.settleFlushes();
    }
    for (const w of this.flushWaiters.splice(0)) w.reject(err);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.pump();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }

  /** A partly filled batch goes out after lingerMs at most. */
  private armLinger(): void {
    if (this.linger !== undefined || !this.buffer.hasOpen()) return;
    this.linger = setTimeout(() => {
      this.linger = undefined;
      this.buffer.sealOpen();
      this.pump();
    }, this.o.lingerMs);
  }

  /** A sample entered the buffer: count it and send what is ready. */
  private appended(): void {
    const { s, buffer } = this;
    s.recorded++;
    if (buffer.size > s.peakBuffered) s.peakBuffered = buffer.size;
    if (buffer.nextSendable() !== undefined) this.pump();
    this.armLinger();
  }

  /** Buffers a valid sample, or applies the full policy (drop, or block up to blockTimeoutMs). */
  private offer(metric: string, value: number, ts: number, tags: Record<string, string>): Promise<boolean> {
    if (this.buffer.tryAppend(metric, value, ts, tags)) {
      this.appended();
      return TRUE;
    }
    if (this.o.onFull === 'drop') {
      this.s.dropped++;
      return FALSE;
    }
    return this.waitForRoom(metric, value, ts, tags);
  }

  /** `block`: waits for room in the buffer; false when the wait times out or the queue of waiters is full. */
  private waitForRoom(metric: string, value: number, ts: number, tags: Record<string, string>): Promise<boolean> {
    const { buffer, s } = this;
    return new Promise<boolean>((resolve) => {
      const wait: { timer?: NodeJS.Timeout } = {};
      const w: Waiter = {
        sample: { metric, value, ts, tags },
        settle: (ok) => {
          if (wait.timer !== undefined) clearTimeout(wait.timer);
          if (ok) this.appended();
          else s.dropped++;
          resolve(ok);
        },
      };
      if (!buffer.enqueueWaiter(w)) {
        s.dropped++;
        resolve(false);
        return;
      }
      wait.timer = setTimeout(() => {
        if (buffer.removeWaiter(w)) {
          s.dropped++;
          resolve(false);
        }
      }, this.o.blockTimeoutMs);
      // Whatever is held must keep moving for room to appear.
      buffer.sealOpen();
      this.pump();
    });
  }

  /** Counts an invalid sample and remembers why. */
  private refuse(why: string): Promise<boolean> {
    this.s.invalid++;
    this.s.lastError = why;
    return FALSE;
  }

  /** Moves the instruments' samples into the buffer (every gauge, or only those that changed). */
  private collectInstruments(everyGauge: boolean): void {
    const ts = this.now();
    const { buffer, defaults, defaultCount } = this;
    this.instruments.collect((sample) => {
      const why = sampleProblem(sample.metric, sample.value, ts, defaults, defaultCount, sample.tags, this.o.limits);
      if (why !== undefined) {
        void this.refuse(why); // counted, cleared
        return true;
      }
      if (!buffer.tryAppend(sample.metric, sample.value, ts, sample.tags)) return false; // no room: kept for the next interval
      this.appended();
      return true;
    }, everyGauge);
  }

  /** Flushes until nothing is buffered or waiting; a failed flush is retried by the send loop. */
  private async drain(): Promise<void> {
    while (this.buffer.size > 0 || this.buffer.waiting > 0) {
      try {
        await this.flush();
      } catch {
        // The batch stays buffered and the retry timer resends it; keep draining.
        await new Promise((r) => setTimeout(r, Math.min(this.backoffMs, 1_000)));
      }
    }
  }

  /** close() timed out: drops what is left, fails the pending flushes, and returns the error close rejects with. */
  private abandon(): HomeostatError {
    const lost = this.buffer.size;
    this.buffer.discardAll();
    this.s.dropped += lost;
    this.stopTimers();
    for (const w of this.flushWaiters.splice(0))
      w.reject(new HomeostatError('TIMEOUT', 'the producer was closed before this flush completed'));
    return new HomeostatError(
      'TIMEOUT',
      `close(): ${lost} sample(s) were not acknowledged within closeTimeoutMs (${this.o.closeTimeoutMs} ms); ` +
        `is Kafka reachable? (${this.s.lastError ?? 'no send error seen'})`,
      { retriable: true },
    );
  }

  private stopTimers(): void {
    for (const t of [this.linger, this.retry]) if (t !== undefined) clearTimeout(t);
    if (this.interval !== undefined) clearInterval(this.interval);
    this.linger = this.retry = this.interval = undefined;
  }
}
