/**
 * kafkajs restarts a crashed consumer only after a *retriable* error: `restartOnFailure` is
 * not even asked about the others (consumer/index.js onCrash), and "Failed to find group
 * coordinator" while a broker restarts is one of them. Left alone, the process keeps running
 * and consumes nothing. Every long-lived consumer of the project (the processor's, the control
 * reader's, an executor's) is therefore watched: one that stopped for good is disconnected
 * and a new one started, with backoff, for as long as its owner is running.
 */
import type { PortConsumer } from './port';
import { describeError } from '../errors';
import type { Logger } from '../ops/logger';

export interface ConsumerReplacement {
  /** What the logs call it, e.g. "the actions consumer". */
  what: string;
  logger: Logger;
  /** The consumer in use now (the watched one is replaced only while it is the current one). */
  current(): PortConsumer | undefined;
  /** Whether the owner still runs (stop() sets it false: no replacement then). */
  alive(): boolean;
  /** Creates, watches, connects and runs a new consumer, making it the current one. */
  start(): Promise<void>;
  /** Called once the crashed consumer is gone, before the new one starts. */
  onReplace?(): void;
  /**
   * An error no new consumer would get past (e.g. the group refuses this member): when it
   * returns a message, the consumer is not replaced and `onFatal` gets the message.
   */
  fatal?(err: unknown): string | undefined;
  onFatal?(message: string, err: unknown): void;
}

/** A consumer that crashes this soon after it started counts as one more failed attempt. */
const QUICK_CRASH_MS = 10_000;

/**
 * Consecutive quick crashes per owner (keyed by its `start`, the one function every
 * replacement of that owner shares): a consumer that crashes again right after it started is
 * not replaced in a tight loop.
 */
const streaks = new WeakMap<ConsumerReplacement['start'], { startedAt: number; quick: number }>();

export function replaceWhenStoppedForGood(c: PortConsumer, o: ConsumerReplacement): void {
  const streak = streaks.get(o.start) ?? { startedAt: 0, quick: 0 };
  streaks.set(o.start, streak);
  streak.startedAt = Date.now();
  c.on(c.events.CRASH, (e) => {
    if (e.payload.restart || o.current() !== c || !o.alive()) return;
    const fatal = o.fatal?.(e.payload.error);
    if (fatal !== undefined) {
      o.logger.error({ err: describeError(e.payload.error) }, fatal);
      void c.disconnect().catch(() => undefined);
      o.onFatal?.(fatal, e.payload.error);
      return;
    }
    streak.quick = Date.now() - streak.startedAt < QUICK_CRASH_MS ? streak.quick + 1 : 0;
    o.logger.error(
      { err: describeError(e.payload.error) },
      `${o.what} stopped for good after a non-retriable error; replacing it`,
    );
    void replace(c, o, streak.quick);
  });
}

async function replace(old: PortConsumer, o: ConsumerReplacement, quickCrashes: number): Promise<void> {
  await old.disconnect().catch(() => undefined);
  o.onReplace?.();
  // The first crash soon after a start is replaced at once (a broker restart looks like that);
  // a second in a row waits 500 ms, then 1 s, 2 s … up to 30 s.
  if (quickCrashes > 1) await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** (quickCrashes - 2))));
  for (let attempt = 0; o.alive(); attempt++) {
    try {
      await o.start();
      return;
    } catch (err) {
      o.logger.warn(
        { err: describeError(err), attempt },
        `could not start a new ${o.what.replace(/^the /, '')} yet; retrying`,
      );
      // A consumer the failed attempt created is not left connected.
      const half = o.current();
      if (half !== undefined && half !== old) await half.disconnect().catch(() => undefined);
      await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** attempt)));
    }
  }
}
