/**
 * Capped exponential backoff with jitter — pure, no clock, randomness passed in.
 *
 * The four strategies and their formulas are exactly those of Marc Brooker,
 * "Exponential Backoff And Jitter", AWS Architecture Blog, 2015
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), whose
 * simulator (https://github.com/aws-samples/aws-arch-backoff-simulator) bench/backoff.ts
 * reproduces. Why jitter at all: without it, clients that failed together retry together,
 * and every retry round is another collision; spreading the retries over the interval
 * turns a synchronized herd into a trickle the server can absorb.
 */
import type { RandomFn } from './random';

/**
 * - `none`: plain capped exponential, no jitter ("Exponential" in the blog).
 * - `full`: uniform over the whole exponential interval ("Full Jitter").
 * - `equal`: keep half of the exponential, jitter the other half ("Equal Jitter").
 * - `decorrelated`: grows from the previous sleep, not from the attempt ("Decorrelated Jitter").
 */
export type JitterStrategy = 'none' | 'full' | 'equal' | 'decorrelated';

export const JITTER_STRATEGIES: readonly JitterStrategy[] = ['none', 'full', 'equal', 'decorrelated'];

export interface BackoffParams {
  strategy: JitterStrategy;
  /** Base delay in ms: the first interval, and the floor of `decorrelated`. */
  baseMs: number;
  /** Upper bound on any single delay, in ms. */
  capMs: number;
}

/** `decorrelated` needs the previous sleep; the other strategies ignore it. */
export interface BackoffState {
  prevMs: number;
}

export interface BackoffInput {
  params: BackoffParams;
  /** Exponent of the attempt: 0 for the first retry, 1 for the second, ... */
  attempt: number;
}

/** Initial state: the blog starts `decorrelated` with `sleep = base`. */
export function initialBackoffState(params: Pick<BackoffParams, 'baseMs'>): BackoffState {
  return { prevMs: params.baseMs };
}

/** min(cap, base * 2^attempt). Large attempts overflow to Infinity, which the cap absorbs. */
export function exponentialMs(baseMs: number, capMs: number, attempt: number): number {
  return Math.min(capMs, baseMs * 2 ** attempt);
}

/**
 * Next delay, per the blog's formulas:
 * - none:         min(cap, base * 2^attempt)
 * - full:         random_between(0, min(cap, base * 2^attempt))
 * - equal:        v = min(cap, base * 2^attempt); v/2 + random_between(0, v/2)
 * - decorrelated: min(cap, random_between(base, prev * 3))
 *
 * `random` is consumed once for every strategy but `none`.
 */
export function nextBackoff(
  state: BackoffState,
  input: BackoffInput,
  random: RandomFn,
): { state: BackoffState; delayMs: number } {
  const { strategy, baseMs, capMs } = input.params;
  let delayMs: number;
  switch (strategy) {
    case 'none':
      delayMs = exponentialMs(baseMs, capMs, input.attempt);
      break;
    case 'full':
      delayMs = random() * exponentialMs(baseMs, capMs, input.attempt);
      break;
    case 'equal': {
      const v = exponentialMs(baseMs, capMs, input.attempt);
      delayMs = v / 2 + random() * (v / 2);
      break;
    }
    case 'decorrelated': {
      // prev can be below base when base was raised at runtime (retry_policy.set): clamp,
      // so the interval [base, prev*3) never inverts and the result stays in [base, cap].
      const prev = Math.max(state.prevMs, baseMs);
      delayMs = Math.min(capMs, baseMs + random() * (prev * 3 - baseMs));
      break;
    }
  }
  return { state: { prevMs: delayMs }, delayMs };
}
