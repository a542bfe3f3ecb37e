/**
 * Runs one apply or revert under the executor's timeout and kill switch: whichever comes
 * first — the handler's own answer, the timeout, or a kill — settles the call, and the
 * handler is told through its AbortSignal to stop its I/O.
 */
import { HomeostatError, describeError } from '../errors';
import type { Logger } from '../ops/logger';
import type { ApplyContext, ApplyOutcome, ExecutorMetrics } from './types';

/** The outcome of one timed call: what the handler reported, or why it did not finish. */
export type TimedOutcome = { ok: true; outcome: ApplyOutcome } | { ok: false; error: string };

export interface ApplyTimer {
  /** Runs `fn` with a timeout; resolves to the outcome or the error (never rejects). */
  run(what: string, fn: (ctx: ApplyContext) => Promise<ApplyOutcome | void>): Promise<TimedOutcome>;
  /** Aborts the call in flight, if any, with `reason`. */
  abort(reason: Error): void;
}

/** A timer for calls that must not overlap (the executor core runs one at a time). */
export function createApplyTimer(timeoutMs: number, logger: Logger, metrics?: ExecutorMetrics): ApplyTimer {
  let inflight: AbortController | undefined;
  return {
    async run(what, fn) {
      const ac = new AbortController();
      inflight = ac;
      const timer = setTimeout(
        () => ac.abort(new HomeostatError('TIMEOUT', `${what} timed out after ${timeoutMs} ms`, { retriable: true })),
        timeoutMs,
      );
      const aborted = new Promise<never>((_, reject) => {
        ac.signal.addEventListener(
          'abort',
          () => reject(ac.signal.reason instanceof Error ? ac.signal.reason : new Error(String(ac.signal.reason))),
          { once: true },
        );
      });
      const started = process.hrtime.bigint();
      try {
        const outcome = await Promise.race([fn({ signal: ac.signal, logger }), aborted]);
        return { ok: true, outcome: outcome ?? {} };
      } catch (err) {
        return { ok: false, error: describeError(err) };
      } finally {
        clearTimeout(timer);
        inflight = undefined;
        metrics?.executorApplySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
    abort(reason) {
      inflight?.abort(reason);
    },
  };
}
