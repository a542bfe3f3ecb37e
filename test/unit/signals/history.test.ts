import fc from 'fast-check';
import { createHistory, DEFAULT_EWMA_ALPHA, ewmaStep, leastSquaresSlope, recordMean } from '../../../src/signals';
import {
  packedHistorySize,
  PACKED_EWMA,
  PACKED_TREND,
  recordMeanPacked,
  resetPackedHistory,
} from '../../../src/signals/history';

describe('EWMA', () => {
  it('is seeded by the first value, then moves alpha of the way towards each new one', () => {
    let e = ewmaStep(NaN, 10, 0.3);
    expect(e).toBe(10);
    e = ewmaStep(e, 20, 0.3);
    expect(e).toBeCloseTo(13, 12);
    e = ewmaStep(e, 20, 0.3);
    expect(e).toBeCloseTo(15.1, 12);
  });

  it('stays within the range of the values it has seen', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (xs, alpha) => {
          let e = NaN;
          for (const x of xs) e = ewmaStep(e, x, alpha);
          expect(e).toBeGreaterThanOrEqual(Math.min(...xs) - 1e-6);
          expect(e).toBeLessThanOrEqual(Math.max(...xs) + 1e-6);
        },
      ),
    );
  });
});

describe('least-squares trend', () => {
  it('recovers the slope of exactly linear data, even at large window positions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2e8 }),
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        fc.integer({ min: 2, max: 12 }),
        (x0, slope, intercept, n) => {
          const xs = Array.from({ length: n }, (_, i) => x0 + i);
          const ys = xs.map((_, i) => intercept + slope * i);
          expect(leastSquaresSlope(xs, ys, n)).toBeCloseTo(slope, 6);
        },
      ),
    );
  });

  it('is 0 with fewer than two points or no spread in x', () => {
    expect(leastSquaresSlope([5], [3], 1)).toBe(0);
    expect(leastSquaresSlope([5, 5], [1, 9], 2)).toBe(0);
  });

  it('recordMean keeps the last K means: slope over a window of the series, gaps in x respected', () => {
    const h = createHistory(3);
    recordMean(h, 0, 100, DEFAULT_EWMA_ALPHA); // pushed out by the three below
    recordMean(h, 10, 1, DEFAULT_EWMA_ALPHA);
    recordMean(h, 11, 2, DEFAULT_EWMA_ALPHA);
    recordMean(h, 13, 4, DEFAULT_EWMA_ALPHA); // one window without data (x = 12)
    expect(h.n).toBe(3);
    expect(h.trend).toBeCloseTo(1, 12);
    expect(h.ewma).toBeCloseTo(ewmaStep(ewmaStep(ewmaStep(100, 1, 0.3), 2, 0.3), 4, 0.3), 12);
  });
});

describe('packed history (the engine keeps one per series in a shared Float64Array)', () => {
  const point = fc.record({ x: fc.integer({ min: -1e9, max: 1e9 }), mean: fc.double({ noNaN: true }) });

  it('gives bit for bit the EWMA and trend of recordMean, after every window, and touches only its own slots', () => {
    fc.assert(
      fc.property(
        fc.array(point, { maxLength: 40 }),
        fc.integer({ min: 2, max: 9 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 7 }),
        (points, k, alpha, at) => {
          const size = packedHistorySize(k);
          // Neighbouring slots hold a sentinel that must survive: rows sit side by side.
          const d = new Float64Array(at + size + 3).fill(-7.25);
          resetPackedHistory(d, at, k);
          const h = createHistory(k);
          for (const { x, mean } of points) {
            recordMean(h, x, mean, alpha);
            recordMeanPacked(d, at, k, x, mean, alpha);
            expect(Object.is(d[at + PACKED_EWMA], h.ewma)).toBe(true);
            expect(Object.is(d[at + PACKED_TREND], h.trend)).toBe(true);
          }
          expect([...d.subarray(0, at), ...d.subarray(at + size)]).toEqual(new Array<number>(at + 3).fill(-7.25));
        },
      ),
    );
  });

  it('starts empty after a reset, whatever it held before (rows are reused by new series)', () => {
    const d = new Float64Array(packedHistorySize(3));
    resetPackedHistory(d, 0, 3);
    for (let x = 0; x < 5; x++) recordMeanPacked(d, 0, 3, x, x * x, 0.3);
    resetPackedHistory(d, 0, 3);
    expect(Number.isNaN(d[PACKED_EWMA])).toBe(true);
    recordMeanPacked(d, 0, 3, 10, 4, 0.3);
    expect([d[PACKED_EWMA], d[PACKED_TREND]]).toEqual([4, 0]);
    recordMeanPacked(d, 0, 3, 11, 6, 0.3);
    expect(d[PACKED_TREND]).toBeCloseTo(2, 12);
  });
});
