/** M4 decimation keeps every extreme (Jugel et al., VLDB 2014); runs split at gaps and sort by time. */
import fc from 'fast-check';
import { m4, toRuns, decimateRuns } from '../../../src/report/downsample';
import type { Point } from '../../../src/report/model';

/** Sorted series with arbitrary (possibly duplicate) timestamps and finite values. */
const series = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), {
    minLength: 1,
    maxLength: 3000,
  })
  .map((pts) => pts.sort((a, b) => a[0] - b[0]) as Point[]);

describe('m4', () => {
  it('keeps the global max and min, the first and the last point (property)', () => {
    fc.assert(
      fc.property(series, fc.integer({ min: 1, max: 500 }), (pts, buckets) => {
        const x0 = pts[0][0];
        const x1 = pts[pts.length - 1][0];
        const out = m4(pts, x0, x1, buckets);
        const ys = out.map((p) => p[1]);
        expect(ys).toContain(Math.max(...pts.map((p) => p[1])));
        expect(ys).toContain(Math.min(...pts.map((p) => p[1])));
        expect(out[0]).toBe(pts[0]);
        expect(out[out.length - 1]).toBe(pts[pts.length - 1]);
      }),
    );
  });

  it("keeps every bucket's min and max, keeps order, and emits at most 4 points per bucket (property)", () => {
    fc.assert(
      fc.property(series, fc.integer({ min: 1, max: 300 }), (pts, buckets) => {
        const x0 = pts[0][0];
        const x1 = pts[pts.length - 1][0];
        const out = m4(pts, x0, x1, buckets);
        if (pts.length > 4) expect(out.length).toBeLessThanOrEqual(4 * buckets);
        // Output is a subsequence of the input (original objects, original order).
        let j = 0;
        for (const p of out) {
          while (j < pts.length && pts[j] !== p) j++;
          expect(j).toBeLessThan(pts.length);
          j++;
        }
        if (pts.length <= 4) return;
        const bucketOf = (x: number): number =>
          Math.min(buckets - 1, Math.floor(((x - x0) / (x1 - x0 || 1)) * (x1 > x0 ? buckets : 0)));
        const extremes = new Map<number, { lo: number; hi: number }>();
        for (const p of pts) {
          const b = bucketOf(p[0]);
          const e = extremes.get(b) ?? { lo: Infinity, hi: -Infinity };
          extremes.set(b, { lo: Math.min(e.lo, p[1]), hi: Math.max(e.hi, p[1]) });
        }
        for (const [b, e] of extremes) {
          const kept = out.filter((p) => bucketOf(p[0]) === b).map((p) => p[1]);
          expect(kept).toContain(e.lo);
          expect(kept).toContain(e.hi);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reduces an 18k-point series to at most 4 points per pixel and keeps an isolated spike', () => {
    const pts: Point[] = [];
    for (let i = 0; i < 18_050; i++) pts.push([i * 300_000, 50 + Math.sin(i / 30)]);
    pts[12_345] = [pts[12_345][0], 99.5];
    const out = m4(pts, 0, pts[pts.length - 1][0], 900);
    expect(out.length).toBeLessThanOrEqual(3600);
    expect(out.length).toBeLessThan(pts.length / 4);
    expect(out).toContain(pts[12_345]);
  });
});

describe('toRuns', () => {
  it('splits at NaN values, drops non-finite times, and sorts by time keeping ties in order', () => {
    const a: Point = [3, 1];
    const b: Point = [1, 2];
    const tie1: Point = [5, 7];
    const tie2: Point = [5, 8];
    const runs = toRuns([a, b, [2, Number.NaN], [Number.NaN, 4], tie1, tie2, [9, Infinity], [10, 0]], false);
    expect(runs).toEqual([[b], [a, tie1, tie2], [[10, 0]]]);
    expect(runs[1][1]).toBe(tie1);
  });

  it('drops non-positive values on a log axis', () => {
    expect(
      toRuns(
        [
          [1, 5],
          [2, 0],
          [3, -1],
          [4, 2],
        ],
        true,
      ),
    ).toEqual([[[1, 5]], [[4, 2]]]);
  });

  it('decimates only above the point budget', () => {
    const run: Point[] = Array.from({ length: 100 }, (_, i) => [i, i % 7] as const);
    expect(decimateRuns([run], 0, 99, 10, 100)[0]).toHaveLength(100);
    expect(decimateRuns([run], 0, 99, 10, 99)[0].length).toBeLessThanOrEqual(40);
  });
});
