/**
 * DDSketch: a mergeable quantile sketch with relative-error guarantees.
 * Masson, Rim & Lee, "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with
 * Relative-Error Guarantees", VLDB 2019 — https://arxiv.org/abs/1908.10693
 *
 * A positive value x goes to bucket i = ceil(log_gamma(x)), which covers
 * (gamma^(i-1), gamma^i], with gamma = (1 + a) / (1 - a). Returning 2 gamma^i / (gamma + 1)
 * for any value of that bucket is within relative error a (Lemma 2 of the paper).
 * Negative values use a mirrored store (keyed by -i, so that the lowest values, i.e. the
 * most negative, are the ones collapsed first), exact zeros a counter. Each store keeps
 * at most `maxBins` bins by collapsing its lowest ones (the paper's section 2.2), which
 * only costs accuracy on the lowest quantiles of pathologically wide data.
 *
 * Besides the bins the sketch keeps count, sum, min and max exactly, and clamps its
 * quantile estimates to [min, max] (which can only reduce the error). The guarantee holds
 * for magnitudes above ~2.2e-308 (normal doubles); smaller ones count as zero.
 */
import { selectRank } from './order-statistics';
import { CollapsingLowestStore } from './sketch-store';

export interface SketchParams {
  /** Relative accuracy a of every quantile estimate (0 < a < 1). */
  relativeAccuracy: number;
  /** Bound on the bins of each store (positive and negative values). */
  maxBins: number;
}

/**
 * Default: a = 0.0099 rather than 0.01 so that the float rounding of log() at bucket
 * boundaries cannot push an estimate past 1% relative error end to end; 2048 bins per
 * store, DataDog's default, covers ~17 decades at this accuracy before anything collapses.
 */
export const DEFAULT_SKETCH_PARAMS: SketchParams = Object.freeze({ relativeAccuracy: 0.0099, maxBins: 2048 });

/**
 * Values are first kept raw, up to BUFFER_MAX, and only binned when the buffer fills or a
 * merge needs bins. Most window panes hold a few dozen values spread over hundreds of
 * buckets: a dense bin array for them would cost more to allocate, zero and walk than
 * the values themselves. While unbinned, quantiles select the raw value at each wanted rank
 * (order-statistics.ts) and map it to its bucket — bucket order is value order, so the answer is exactly
 * what the bins would give (same bucket, same collapsing rule). Every read that needs bins
 * bins the buffer first, so the representation is invisible from outside.
 */
const BUFFER_MAX = 256;
/**
 * Smallest magnitude with its own bucket: the smallest normal double (times gamma, as in
 * DataDog's mappings). Subnormals have too few significant bits for a relative guarantee,
 * so smaller magnitudes count as zero.
 */
const MIN_NORMAL = 2.2250738585072014e-308;
const scratchPos = new Float64Array(BUFFER_MAX);
const scratchNeg = new Float64Array(BUFFER_MAX);
const scratchSort = new Float64Array(BUFFER_MAX);
/** The value at each wanted rank (quantilesFromBuffer). */
const picked: number[] = [];
/**
 * A value's bucket code (codeValues): the store's index times CODE_SPAN plus its kind in the
 * low bits. At the default accuracy the indexes of doubles lie within ±36 000; codesFit says
 * whether every code of a sketch's parameters fits an Int32.
 */
const CODE_BITS = 2;
const CODE_SPAN = 1 << CODE_BITS;
const CODE_MASK = CODE_SPAN - 1;
const CODE_POS = 0;
const CODE_NEG = 1;
const CODE_ZERO = 2;

export class DDSketch {
  readonly relativeAccuracy: number;
  readonly maxBins: number;
  readonly gamma: number;
  /** 1 / ln(gamma): index = ceil(ln(x) * multiplier). */
  private readonly multiplier: number;
  private readonly lnGamma: number;
  /** Magnitudes at or below this count as zero (see MIN_NORMAL). */
  readonly minIndexable: number;
  private pos: CollapsingLowestStore | null = null;
  /** Keyed by -index(|x|): ascending key order is ascending value order. */
  private neg: CollapsingLowestStore | null = null;
  private zeros = 0;
  /** True once anything has been binned (then reads use the bins). */
  private binned = false;
  /** Raw values (a plain array: small typed arrays cost ~0.7 µs each to allocate in V8). */
  private buf: number[] = [];
  /** Values held in `buf` (its length is only capacity: kept across reset() for reuse). */
  private bufLen = 0;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(params: SketchParams = DEFAULT_SKETCH_PARAMS) {
    const a = params.relativeAccuracy;
    this.relativeAccuracy = a;
    this.maxBins = params.maxBins;
    this.gamma = (1 + a) / (1 - a);
    this.lnGamma = Math.log(this.gamma);
    this.multiplier = 1 / this.lnGamma;
    this.minIndexable = MIN_NORMAL * this.gamma;
  }

