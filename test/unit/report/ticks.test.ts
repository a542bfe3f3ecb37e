/** Heckbert nice ticks: cover the data, step is 1, 2 or 5 × 10^k, evenly spaced, a sensible count. */
import fc from 'fast-check';
import { logTicks, niceNumber, niceTicks } from '../../../src/report/ticks';

/** The mantissa of a step, if it is 1, 2 or 5 × 10^k (10 × 10^k is 1 × 10^(k+1)). */
function niceMantissa(step: number): number | undefined {
  const k = Math.floor(Math.log10(step));
  for (const e of [k - 1, k, k + 1]) {
    const m = step / Math.pow(10, e);
    for (const nice of [1, 2, 5]) if (Math.abs(m - nice) < 1e-9 * nice) return nice;
  }
  return undefined;
}

const value = fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true });

describe('niceNumber (Heckbert 1990)', () => {
  it('rounds to the nearest nice number with the paper thresholds', () => {
    expect([1.4, 1.6, 2.9, 3.1, 6.9, 7.1].map((x) => niceNumber(x, true))).toEqual([1, 2, 2, 5, 5, 10]);
    expect([1, 1.01, 2, 2.01, 5, 5.01].map((x) => niceNumber(x, false))).toEqual([1, 2, 2, 5, 5, 10]);
  });

  it('is exact for negative exponents (0.1, not 0.30000000000000004 / 3)', () => {
    expect(niceNumber(0.1, true)).toBe(0.1);
    expect(niceNumber(0.0021, true)).toBe(0.002);
    expect(niceNumber(0.00049, false)).toBe(0.0005);
  });

  it('never returns less than its input when not rounding', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1e12, noNaN: true }), (x) => {
        const n = niceNumber(x, false);
        expect(n).toBeGreaterThanOrEqual(x * (1 - 1e-12));
        expect(n).toBeLessThanOrEqual(x * 10 * (1 + 1e-12));
        expect(niceMantissa(n)).toBeDefined();
      }),
    );
  });
});

describe('niceTicks', () => {
  it('gives the textbook axis for 0..97', () => {
    const t = niceTicks(0, 97, 6);
    expect(t.values).toEqual([0, 20, 40, 60, 80, 100]);
    expect(t.step).toBe(20);
  });

  it('prints decimals exactly (no 0.30000000000000004)', () => {
    expect(niceTicks(0.1, 0.34, 6).values).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(niceTicks(0.1, 0.34, 10).values).toEqual([0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
    expect(niceTicks(-0.7, 0.2, 10).values).toContain(-0.3);
  });

  it('covers the data range with 1/2/5 × 10^k steps, evenly spaced (property)', () => {
    fc.assert(
      fc.property(value, value, fc.integer({ min: 2, max: 12 }), (a, b, target) => {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        const t = niceTicks(lo, hi, target);
        expect(t.values.length).toBeGreaterThanOrEqual(2);
        expect(t.values[0]).toBeLessThanOrEqual(lo + Math.abs(lo) * 1e-12);
        expect(t.values[t.values.length - 1]).toBeGreaterThanOrEqual(hi - Math.abs(hi) * 1e-12);
        expect(t.min).toBeLessThanOrEqual(lo);
        expect(t.max).toBeGreaterThanOrEqual(hi);
        expect(niceMantissa(t.step)).toBeDefined();
        for (let i = 1; i < t.values.length; i++) {
          const gap = t.values[i] - t.values[i - 1];
          expect(Math.abs(gap - t.step)).toBeLessThanOrEqual(t.step * 1e-6 + Math.abs(t.values[i]) * 1e-12);
        }
        // Loose labelling adds at most one step beyond the data on each side, and the count
        // stays near the target (Heckbert's method can give up to about 2.5× it).
        expect(t.values.length).toBeLessThanOrEqual(Math.ceil(target * 2.5) + 2);
        // Every tick is a multiple of the step (labels land on round numbers).
        for (const v of t.values) {
          const q = v / t.step;
          expect(Math.abs(q - Math.round(q))).toBeLessThan(1e-6);
        }
      }),
    );
  });

  it('still draws an axis for a constant or reversed range', () => {
    const flat = niceTicks(5, 5);
    expect(flat.values[0]).toBeLessThan(5);
    expect(flat.values[flat.values.length - 1]).toBeGreaterThan(5);
    expect(niceTicks(0, 0).values.length).toBeGreaterThanOrEqual(2);
    expect(niceTicks(10, 0).values).toEqual(niceTicks(0, 10).values);
    expect(niceTicks(Number.NaN, 3).values).toEqual(niceTicks(0, 1).values);
  });
});

describe('logTicks', () => {
  it('ticks every decade over a wide range', () => {
    const t = logTicks(3e4, 2e8);
    expect(t.values).toEqual([1e4, 1e5, 1e6, 1e7, 1e8, 1e9]);
    expect(t.min).toBe(1e4);
    expect(t.max).toBe(1e9);
  });

  it('adds 2× and 5× over a narrow range and covers the data', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1e9, noNaN: true }),
        fc.double({ min: 1, max: 50, noNaN: true }),
        (lo, ratio) => {
          const hi = lo * ratio;
          const t = logTicks(lo, hi);
          expect(t.min).toBeLessThanOrEqual(lo);
          expect(t.max).toBeGreaterThanOrEqual(hi);
          expect(t.values.length).toBeGreaterThanOrEqual(2);
          for (const v of t.values) expect([1, 2, 5]).toContain(niceMantissa(v));
        },
      ),
    );
  });
});
