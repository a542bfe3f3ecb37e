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
  const now = o.now ?? Date.now;
  const buffer = createBoundedBuffer(o.maxBufferedRecords, o.maxBatchRecords);
  const defaults = o.defaultTags;
  const defaultCount = Object.keys(defaults).length;
  const outgoing = (batch: SampleBatch): OutgoingBatch => ({
    length: batch.length,
    at: (i) => ({
      ts: batch.ts(i),
      source: o.source,
      metric: batch.metric(i),
      value: batch.value(i),
      tags: mergeTags(defaults, defaultCount, batch.tags(i)),
    }),
  });
  const s: ProducerStats = {
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
  const flushWaiters: { target: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const instruments = createInstruments(o.maxInstruments, (why) => {
    s.invalid++;
    s.lastError = why;
  });
  let inflight = false;
  let closed = false;
  let closing: Promise<void> | undefined;
  let backoffMs = 100;
  let linger: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let interval: NodeJS.Timeout | undefined;

  const settleFlushes = (): void => {
    for (let i = flushWaiters.length - 1; i >= 0; i--) {
      if (flushWaiters[i].target <= s.sent) {
        flushWaiters[i].resolve();
        flushWaiters.splice(i, 1);
      }
    }
  };

  const pump = (): void => {
    if (inflight || retry !== undefined) return;
    const chunk = buffer.nextSendable();
    if (chunk === undefined) return;
    inflight = true;
    o.send(outgoing(chunk.batch)).then(
      () => {
        inflight = false;
        backoffMs = 100;
        s.sent += buffer.completeOldest();
        s.batches++;
        settleFlushes();
        pump();
        armLinger();
      },
      (err: unknown) => {
        inflight = false;
        s.sendErrors++;
        s.lastError = describeError(err);
        const acked = acknowledgedOf(err);
        if (acked > 0) {
          s.sent += buffer.ackOldest(acked);
          settleFlushes();
        }
        for (const w of flushWaiters.splice(0)) w.reject(err);
        retry = setTimeout(() => {
          retry = undefined;
          pump();
        }, backoffMs);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      },
    );
  };

  /** A partly filled batch goes out after lingerMs at most. */
  const armLinger = (): void => {
    if (linger !== undefined || !buffer.hasOpen()) return;
    linger = setTimeout(() => {
      linger = undefined;
      buffer.sealOpen();
      pump();
    }, o.lingerMs);
  };

  const appended = (): void => {
    s.recorded++;
    if (buffer.size > s.peakBuffered) s.peakBuffered = buffer.size;
    if (buffer.nextSendable() !== undefined) pump();
    armLinger();
  };

  const offer = (metric: string, value: number, ts: number, tags: Record<string, string>): Promise<boolean> => {
    if (buffer.tryAppend(metric, value, ts, tags)) {
      appended();
      return TRUE;
    }
    if (o.onFull === 'drop') {
      s.dropped++;
      return FALSE;
    }
    return new Promise<boolean>((resolve) => {
      const wait: { timer?: NodeJS.Timeout } = {};
      const w: Waiter = {
        sample: { metric, value, ts, tags },
        settle(ok) {
          if (wait.timer !== undefined) clearTimeout(wait.timer);
          if (ok) appended();
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
      }, o.blockTimeoutMs);
      // Whatever is held must keep moving for room to appear.
      buffer.sealOpen();
      pump();
    });
  };

  const refuse = (why: string): Promise<boolean> => {
    s.invalid++;
    s.lastError = why;
    return FALSE;
  };

  const record = (metric: string, value: number, tags?: Record<string, string>, ts?: number): Promise<boolean> => {
    if (closed) {
      s.dropped++;
      return FALSE;
    }
    const at = ts ?? now();
    const own = tags ?? NO_TAGS;
    const why = sampleProblem(metric, value, at, defaults, defaultCount, own, o.limits);
    return why === undefined ? offer(metric, value, at, own) : refuse(why);
  };

  const collectInstruments = (everyGauge: boolean): void => {
    const ts = now();
    instruments.collect((sample) => {
      const why = sampleProblem(sample.metric, sample.value, ts, defaults, defaultCount, sample.tags, o.limits);
      if (why !== undefined) {
        void refuse(why); // counted, cleared
        return true;
      }
      if (!buffer.tryAppend(sample.metric, sample.value, ts, sample.tags)) return false; // no room: kept for the next interval
      appended();
      return true;
    }, everyGauge);
  };

  const startInterval = (): void => {
    if (interval !== undefined || closed) return;
    interval = setInterval(() => collectInstruments(true), o.intervalMs);
    // The app decides when to exit; close() sends what the instruments hold.
    interval.unref();
  };

  const flush = (): Promise<void> => {
    collectInstruments(false);
    buffer.sealOpen();
    const target = s.recorded;
    if (s.sent >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      flushWaiters.push({ target, resolve, reject });
      pump();
    });
  };

  const stopTimers = (): void => {
    for (const t of [linger, retry]) if (t !== undefined) clearTimeout(t);
    if (interval !== undefined) clearInterval(interval);
    linger = retry = interval = undefined;
  };

  return {
    record,
    counter(metric, tags) {
      startInterval();
      return instruments.counter(metric, tags ?? NO_TAGS);
    },
    gauge(metric, tags) {
      startInterval();
      return instruments.gauge(metric, tags ?? NO_TAGS);
    },
    timer(metric, tags) {
      const own = tags ?? NO_TAGS;
      return {
        start() {
          const t0 = performance.now();
          return () => record(metric, performance.now() - t0, own);
        },
        record: (ms) => record(metric, ms, own),
      };
    },
    flush,
    close() {
      if (closing) return closing;
      if (interval !== undefined) clearInterval(interval);
      interval = undefined;
      closed = true;
      const drain = async (): Promise<void> => {
        while (buffer.size > 0 || buffer.waiting > 0) {
          try {
            await flush();
          } catch {
            // The batch stays buffered and the retry timer resends it; keep draining.
            await new Promise((r) => setTimeout(r, Math.min(backoffMs, 1_000)));
          }
        }
      };
      closing = new Promise<void>((resolve, reject) => {
        const timeout = setTimeout(() => {
          const lost = buffer.size;
          buffer.discardAll();
          s.dropped += lost;
          stopTimers();
          for (const w of flushWaiters.splice(0))
            w.reject(new HomeostatError('TIMEOUT', 'the producer was closed before this flush completed'));
          reject(
            new HomeostatError(
              'TIMEOUT',
              `close(): ${lost} sample(s) were not acknowledged within closeTimeoutMs (${o.closeTimeoutMs} ms); is Kafka reachable? (${s.lastError ?? 'no send error seen'})`,
              { retriable: true },
            ),
          );
        }, o.closeTimeoutMs);
        drain().then(
          () => {
            clearTimeout(timeout);
            stopTimers();
            resolve();
          },
          (err: unknown) => {
            clearTimeout(timeout);
            stopTimers();
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      });
      return closing;
    },
    stats() {
      return { ...s, buffered: buffer.size, blocked: buffer.waiting, instruments: instruments.size };
    },
  };
}
