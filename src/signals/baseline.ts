/**
 * A series' own baseline, for triggers that travel across a fleet: "latency 2× its usual" or
 * "4 robust deviations above its trailing median" means the same thing for a backend at 5 ms
 * and one at 1.2 s, where `latency > 50 ms` means something else for each.
 *
 * The anchors: FluxNinja Aperture's load-scheduling blueprint compares the current latency with
 * its own long-term average (https://docs.fluxninja.com/reference/blueprints/load-scheduling/average-latency);
 * Netflix concurrency-limits' Gradient2 compares a short-term with a long-term RTT
 * (https://github.com/Netflix/concurrency-limits, Gradient2Limit.java); the robust deviation is
 * the median/MAD rule (Hampel's identifier; Leys et al., "Detecting outliers: Do not use
 * standard deviation around the mean, use absolute deviation around the median", J. Exp. Soc.
 * Psychol. 2013), 1.4826·MAD and IQR/1.349 being consistent estimators of σ under normal noise.
 *
 * Pure: no clock, no I/O. The state is plain JSON (it is part of a policy's state, checkpointed
 * with the decision engine and restored by a restarted or new owner) and is never mutated.
 */

/** How the baseline is kept (validated by the policies' config schemas, see triggers.config.ts). */
export interface BaselineSpec {
  /** Trailing windows kept for the median, the quantiles and the spread (≤ MAX_BASELINE_WINDOWS). */
  windows: number;
  /** No relative threshold before this many windows were learned (no action before). */
  warmupWindows: number;
  /** EWMA weight of the newest window, for `of: ewma`. */
  alpha: number;
  /**
   * A frozen baseline (target acted on, or over its high threshold) resumes learning after this
   * many frozen windows in a row: an incident longer than this is the new normal.
   */
  maxFrozenWindows: number;
}

/** Bounded memory per target and signal: the ring is part of the checkpointed policy state. */
export const MAX_BASELINE_WINDOWS = 1024;

export interface BaselineState {
  /** Trailing values, a ring of at most spec.windows. */
  readonly values: readonly number[];
  /** Next write position once the ring is full. */
  readonly head: number;
  /** Windows learned so far (saturates at spec.windows for the ring; counts on for warm-up). */
  readonly learned: number;
  readonly ewma: number | null;
  /** Consecutive windows the baseline was frozen. */
  readonly frozen: number;
}

export const emptyBaseline = (): BaselineState => ({ values: [], head: 0, learned: 0, ewma: null, frozen: 0 });

/**
 * The baseline after one more window's value. `freeze`: the policy is acting on the target or
 * the value is over its trigger — an incident must not become the new normal — unless it has
 * been frozen for spec.maxFrozenWindows windows already.
 */
export function stepBaseline(
  b: BaselineState | undefined,
  value: number,
  freeze: boolean,
  spec: BaselineSpec,
): BaselineState {
  const prev = b ?? emptyBaseline();
  if (!Number.isFinite(value)) return prev;
  if (freeze && prev.frozen < spec.maxFrozenWindows) return { ...prev, frozen: prev.frozen + 1 };
  // Past maxFrozenWindows the run of frozen windows is a new level: learn every window of it
  // (the count keeps growing) until a window that needs no freezing ends the run.
  const k = Math.min(spec.windows, MAX_BASELINE_WINDOWS);
  let values: number[];
  let head = prev.head;
  if (prev.values.length < k) {
    values = [...prev.values, value];
    head = values.length % k;
  } else {
    values = prev.values.slice(0, k);
    values[head % k] = value;
    head = (head + 1) % k;
  }
  const ewma = prev.ewma === null ? value : spec.alpha * value + (1 - spec.alpha) * prev.ewma;
  return { values, head, learned: prev.learned + 1, ewma, frozen: freeze ? prev.frozen + 1 : 0 };
}

/** True once the baseline has learned enough windows to judge against. */
export function baselineReady(b: BaselineState | undefined, spec: BaselineSpec): b is BaselineState {
  return b !== undefined && b.learned >= spec.warmupWindows && b.values.length > 0;
}

/** The q-quantile (0..1) of the trailing values, linear interpolation between order statistics (Hyndman & Fan type 7). */
export function trailingQuantile(b: BaselineState, q: number): number {
  const xs = [...b.values].sort((x, y) => x - y);
  return quantileSorted(xs, q);
}

function quantileSorted(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const pos = (xs.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
}

/** Robust spread as an estimate of σ: 1.4826·MAD or IQR / 1.349. */
export function robustSpread(b: BaselineState, kind: 'mad' | 'iqr'): { median: number; spread: number } {
  const xs = [...b.values].sort((x, y) => x - y);
  const median = quantileSorted(xs, 0.5);
  if (kind === 'iqr') return { median, spread: (quantileSorted(xs, 0.75) - quantileSorted(xs, 0.25)) / 1.349 };
  const dev = xs.map((x) => Math.abs(x - median)).sort((x, y) => x - y);
  return { median, spread: 1.4826 * quantileSorted(dev, 0.5) };
}
