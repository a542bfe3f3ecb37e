/**
 * Cross-window statistics of one series: EWMA and least-squares trend of the window mean.
 * Only windows with data update them; an empty window has no mean and carries the last
 * values forward (a zero mean would drag a gauge's baseline towards 0 for no reason).
 */

/**
 * Default EWMA weight 0.3. The NIST/SEMATECH e-Handbook of Statistical Methods, 6.3.2.4
 * "EWMA Control Charts" (https://www.itl.nist.gov/div898/handbook/pmc/section3/pmc324.htm)
 * says lambda "is usually set between 0.2 and 0.3 (Hunter, 1986)"; we take the upper end
 * because a control loop cares more about reacting within a few windows than about
 * smoothing. Its memory is about 2/alpha - 1 ~ 6 windows.
 */
export const DEFAULT_EWMA_ALPHA = 0.3;

/**
 * Default trend span: 6 windows — with the default 10 s windows a one-minute slope, the
 * same span as the EWMA's memory above, so the two signals look at the same recent past.
 */
export const DEFAULT_TREND_WINDOWS = 6;

export interface SeriesHistory {
  /** EWMA of the mean; NaN until the first window with data. */
  ewma: number;
  /** Window positions (window start / advance) and means, ring buffers of size K. */
  readonly xs: number[];
  readonly ys: number[];
  /** Points held (<= K) and next write position. */
  n: number;
  head: number;
  /** Last trend computed (carried over empty windows). */
  trend: number;
}

export function createHistory(trendWindows: number): SeriesHistory {
  // Plain arrays: small typed arrays are costly to allocate, and there is one per series.
  return {
    ewma: NaN,
    xs: new Array<number>(trendWindows).fill(0),
    ys: new Array<number>(trendWindows).fill(0),
    n: 0,
    head: 0,
    trend: 0,
  };
}

/** Exponentially weighted moving average step; the first value seeds it. */
export function ewmaStep(prev: number, x: number, alpha: number): number {
  return Number.isNaN(prev) ? x : alpha * x + (1 - alpha) * prev;
}

/**
 * Ordinary least-squares slope of ys over xs (x centred, so large window positions do
 * not lose precision). 0 with fewer than two distinct x. The points are
 * xs[xAt + i], ys[yAt + i] for i < n (offsets: the engine packs many series into one array).
 */
export function leastSquaresSlope(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, xAt = 0, yAt = 0): number {
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[xAt + i];
    my += ys[yAt + i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[xAt + i] - mx;
    sxy += dx * (ys[yAt + i] - my);
    sxx += dx * dx;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/**
 * Records the mean of a window with data at position `x` (window start / advance, so the
 * slope is per window step even across gaps) and updates EWMA and trend.
 */
export function recordMean(h: SeriesHistory, x: number, mean: number, alpha: number): void {
  h.ewma = ewmaStep(h.ewma, mean, alpha);
  const k = h.xs.length;
  h.xs[h.head] = x;
  h.ys[h.head] = mean;
  h.head = (h.head + 1) % k;
  if (h.n < k) h.n += 1;
  h.trend = leastSquaresSlope(h.xs, h.ys, h.n);
}

/**
 * The same history packed into `packedHistorySize(K)` consecutive doubles of a Float64Array,
 * for the engine, which keeps one per live series: [ewma, trend, n, head, xs (K), ys (K)].
 * A history object with two K-element arrays costs ~300 B of heap per series; packed it is
 * (4 + 2K) × 8 B in a shared buffer. recordMeanPacked does exactly what recordMean does —
 * the same operations on the same values in the same order — so the results are identical.
 */
export const PACKED_EWMA = 0;
export const PACKED_TREND = 1;
const PACKED_N = 2;
const PACKED_HEAD = 3;
const PACKED_XS = 4;

export function packedHistorySize(trendWindows: number): number {
  return PACKED_XS + 2 * trendWindows;
}

/** Writes an empty history (as createHistory makes) at d[at ..]. */
export function resetPackedHistory(d: Float64Array, at: number, trendWindows: number): void {
  d[at + PACKED_EWMA] = NaN;
  d.fill(0, at + PACKED_TREND, at + packedHistorySize(trendWindows));
}

/** recordMean on the packed history at d[at ..]. */
export function recordMeanPacked(
  d: Float64Array,
  at: number,
  trendWindows: number,
  x: number,
  mean: number,
  alpha: number,
): void {
  d[at + PACKED_EWMA] = ewmaStep(d[at + PACKED_EWMA], mean, alpha);
  const k = trendWindows;
  const xs = at + PACKED_XS;
  const ys = xs + k;
  const head = d[at + PACKED_HEAD];
  d[xs + head] = x;
  d[ys + head] = mean;
  // (head + 1) % k without the % in the usual case: head is read back as a double, and % on
  // doubles is a call to fmod. Same value for every head (a seeded one out of range included).
  const next = head + 1;
  d[at + PACKED_HEAD] = next < k ? next : next % k;
  let n = d[at + PACKED_N];
  if (n < k) {
    n += 1;
    d[at + PACKED_N] = n;
  }
  d[at + PACKED_TREND] = leastSquaresSlope(d, d, n, xs, ys);
}

/** A SeriesHistory in the packed layout (for a checkpoint). */
export function packHistory(h: SeriesHistory): Float64Array {
  const k = h.xs.length;
  const d = new Float64Array(packedHistorySize(k));
  d[PACKED_EWMA] = h.ewma;
  d[PACKED_TREND] = h.trend;
  d[PACKED_N] = h.n;
  d[PACKED_HEAD] = h.head;
  for (let i = 0; i < k; i++) {
    d[PACKED_XS + i] = h.xs[i];
    d[PACKED_XS + k + i] = h.ys[i];
  }
  return d;
}

/** The inverse of packHistory; undefined when the packed history is for another trendWindows. */
export function unpackHistory(d: ArrayLike<number>, trendWindows: number): SeriesHistory | undefined {
  if (d.length !== packedHistorySize(trendWindows)) return undefined;
  const h = createHistory(trendWindows);
  h.ewma = d[PACKED_EWMA];
  h.trend = d[PACKED_TREND];
  h.n = d[PACKED_N];
  h.head = d[PACKED_HEAD];
  for (let i = 0; i < trendWindows; i++) {
    h.xs[i] = d[PACKED_XS + i];
    h.ys[i] = d[PACKED_XS + trendWindows + i];
  }
  return h;
}