  /** Adds one finite value. */
  add(v: number): void {
    this.count += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.bufLen === BUFFER_MAX) this.flush();
    this.buf[this.bufLen++] = v;
  }

  /** Empties the sketch, keeping its buffer's capacity (for pooling). */
  reset(): void {
    this.pos = null;
    this.neg = null;
    this.zeros = 0;
    this.binned = false;
    this.bufLen = 0;
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  /** Bins buffered values. */
  flush(): void {
    this.binned = true;
    const n = this.bufLen;
    if (n === 0) return;
    const buf = this.buf;
    const mult = this.multiplier;
    const tiny = this.minIndexable;
    let np = 0;
    let nn = 0;
    for (let k = 0; k < n; k++) {
      const v = buf[k];
      if (v > tiny)
        scratchPos[np++] = Math.ceil(Math.log(v) * mult) + 0; // + 0: never -0
      else if (v < -tiny)
        scratchNeg[nn++] = 0 - Math.ceil(Math.log(-v) * mult); // 0 - x: never -0
      else this.zeros += 1;
    }
    this.bufLen = 0;
    if (np > 0) this.positive.addIndexes(scratchPos, np);
    if (nn > 0) this.negative.addIndexes(scratchNeg, nn);
  }

  /** Store of positive values (bucket index of x); bins the buffer. */
  get positive(): CollapsingLowestStore {
    if (this.bufLen > 0) this.flush();
    if (this.pos === null) this.pos = new CollapsingLowestStore(this.maxBins);
    return this.pos;
  }

  /** Store of negative values (keyed by -index(|x|)); bins the buffer. */
  get negative(): CollapsingLowestStore {
    if (this.bufLen > 0) this.flush();
    if (this.neg === null) this.neg = new CollapsingLowestStore(this.maxBins);
    return this.neg;
  }

  get zeroCount(): number {
    this.flush();
    return this.zeros;
  }

  set zeroCount(n: number) {
    this.flush();
    this.zeros = n;
  }

  /** Bucket index of a non-zero value's magnitude (exposed for tests and the codec). */
  indexOf(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) * this.multiplier) + 0;
  }

  /** Representative value of bucket `index` of the positive store. */
  valueOf(index: number): number {
    return (2 * Math.exp(index * this.lnGamma)) / (this.gamma + 1);
  }

  isCompatible(other: DDSketch): boolean {
    return other.relativeAccuracy === this.relativeAccuracy && other.maxBins === this.maxBins;
  }

  /** Adds every value of `other` into this sketch; exact (bins equal those of the union). */
  merge(other: DDSketch): void {
    if (!this.isCompatible(other)) {
      throw new RangeError(
        `cannot merge sketches of different parameters (accuracy ${this.relativeAccuracy}/${other.relativeAccuracy}, maxBins ` +
          `${this.maxBins}/${other.maxBins})`,
      );
    }
    if (other.count === 0) return;
    const theirs = other.buf;
    const m = other.bufLen;
    if (!other.binned && !this.binned && this.bufLen + m <= BUFFER_MAX) {
      for (let k = 0; k < m; k++) this.buf[this.bufLen++] = theirs[k];
    } else {
      this.flush();
      // Bin other's raw values straight into our stores (same indexes as binning them there).
      for (let k = 0; k < m; k++) {
        if (this.bufLen === BUFFER_MAX) this.flush();
        this.buf[this.bufLen++] = theirs[k];
      }
      this.flush();
      if (other.pos !== null) this.positive.merge(other.pos);
      if (other.neg !== null) this.negative.merge(other.neg);
      this.zeros += other.zeros;
    }
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** True while every value is still held raw (nothing binned): its values are exactly those added. */
  isRaw(): boolean {
    return !this.binned;
  }

  /**
   * merge(other) for an `other` that is raw (isRaw) and holds exactly values[from..to) in that
   * order, with these count, sum, min and max: the same steps on the same numbers, without
   * the other sketch (closer.ts merges a series' window into its scope groups this way, from
   * the gathered values, after the series' own sketch has been reused).
   */
  mergeRaw(values: Float64Array, from: number, to: number, sum: number, min: number, max: number): void {
    const m = to - from;
    if (m === 0) return;
    if (!this.binned && this.bufLen + m <= BUFFER_MAX) {
      for (let k = from; k < to; k++) this.buf[this.bufLen++] = values[k];
    } else {
      this.flush();
      for (let k = from; k < to; k++) {
        if (this.bufLen === BUFFER_MAX) this.flush();
        this.buf[this.bufLen++] = values[k];
      }
      this.flush();
    }
    this.count += m;
    this.sum += sum;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }

  /** True when every finite value's code fits an Int32 (all but accuracies below about 1e-6). */
  codesFit(): boolean {
    // The largest magnitude has the largest index; the smallest indexable one (≥ 2.2e-308) a
    // smaller one in absolute value.
    return (Math.abs(this.indexOf(Number.MAX_VALUE)) + 1) * CODE_SPAN < 2 ** 31;
  }

  /**
   * Writes the bucket code of each of values[from..to) into codes[from..to): the store and
   * index flush() would bin the value into (see CODE_* above). A value's code depends only on
   * the value and this sketch's parameters, so a pane can code its values once and every
   * window covering it bin them without a log (closer.ts).
   */
  codeValues(values: Float64Array, codes: Int32Array, from: number, to: number): void {
    const mult = this.multiplier;
    const tiny = this.minIndexable;
    for (let k = from; k < to; k++) {
      const v = values[k];
      if (v > tiny) codes[k] = (Math.ceil(Math.log(v) * mult) + 0) * CODE_SPAN + CODE_POS;
      else if (v < -tiny) codes[k] = (0 - Math.ceil(Math.log(-v) * mult)) * CODE_SPAN + CODE_NEG;
      else codes[k] = CODE_ZERO;
    }
  }

  /**
   * mergeRaw, with codes[from..to) the codes of values[from..to) (codeValues, same parameters):
   * the same steps, except that values this sketch would bin are binned from their codes, in
   * the same batches of BUFFER_MAX — so the stores end with the same bins, and the sketch in
   * the same raw or binned state, as mergeRaw leaves them.
   */
  mergeCoded(
    values: Float64Array,
    codes: Int32Array,
    from: number,
    to: number,
    sum: number,
    min: number,
    max: number,
  ): void {
    const m = to - from;
    if (m === 0) return;
    if (!this.binned && this.bufLen + m <= BUFFER_MAX) {
      for (let k = from; k < to; k++) this.buf[this.bufLen++] = values[k];
    } else {
      this.flush();
      for (let k = from; k < to; k += BUFFER_MAX) this.binCodes(codes, k, Math.min(to, k + BUFFER_MAX));
    }
    this.count += m;
    this.sum += sum;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }

  /** flush() for coded values: codes[from..to) (at most BUFFER_MAX) into the stores. */
  private binCodes(codes: Int32Array, from: number, to: number): void {
    let np = 0;
    let nn = 0;
    for (let k = from; k < to; k++) {
      const code = codes[k];
      const kind = code & CODE_MASK;
      // >> floors: (index * CODE_SPAN + kind) >> CODE_BITS is the index, negative ones too.
      if (kind === CODE_POS) scratchPos[np++] = code >> CODE_BITS;
      else if (kind === CODE_NEG) scratchNeg[nn++] = code >> CODE_BITS;
      else this.zeros += 1;
    }
    if (np > 0) this.positive.addIndexes(scratchPos, np);
    if (nn > 0) this.negative.addIndexes(scratchNeg, nn);
  }

  copy(): DDSketch {
    const s = new DDSketch(this);
    s.pos = this.pos === null ? null : this.pos.copy();
    s.neg = this.neg === null ? null : this.neg.copy();
    s.zeros = this.zeros;
    s.binned = this.binned;
    s.buf = this.buf.slice(0, this.bufLen);
    s.bufLen = this.bufLen;
    s.count = this.count;
    s.sum = this.sum;
    s.min = this.min;
    s.max = this.max;
    return s;
  }

  /**
   * Nearest-rank quantile: an estimate of the value of rank ceil(q * count) (1-based) in
   * sorted order, within `relativeAccuracy` of it. NaN when empty.
   */
  quantile(q: number): number {
    const out = [0];
    this.quantiles([q], out);
    return out[0];
  }

  /** Fills `out[i]` with quantile `qs[i]`; `qs` must be ascending. */
  quantiles(qs: readonly number[], out: number[]): void {
    const n = this.count;
    if (n === 0) {
      for (let k = 0; k < qs.length; k++) out[k] = NaN;
      return;
    }
    if (this.binned) this.quantilesFromBins(qs, out);
    else this.quantilesFromBuffer(qs, out);
  }

  private quantilesFromBuffer(qs: readonly number[], out: number[]): void {
    const n = this.bufLen;
    const tiny = this.minIndexable;
    // The values copied to scratch, with the two the bounds need: the highest, and the highest
    // below -tiny (what the top and the first value < -tiny from the top of a sorted copy are).
    const a = scratchSort;
    const buf = this.buf;
    let top = -Infinity;
    let nearZero = 0;
    for (let k = 0; k < n; k++) {
      const v = buf[k];
      a[k] = v;
      if (v > top) top = v;
      if (v < -tiny && (nearZero === 0 || v > nearZero)) nearZero = v;
    }
    // Each rank's value, highest rank first: the ones below are then selected among the values
    // a selection left before it (order-statistics.ts); the top rank is the maximum, known.
    let hi = n;
    for (let k = qs.length - 1; k >= 0; k--) {
      const r = nearestRank(qs[k], n);
      if (r === n) picked[k] = top;
      else if (k < qs.length - 1 && r === nearestRank(qs[k + 1], n)) picked[k] = picked[k + 1];
      else {
        picked[k] = selectRank(a, 0, hi, r - 1);
        hi = r - 1;
      }
    }
    // Collapsing bounds, as the bins would have them (see CollapsingLowestStore).
    const topIndex = top > tiny ? this.indexOf(top) : 0;
    const posLow = top > tiny ? topIndex - this.maxBins + 1 : 0;
    const negLow = nearZero < 0 ? -this.indexOf(-nearZero) - this.maxBins + 1 : 0;
    // The estimate is a function of the value at the rank: neighbouring quantiles of a small
    // window often land on the same value (p99 and p999 of fewer than 100), and the top
    // quantiles on the maximum, whose index is known — a log and an exp saved each time.
    let prev = NaN;
    let prevEstimate = 0;
    for (let k = 0; k < qs.length; k++) {
      const v = picked[k];
      if (v !== prev) {
        prev = v;
        prevEstimate = 0;
        if (v > tiny) prevEstimate = this.valueOf(Math.max(v === top ? topIndex : this.indexOf(v), posLow));
        else if (v < -tiny) prevEstimate = -this.valueOf(-Math.max(-this.indexOf(-v), negLow));
      }
      out[k] = this.clamp(prevEstimate);
    }
  }

  private quantilesFromBins(qs: readonly number[], out: number[]): void {
    this.flush();
    const n = this.count;
    let k = 0;
    let rank = nearestRank(qs[0], n);
    let seen = 0;
    const neg = this.neg;
    if (neg !== null && neg.count > 0) {
      for (let key = neg.minIndex; key <= neg.maxIndex && k < qs.length; key++) {
        seen += neg.bins[key - neg.offset];
        while (k < qs.length && seen >= rank) {
          out[k] = this.clamp(-this.valueOf(-key));
          k += 1;
          if (k < qs.length) rank = nearestRank(qs[k], n);
        }
      }
    }
    seen += this.zeros;
    while (k < qs.length && seen >= rank) {
      out[k] = this.clamp(0);
      k += 1;
      if (k < qs.length) rank = nearestRank(qs[k], n);
    }
    const pos = this.pos;
    if (pos !== null && pos.count > 0) {
      for (let i = pos.minIndex; i <= pos.maxIndex && k < qs.length; i++) {
        seen += pos.bins[i - pos.offset];
        while (k < qs.length && seen >= rank) {
          out[k] = this.clamp(this.valueOf(i));
          k += 1;
          if (k < qs.length) rank = nearestRank(qs[k], n);
        }
      }
    }
    // Only reachable through float drift in counts; the maximum is the right answer.
    for (; k < qs.length; k++) out[k] = this.max;
  }

  private clamp(v: number): number {
    return v < this.min ? this.min : v > this.max ? this.max : v;
  }
}

/** 1-based nearest rank of quantile q among n values: ceil(q n), at least 1. */
export function nearestRank(q: number, n: number): number {
  const r = Math.ceil(q * n);
  return r < 1 ? 1 : r > n ? n : r;
}

export function createSketch(params: SketchParams = DEFAULT_SKETCH_PARAMS): DDSketch {
  return new DDSketch(params);
}
