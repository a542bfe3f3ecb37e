import fc from 'fast-check';
import { InputError } from '../../../src/errors';
import { prng } from '../core/helpers';
import {
  createSketch,
  DDSketch,
  decodeSketch,
  encodeSketch,
  nearestRank,
  sketchFromBase64,
  sketchToBase64,
} from '../../../src/signals';

const QS = [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** Exact nearest-rank quantile: the value of rank ceil(q n) (1-based) in sorted order. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[nearestRank(q, sorted.length) - 1];
}

function relErr(estimate: number, exact: number): number {
  if (exact === 0) return Math.abs(estimate);
  return Math.abs(estimate - exact) / Math.abs(exact);
}

function sketchOf(values: readonly number[], params?: { relativeAccuracy: number; maxBins: number }): DDSketch {
  const sk = createSketch(params);
  for (const v of values) sk.add(v);
  return sk;
}

/** Every bin of a sketch, as comparable data. */
function bins(sk: DDSketch): { pos: [number, number][]; neg: [number, number][]; zero: number } {
  const pos: [number, number][] = [];
  const neg: [number, number][] = [];
  sk.positive.forEach((i, c) => pos.push([i, c]));
  sk.negative.forEach((i, c) => neg.push([i, c]));
  return { pos, neg, zero: sk.zeroCount };
}

/** Log-normal sample from uniforms (Box–Muller): a realistic latency distribution. */
function logNormal(mu: number, sigma: number, u1: number, u2: number): number {
  return Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
}

/**
 * Finite doubles, zeros and negatives included, with magnitudes in [1e-6, 1e9]: 15 decades,
 * inside the ~17 that 2048 bins cover at this accuracy (beyond, the lowest bins collapse by
 * design — tested separately).
 */
const finite = fc.oneof(
  fc.constant(0),
  fc
    .tuple(fc.boolean(), fc.double({ min: -6, max: 9, noNaN: true }))
    .map(([neg, e]) => (neg ? -1 : 1) * Math.pow(10, e)),
  fc.integer({ min: -1000, max: 1000 }),
);

describe('DDSketch accuracy (nearest-rank, relative error ≤ 1%)', () => {
  const check = (values: number[]): void => {
    const sk = sketchOf(values);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of QS) {
      const err = relErr(sk.quantile(q), exactQuantile(sorted, q));
      if (err > 0.01)
        throw new Error(`q=${q}: estimate ${sk.quantile(q)} vs exact ${exactQuantile(sorted, q)} (error ${err})`);
    }
  };

  it('holds on arbitrary finite data, including zeros and negatives', () => {
    fc.assert(fc.property(fc.array(finite, { minLength: 1, maxLength: 600, size: 'max' }), check), { numRuns: 200 });
  });

  it('holds on heavy-tailed data: log-normal latencies (σ = 2), Pareto (α = 1.2), both signs', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 20_000 }),
        fc.constantFrom('lognormal', 'pareto', 'signed'),
        (seed, n, kind) => {
          const rnd = prng(seed);
          const values = Array.from({ length: n }, () => {
            const u1 = rnd();
            const u2 = rnd();
            if (kind === 'pareto') return 1 / Math.pow(1 - u1, 1 / 1.2);
            const v = logNormal(3, 2, u1, u2);
            return kind === 'signed' && rnd() < 0.3 ? -v : v;
          });
          check(values);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('answers the same before and after binning its raw buffer (small windows are never binned)', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 200 }), (values) => {
        const raw = sketchOf(values);
        const binned = sketchOf(values);
        binned.flush();
        for (const q of QS) expect(raw.quantile(q)).toBe(binned.quantile(q));
      }),
    );
  });

  it('counts subnormal magnitudes as zero (no relative guarantee exists there)', () => {
    const sk = sketchOf([5e-324, -1e-310, 1]);
    expect(sk.quantile(0)).toBe(0);
    expect(sk.quantile(0.5)).toBe(0);
    expect(sk.zeroCount).toBe(2);
  });

  it('tracks count, sum, min and max exactly and is NaN when empty', () => {
    const sk = sketchOf([3, -1, 0, 10.5]);
    expect([sk.count, sk.sum, sk.min, sk.max]).toEqual([4, 12.5, -1, 10.5]);
    expect(Number.isNaN(createSketch().quantile(0.5))).toBe(true);
  });
});

