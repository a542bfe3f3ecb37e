/**
 * Thresholds that are either absolute numbers (as before) or relative to the series' own
 * baseline (baseline.ts): a ratio to a baseline statistic, or a number of robust deviations
 * above the trailing median. Resolving one gives the number to compare a window's value with,
 * or null while the baseline is warming up (no relative verdict before it has learned).
 *
 * Pure: no clock, no I/O.
 */
import { baselineReady, robustSpread, trailingQuantile, type BaselineSpec, type BaselineState } from './baseline';

/** `value > ratio × baseline`, the baseline being the EWMA, the trailing median or a trailing quantile. */
export interface RatioThreshold {
  ratio: number;
  of: 'ewma' | 'median' | 'p75' | 'p90' | 'p95' | 'p99';
  /** The resolved threshold is never below this (absolute, e.g. 1 ms: below it nothing is overloaded). */
  atLeast: number;
}

/** `value > median + deviations × spread`, spread = 1.4826·MAD or IQR/1.349 (σ estimates). */
export interface DeviationThreshold {
  deviations: number;
  spread: 'mad' | 'iqr';
  /** The spread is never taken below this fraction of the median (a flat series has MAD 0). */
  minSpreadRatio: number;
  /**
   * What `minSpreadRatio` is a fraction of: the trailing median (absent: the median), or an upper
   * trailing quantile — for a sparse series (most windows 0, so a median and MAD of 0) the
   * median gives no floor at all and any non-zero value would be "infinitely many" deviations.
   */
  minSpreadOf?: 'median' | 'p75' | 'p90' | 'p95';
  atLeast: number;
}

export type Threshold = number | RatioThreshold | DeviationThreshold;

export const isRelative = (t: Threshold | null): t is RatioThreshold | DeviationThreshold =>
  t !== null && typeof t === 'object';

const QUANTILE_OF: Record<Exclude<RatioThreshold['of'], 'ewma'>, number> = {
  median: 0.5,
  p75: 0.75,
  p90: 0.9,
  p95: 0.95,
  p99: 0.99,
};

/** The baseline statistic a ratio threshold multiplies. */
function baselineValue(b: BaselineState, of: RatioThreshold['of']): number {
  if (of === 'ewma') return b.ewma ?? NaN;
  return trailingQuantile(b, QUANTILE_OF[of]);
}

/** The threshold as a number for this window, or null (relative and the baseline not ready). */
export function resolveThreshold(t: Threshold, b: BaselineState | undefined, spec: BaselineSpec): number | null {
  if (typeof t === 'number') return t;
  if (!baselineReady(b, spec)) return null;
  let out: number;
  if ('ratio' in t) {
    out = t.ratio * baselineValue(b, t.of);
  } else {
    const { median, spread } = robustSpread(b, t.spread);
    const scale =
      t.minSpreadOf === undefined || t.minSpreadOf === 'median'
        ? median
        : trailingQuantile(b, QUANTILE_OF[t.minSpreadOf]);
    out = median + t.deviations * Math.max(spread, t.minSpreadRatio * Math.abs(scale));
  }
  if (!Number.isFinite(out)) return null;
  return Math.max(out, t.atLeast);
}

/** For reasons: "2× p90 baseline", "4 MAD over median". */
export function describeThreshold(t: Threshold): string {
  if (typeof t === 'number') return String(t);
  if ('ratio' in t) return `${t.ratio}× ${t.of} baseline`;
  return `median + ${t.deviations} ${t.spread.toUpperCase()}σ`;
}
