/**
 * Turning a histogram back into samples the latency sketch can take.
 *
 * The engine's sketches take one value per sample (Telemetry has no weight), so a
 * histogram point becomes samples, one per observation up to a cap. Each bucket's
 * observations are spread evenly over the bucket (linear interpolation for explicit
 * buckets, as Prometheus's histogram_quantile assumes; log-linear for exponential buckets,
 * whose bounds are powers of a base). Because the samples keep every bucket's count, the
 * sample at rank r lies in the same bucket as the r-th recorded value: any quantile of the
 * samples is within one bucket width of the recorded quantile, and the DDSketch then adds
 * its own relative error on top. See docs/ingest.md for the bound per layout.
 *
 * Above the cap the samples are taken at evenly spaced ranks ((j + 0.5) · count / cap), so
 * quantiles stay within one bucket plus 1/(2·cap) in rank; the `<metric>.count` companion
 * sample carries the exact count then.
 */

export interface Bucket {
  /** Lowest value the bucket can hold (after clamping to the point's min). */
  lo: number;
  /** Highest value the bucket can hold (after clamping to the point's max). */
  hi: number;
  /** Observations in the bucket (≥ 0). */
  n: number;
  /** Interpolate geometrically (lo and hi of the same sign, non-zero) rather than linearly. */
  log: boolean;
}

/** Value at fraction t ∈ (0, 1) of a bucket. */
export function interpolate(b: Bucket, t: number): number {
  const { lo, hi } = b;
  if (lo === hi) return lo;
  // Same sign, non-zero: |v| moves geometrically from |lo| to |hi| (hi / lo > 0).
  if (b.log && lo * hi > 0) return lo * Math.pow(hi / lo, t);
  return lo + (hi - lo) * t;
}

/**
 * Samples for buckets given in ascending value order. `total` = Σ n. At most `cap` samples.
 * `min`/`max`, when the point carries them, replace the lowest and highest sample (and bound
 * every sample) so that a window's min and max stay exact.
 */
export function expandBuckets(
  buckets: readonly Bucket[],
  total: number,
  cap: number,
  min?: number,
  max?: number,
): number[] {
  const out: number[] = [];
  if (total <= 0) return out;
  if (total <= cap) {
    for (const b of buckets) {
      for (let k = 0; k < b.n; k++) out.push(interpolate(b, (k + 0.5) / b.n));
    }
  } else {
    let bi = 0;
    let before = 0; // observations in buckets[0..bi)
    for (let j = 0; j < cap; j++) {
      const rank = Math.floor(((j + 0.5) * total) / cap);
      while (bi < buckets.length - 1 && before + buckets[bi].n <= rank) {
        before += buckets[bi].n;
        bi++;
      }
      const b = buckets[bi];
      out.push(interpolate(b, (rank - before + 0.5) / b.n));
    }
  }
  const lo = min !== undefined && Number.isFinite(min) ? min : -Infinity;
  const hi = max !== undefined && Number.isFinite(max) ? max : Infinity;
  if (lo !== -Infinity || hi !== Infinity) {
    for (let i = 0; i < out.length; i++) out[i] = out[i] < lo ? lo : out[i] > hi ? hi : out[i];
    if (lo !== -Infinity) out[0] = lo;
    if (hi !== Infinity && (out.length > 1 || lo === -Infinity)) out[out.length - 1] = hi;
  }
  return out;
}

function clampBucket(b: Bucket, min: number | undefined, max: number | undefined): Bucket {
  let { lo, hi } = b;
  if (min !== undefined && Number.isFinite(min)) {
    if (lo < min) lo = min;
    if (hi < min) hi = min;
  }
  if (max !== undefined && Number.isFinite(max)) {
    if (hi > max) hi = max;
    if (lo > max) lo = max;
  }
  if (lo === b.lo && hi === b.hi) return b;
  return { lo, hi, n: b.n, log: b.log && lo !== 0 && hi !== 0 && Math.sign(lo) === Math.sign(hi) };
}

/**
 * Buckets of an explicit-bounds histogram: bucket i holds (bounds[i-1], bounds[i]], the
 * first (-∞, bounds[0]] and the last (bounds[m-1], +∞). The open ends take the point's
 * min/max when known; otherwise the first bucket starts at 0 when its upper bound is
 * positive (latency-like data, Prometheus's histogram_quantile rule) and the last bucket
 * is read as its lower bound (the highest quantile knowable).
 * `counts.length` must be bounds.length + 1 (checked by the caller).
 */
export function explicitBuckets(
  bounds: readonly number[],
  counts: readonly number[],
  min?: number,
  max?: number,
): Bucket[] {
  const m = bounds.length;
  const out: Bucket[] = [];
  for (let i = 0; i <= m; i++) {
    const n = counts[i];
    if (n === 0) continue;
    let lo = i === 0 ? -Infinity : bounds[i - 1];
    let hi = i === m ? Infinity : bounds[i];
    if (lo === -Infinity) lo = min !== undefined && Number.isFinite(min) ? Math.min(min, hi) : hi > 0 ? 0 : hi;
    if (hi === Infinity) hi = max !== undefined && Number.isFinite(max) ? Math.max(max, lo) : lo;
    out.push(clampBucket({ lo, hi, n, log: false }, min, max));
  }
  return out;
}

/**
 * Buckets of an exponential histogram of scale s: base = 2^(2^-s); positive bucket index i
 * holds (base^i, base^(i+1)], negative index i holds [-base^(i+1), -base^i), and the zero
 * bucket [-zeroThreshold, zeroThreshold] is read as 0.
 * https://opentelemetry.io/docs/specs/otel/metrics/data-model/#exponentialhistogram
 * Returns undefined when a non-empty bucket's bound overflows a double.
 */
export function exponentialBuckets(
  scale: number,
  zeroCount: number,
  positive: { offset: number; counts: readonly number[] },
  negative: { offset: number; counts: readonly number[] },
  min?: number,
  max?: number,
): Bucket[] | undefined {
  const step = Math.pow(2, -scale);
  const bound = (index: number): number => Math.pow(2, index * step);
  const out: Bucket[] = [];
  for (let k = negative.counts.length - 1; k >= 0; k--) {
    const n = negative.counts[k];
    if (n === 0) continue;
    const i = negative.offset + k;
    const lo = -bound(i + 1);
    const hi = -bound(i);
    if (!Number.isFinite(lo) || hi === 0) return undefined;
    out.push(clampBucket({ lo, hi, n, log: true }, min, max));
  }
  if (zeroCount > 0) out.push({ lo: 0, hi: 0, n: zeroCount, log: false });
  for (let k = 0; k < positive.counts.length; k++) {
    const n = positive.counts[k];
    if (n === 0) continue;
    const i = positive.offset + k;
    const lo = bound(i);
    const hi = bound(i + 1);
    if (!Number.isFinite(hi) || lo === 0) return undefined;
    out.push(clampBucket({ lo, hi, n, log: true }, min, max));
  }
  return out;
}
