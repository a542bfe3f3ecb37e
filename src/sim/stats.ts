/**
 * The figures the simulators report, each defined once, precisely, here.
 */
import type { Point } from '../report';
import type { ExecutorEvent } from './executor';

/** Nearest-rank quantile (Hyndman & Fan definition 1) of unsorted values; NaN when empty. */
export function quantile(values: readonly number[] | Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/**
 * Jain's fairness index (Jain, Chiu & Hawe, "A Quantitative Measure of Fairness and
 * Discrimination for Resource Allocation in Shared Computer Systems", DEC-TR-301, 1984):
 * (Σx)² / (n·Σx²) over the normalised allocations x_i = observed_i / fair_i. 1 when every
 * tenant gets the same fraction of its fair allocation, 1/n when one gets everything.
 */
export function jainIndex(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  let s2 = 0;
  for (const x of xs) {
    s += x;
    s2 += x * x;
  }
  return s2 === 0 ? 1 : (s * s) / (xs.length * s2);
}

/** Peak over mean of a load series: how spiky the load on a service is (1 = flat). */
export function peakToMean(values: readonly number[]): number {
  const m = mean(values);
  if (!(m > 0)) return NaN;
  return Math.max(...values) / m;
}

export interface RecoveryRule {
  /** Measure from here (the disturbance start or end), epoch ms. */
  from: number;
  /** The signal's normal value (e.g. its mean before the disturbance). */
  baseline: number;
  /** `up`: bad when above the band (latency, load); `down`: bad when below it (goodput). */
  bad: 'up' | 'down';
  /** Band half-width as a fraction of the baseline … */
  relative: number;
  /** … or this absolute amount, whichever is larger (so a near-zero baseline still has a band). */
  absolute: number;
}

/** True when `v` lies within the rule's band around the baseline. */
export function withinBand(v: number, rule: RecoveryRule): boolean {
  const width = Math.max(Math.abs(rule.baseline) * rule.relative, rule.absolute);
  return rule.bad === 'up' ? v <= rule.baseline + width : v >= rule.baseline - width;
}

/**
 * Time to recover: with one point per window (x = window end), the time from `rule.from`
 * to the end of the last window that was out of band — i.e. the signal is back within the
 * band from then on and stays there until the end of the run. 0 when it never left the
 * band after `from`; null when it is still out of band in the last window (not recovered
 * within the run).
 */
export function timeToRecover(points: readonly Point[], rule: RecoveryRule): number | null {
  let lastBad = -Infinity;
  let lastX = -Infinity;
  for (const [x, v] of points) {
    if (x <= rule.from || !Number.isFinite(v)) continue;
    lastX = Math.max(lastX, x);
    if (!withinBand(v, rule)) lastBad = Math.max(lastBad, x);
  }
  if (lastBad === -Infinity) return 0;
  if (lastBad >= lastX) return null;
  return lastBad - rule.from;
}

/**
 * Flaps: an intervention started (`set`) on a target less than `spanMs` after an earlier
 * `set` on the same target and family that has since been reverted or has lapsed —
 * set → revert → set within the span. Hysteresis and minimum hold times exist to make this 0.
 */
export function countFlaps(events: readonly ExecutorEvent[], spanMs: number): number {
  const lastSet = new Map<string, number>();
  const endedSince = new Map<string, boolean>();
  let flaps = 0;
  for (const e of events) {
    const key = `${e.family}\u001f${e.target}`;
    if (e.kind === 'set') {
      const prev = lastSet.get(key);
      if (prev !== undefined && endedSince.get(key) === true && e.t - prev <= spanMs) flaps++;
      lastSet.set(key, e.t);
      endedSince.set(key, false);
    } else if (e.kind === 'revert' || e.kind === 'lapse') {
      if (lastSet.has(key)) endedSince.set(key, true);
    }
  }
  return flaps;
}
