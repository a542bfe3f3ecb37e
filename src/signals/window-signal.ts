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

const scratch = [0, 0, 0, 0];

/**
 * A signal's numbers, in this order, at `at` of a Float64Array (signalStats writes them,
 * signalFrom reads them): count, sum, min, max, mean, ratePerSec, p50, p90, p99, p999, ewma, trend.
 */
export const SIGNAL_STATS = 12;
const STATS_EWMA = 10;
const STATS_TREND = 11;
const statsScratch = new Float64Array(SIGNAL_STATS);

/**
 * Writes a window's numbers at out[at ..]. `sketch` null or empty means a zero-count window:
 * every value field is 0 (check `count`), `ratePerSec` is 0 — the true rate of a counter that
 * reported nothing. `ratePerSec` = sum / window length in seconds (window length, not advance:
 * for hopping windows each window's rate is over its own span). EWMA NaN (no history) is 0.
 */
export function signalStats(
  sketch: DDSketch | null,
  windowStart: number,
  windowEnd: number,
  ewma: number,
  trend: number,
  out: Float64Array,
  at: number,
): void {
  if (sketch !== null && sketch.count > 0) {
    const count = sketch.count;
    const sum = sketch.sum;
    out[at] = count;
    out[at + 1] = sum;
    out[at + 2] = sketch.min;
    out[at + 3] = sketch.max;
    out[at + 4] = sum / count;
    out[at + 5] = sum / ((windowEnd - windowStart) / 1000);
    sketch.quantiles(SIGNAL_QUANTILES, scratch);
    out[at + 6] = scratch[0];
    out[at + 7] = scratch[1];
    out[at + 8] = scratch[2];
    out[at + 9] = scratch[3];
  } else out.fill(0, at, at + STATS_EWMA);
  out[at + STATS_EWMA] = Number.isNaN(ewma) ? 0 : ewma;
  out[at + STATS_TREND] = trend;
}

/**
 * The signal of series (or scope group) `key` and window [windowStart, windowEnd) whose numbers
 * signalStats wrote at stats[at ..]. The identity comes as its parts, so that a caller holding
 * them in arrays need not read the object they came from.
 */
export function signalFrom(
  scope: string,
  key: string,
  source: string,
  metric: string,
  tags: Record<string, string>,
  windowStart: number,
  windowEnd: number,
  stats: Float64Array,
  at: number,
  partial: boolean,
  partitions: number[],
): WindowSignal {
  // One literal with final values: filling in a zeroed object afterwards changes field
  // representations (small int → double) on every signal, which V8 handles slowly.
  return {
    scope,
    key,
    source,
    metric,
    tags,
    windowStart,
    windowEnd,
    count: stats[at],
    sum: stats[at + 1],
    min: stats[at + 2],
    max: stats[at + 3],
    mean: stats[at + 4],
    ratePerSec: stats[at + 5],
    p50: stats[at + 6],
    p90: stats[at + 7],
    p99: stats[at + 8],
    p999: stats[at + 9],
    ewma: stats[at + STATS_EWMA],
    trend: stats[at + STATS_TREND],
    partial,
    partitions,
  };
}

/** Builds a signal (see signalStats for its numbers). */
export function buildSignal(
  id: SignalIdentity,
  windowStart: number,
  windowEnd: number,
  sketch: DDSketch | null,
  extras: SignalExtras,
): WindowSignal {
  signalStats(sketch, windowStart, windowEnd, extras.ewma, extras.trend, statsScratch, 0);
  const { partial, partitions } = extras;
  const signal = signalFrom(
    id.scope,
    id.key,
    id.source,
    id.metric,
    id.tags,
    windowStart,
    windowEnd,
    statsScratch,
    0,
    partial,
    partitions,
  );
  if (extras.sketch !== undefined) signal.sketch = extras.sketch;
  return signal;
}
