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
  let count = 0;
  let sum = 0;
  let min = 0;
  let max = 0;
  let mean = 0;
  let ratePerSec = 0;
  let p50 = 0;
  let p90 = 0;
  let p99 = 0;
  let p999 = 0;
  if (sketch !== null && sketch.count > 0) {
    count = sketch.count;
    sum = sketch.sum;
    min = sketch.min;
    max = sketch.max;
    mean = sum / count;
    ratePerSec = sum / ((windowEnd - windowStart) / 1000);
    sketch.quantiles(SIGNAL_QUANTILES, scratch);
    p50 = scratch[0];
    p90 = scratch[1];
    p99 = scratch[2];
    p999 = scratch[3];
  }
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
    min,
    max,
    mean,
    ratePerSec,
    p50,
    p90,
    p99,
    p999,
    ewma: Number.isNaN(extras.ewma) ? 0 : extras.ewma,
    trend: extras.trend,
    partial: extras.partial,
    partitions: extras.partitions,
  };
  if (extras.sketch !== undefined) signal.sketch = extras.sketch;
  return signal;
}
