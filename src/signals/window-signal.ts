/**
 * Turns a window's sketch into the published WindowSignal. Shared by the engine (series
 * signals and stage-one partials) and the scope merger (stage-two finals), so both compute
 * every field the same way.
 */
import type { WindowSignal } from '../model/signal';
import type { DDSketch } from './ddsketch';

/** The quantiles a WindowSignal carries, ascending (DDSketch.quantiles needs that). */
export const SIGNAL_QUANTILES: readonly number[] = Object.freeze([0.5, 0.9, 0.99, 0.999]);

export interface SignalIdentity {
  scope: string;
  key: string;
  source: string;
  metric: string;
  tags: Record<string, string>;
}

export interface SignalExtras {
  ewma: number;
  trend: number;
  partial: boolean;
  partitions: number[];
  sketch?: string;
}

/**
 * A window's numbers as its sketch gives them: window close computes them from the panes
 * without building a sketch (core/window-values.ts) and hands them to `buildSignalOf`.
 */
export interface WindowStats {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Estimates of SIGNAL_QUANTILES, in that order. */
  readonly q: number[];
}

export function newWindowStats(): WindowStats {
  return { count: 0, sum: 0, min: 0, max: 0, q: [0, 0, 0, 0] };
}

const scratch = newWindowStats();
const EMPTY = newWindowStats();

/**
 * Builds a signal. `sketch` null or empty means a zero-count window: every value field is 0
 * (check `count`), `ratePerSec` is 0 — the true rate of a counter that reported nothing.
 * `ratePerSec` = sum / window length in seconds (window length, not advance: for hopping
 * windows each window's rate is over its own span).
 */
export function buildSignal(
  id: SignalIdentity,
  windowStart: number,
  windowEnd: number,
  sketch: DDSketch | null,
  extras: SignalExtras,
): WindowSignal {
  if (sketch === null || sketch.count === 0) return buildSignalOf(id, windowStart, windowEnd, EMPTY, extras);
  scratch.count = sketch.count;
  scratch.sum = sketch.sum;
  scratch.min = sketch.min;
  scratch.max = sketch.max;
  sketch.quantiles(SIGNAL_QUANTILES, scratch.q);
  return buildSignalOf(id, windowStart, windowEnd, scratch, extras);
}

/**
 * Builds the signal of a window from its numbers (all 0 for a zero-count window), as
 * buildSignal does from its sketch. The numbers come in an object, not as arguments: a
 * double argument is boxed (an allocation) whenever the call is not inlined.
 */
export function buildSignalOf(
  id: SignalIdentity,
  windowStart: number,
  windowEnd: number,
  stats: WindowStats,
  extras: SignalExtras,
): WindowSignal {
  const count = stats.count;
  const sum = stats.sum;
  const q = stats.q;
  // One literal with final values: filling in a zeroed object afterwards changes field
  // representations (small int → double) on every signal, which V8 handles slowly.
  const signal: WindowSignal = {
    scope: id.scope,
    key: id.key,
    source: id.source,
    metric: id.metric,
    tags: id.tags,
    windowStart,
    windowEnd,
    count,
    sum,
    min: stats.min,
    max: stats.max,
    mean: count > 0 ? sum / count : 0,
    ratePerSec: count > 0 ? sum / ((windowEnd - windowStart) / 1000) : 0,
    p50: q[0],
    p90: q[1],
    p99: q[2],
    p999: q[3],
    ewma: Number.isNaN(extras.ewma) ? 0 : extras.ewma,
    trend: extras.trend,
    partial: extras.partial,
    partitions: extras.partitions,
  };
  if (extras.sketch !== undefined) signal.sketch = extras.sketch;
  return signal;
}