describe('DDSketch merge is exact', () => {
  const split = (values: number[], cuts: number[]): number[][] => {
    const parts: number[][] = [];
    let from = 0;
    for (const c of [...cuts].sort((a, b) => a - b)) {
      const to = Math.min(values.length, c);
      parts.push(values.slice(from, to));
      from = Math.max(from, to);
    }
    parts.push(values.slice(from));
    return parts;
  };

  it('merging sketches of any split equals the sketch of the union (bins identical)', () => {
    fc.assert(
      fc.property(
        fc.array(finite, { maxLength: 800, size: 'max' }),
        fc.array(fc.nat(800), { maxLength: 5 }),
        fc.constantFrom(16, 64, 2048),
        (values, cuts, maxBins) => {
          const params = { relativeAccuracy: 0.0099, maxBins };
          const whole = sketchOf(values, params);
          const merged = createSketch(params);
          for (const part of split(values, cuts).reverse()) merged.merge(sketchOf(part, params));
          expect(bins(merged)).toEqual(bins(whole));
          expect(merged.count).toBe(whole.count);
          for (const q of QS) expect(merged.quantile(q)).toBe(whole.quantile(q));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('collapses the lowest bins when the range exceeds maxBins, whatever the insertion order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 300, size: 'max' }),
        (values) => {
          const params = { relativeAccuracy: 0.01, maxBins: 32 };
          const a = sketchOf(values, params);
          const b = sketchOf([...values].reverse(), params);
          expect(bins(a)).toEqual(bins(b));
          expect(bins(a).pos.length).toBeLessThanOrEqual(32);
          // The highest quantile keeps its accuracy; only the collapsed low end loses it.
          const max = Math.max(...values);
          expect(relErr(a.quantile(1), max)).toBeLessThanOrEqual(0.01);
        },
      ),
    );
  });

  it('refuses to merge sketches of different accuracy', () => {
    const a = createSketch({ relativeAccuracy: 0.01, maxBins: 2048 });
    const b = createSketch({ relativeAccuracy: 0.02, maxBins: 2048 });
    b.add(1);
    expect(() => a.merge(b)).toThrow(/different parameters/);
  });
});

describe('sketch serialisation', () => {
  it('round-trips through base64 with identical bins, count, sum, min, max', () => {
    fc.assert(
      fc.property(fc.array(finite, { maxLength: 400, size: 'max' }), (values) => {
        const sk = sketchOf(values);
        const back = sketchFromBase64(sketchToBase64(sk));
        expect(bins(back)).toEqual(bins(sk));
        expect([back.count, back.sum, back.min, back.max]).toEqual([sk.count, sk.sum, sk.min, sk.max]);
        expect([back.relativeAccuracy, back.maxBins]).toEqual([sk.relativeAccuracy, sk.maxBins]);
      }),
    );
  });

  it('is compact: a 1000-value latency window fits in well under 1 KiB', () => {
    const values = Array.from({ length: 1000 }, (_, i) =>
      logNormal(3, 0.5, (i + 0.5) / 1000, ((i * 7919) % 1000) / 1000),
    );
    expect(encodeSketch(sketchOf(values)).length).toBeLessThan(1024);
  });

  it('rejects bytes that are not a sketch with INVALID_FIELD', () => {
    const good = encodeSketch(sketchOf([1, 2, 3]));
    const cases = [new Uint8Array([2]), good.subarray(0, good.length - 1), new Uint8Array([...good, 0])];
    for (const bytes of cases) {
      let code = '';
      try {
        decodeSketch(bytes);
      } catch (err) {
        code = err instanceof InputError ? err.code : 'other';
      }
      expect(code).toBe('INVALID_FIELD');
    }
  });
});

describe('DDSketch quantiles of raw values, by selection', () => {
  // Few distinct values (runs of equal ones, ±0, subnormals counted as zero) and wide ones.
  const value = fc.oneof(
    fc.constantFrom(-0, 0, 5e-324, -1e-310, 1, 2, 2.5, -3, 1e300, -1e300),
    fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  );
  const ascending = fc
    .uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 })
    .map((qs) => [...qs].sort((a, b) => a - b));

  it('answers every ascending list of quantiles as the bins would, bit for bit', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 256 }), ascending, (values, qs) => {
        const raw = sketchOf(values);
        const binned = sketchOf(values);
        binned.flush();
        const got = new Array<number>(qs.length).fill(NaN);
        const want = new Array<number>(qs.length).fill(NaN);
        raw.quantiles(qs, got);
        binned.quantiles(qs, want);
        expect(raw.isRaw()).toBe(true);
        got.forEach((g, i) => expect(Object.is(g, want[i])).toBe(true));
      }),
      { numRuns: 400 },
    );
  });
});
