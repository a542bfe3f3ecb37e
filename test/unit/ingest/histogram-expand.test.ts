import fc from 'fast-check';
import { expandBuckets, explicitBuckets, exponentialBuckets, type Bucket } from '../../../src/ingest/histogram-expand';
import { createSketch } from '../../../src/signals/ddsketch';

/** Bucket index of rank r (0-based) in ascending buckets. */
function bucketOfRank(buckets: readonly Bucket[], r: number): Bucket {
  let before = 0;
  for (const b of buckets) {
    if (r < before + b.n) return b;
    before += b.n;
  }
  throw new Error('rank out of range');
}

const within = (v: number, b: Bucket): boolean =>
  v >= Math.min(b.lo, b.hi) - 1e-9 * Math.abs(b.lo) && v <= Math.max(b.lo, b.hi) + 1e-9 * Math.abs(b.hi);

const layout = fc
  .array(fc.record({ width: fc.double({ min: 0.01, max: 100, noNaN: true }), n: fc.integer({ min: 0, max: 40 }) }), {
    minLength: 1,
    maxLength: 12,
  })
  .map((specs) => {
    let at = -50;
    return specs.map(({ width, n }) => {
      const b: Bucket = { lo: at, hi: at + width, n, log: false };
      at += width;
      return b;
    });
  })
  .filter((bs) => bs.some((b) => b.n > 0));

describe('histogram expansion', () => {
  it('keeps every bucket’s count: the sample of rank r lies in the bucket of rank r', () => {
    fc.assert(
      fc.property(layout, (buckets) => {
        const total = buckets.reduce((s, b) => s + b.n, 0);
        const out = expandBuckets(buckets, total, 10_000);
        expect(out).toHaveLength(total);
        for (let r = 0; r < total; r++) {
          expect(within(out[r], bucketOfRank(buckets, r))).toBe(true);
          if (r > 0) expect(out[r]).toBeGreaterThanOrEqual(out[r - 1]);
        }
      }),
    );
  });

  it('above the cap, samples evenly spaced ranks: sample j lies in the bucket of rank (j + ½)·total/cap', () => {
    fc.assert(
      fc.property(layout, fc.integer({ min: 1, max: 30 }), (buckets, cap) => {
        const total = buckets.reduce((s, b) => s + b.n, 0);
        fc.pre(total > cap);
        const out = expandBuckets(buckets, total, cap);
        expect(out).toHaveLength(cap);
        out.forEach((v, j) =>
          expect(within(v, bucketOfRank(buckets, Math.floor(((j + 0.5) * total) / cap)))).toBe(true),
        );
      }),
    );
  });

  it('uses the point’s min and max as the lowest and highest sample', () => {
    const buckets = explicitBuckets([10, 20], [2, 3, 1], 4, 27);
    const out = expandBuckets(buckets, 6, 100, 4, 27);
    expect(out[0]).toBe(4);
    expect(out[out.length - 1]).toBe(27);
    expect(out.every((v) => v >= 4 && v <= 27)).toBe(true);
  });

  it('reads open-ended explicit buckets without min/max as [0, b0] (positive b0) and the last bound', () => {
    const out = expandBuckets(explicitBuckets([10, 20], [1, 0, 2]), 3, 100);
    expect(out[0]).toBeGreaterThan(0);
    expect(out[0]).toBeLessThanOrEqual(10);
    expect(out.slice(1)).toEqual([20, 20]);
  });

  it('maps exponential buckets to (base^i, base^(i+1)], negatives mirrored, zeros as 0', () => {
    const buckets = exponentialBuckets(1, 2, { offset: 2, counts: [1, 1] }, { offset: 0, counts: [1] })!;
    const expected = [
      [-Math.SQRT2, -1, 1],
      [0, 0, 2],
      [2, 2 * Math.SQRT2, 1],
      [2 * Math.SQRT2, 4, 1],
    ];
    buckets.forEach((b, i) => {
      expect(b.lo).toBeCloseTo(expected[i][0], 12);
      expect(b.hi).toBeCloseTo(expected[i][1], 12);
      expect(b.n).toBe(expected[i][2]);
    });
    expect(exponentialBuckets(0, 0, { offset: 2000, counts: [1] }, { offset: 0, counts: [] })).toBeUndefined();
  });

  it('keeps quantiles of exponentially bucketed data within one bucket, and within bucket ⊕ sketch error through DDSketch', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 1e5, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom(0.5, 0.9, 0.99, 0.999),
        (data, scale, q) => {
          const base = Math.pow(2, Math.pow(2, -scale));
          // OTel's mapping: value v goes to index ceil(log_base(v)) - 1, i.e. (base^i, base^(i+1)].
          const idx = data.map((v) => Math.ceil(Math.log2(v) * Math.pow(2, scale)) - 1);
          const offset = Math.min(...idx);
          const counts = new Array<number>(Math.max(...idx) - offset + 1).fill(0);
          for (const i of idx) counts[i - offset]++;
          const min = Math.min(...data);
          const max = Math.max(...data);
          const out = expandBuckets(
            exponentialBuckets(scale, 0, { offset, counts }, { offset: 0, counts: [] }, min, max)!,
            data.length,
            10_000,
            min,
            max,
          );
          const sorted = [...data].sort((a, b) => a - b);
          const rank = Math.min(data.length, Math.max(1, Math.ceil(q * data.length))) - 1;
          const exact = sorted[rank];
          // A sliver of float slack: log2() at an exact bucket boundary may round either way.
          expect(Math.abs(out[rank] - exact) / exact).toBeLessThanOrEqual(base - 1 + 1e-9);
          const sketch = createSketch();
          for (const v of out) sketch.add(v);
          expect(Math.abs(sketch.quantile(q) - exact) / exact).toBeLessThanOrEqual(
            base * (1 + sketch.relativeAccuracy) - 1 + 1e-9,
          );
        },
      ),
    );
  });
});
