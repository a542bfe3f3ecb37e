import fc from 'fast-check';
import { weightedFairShares, type Claim } from '../../../src/policies/fair-share';

const claimsArb = fc
  .array(
    fc.record({
      demand: fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }),
      weight: fc.double({ min: 0.1, max: 10, noNaN: true, noDefaultInfinity: true }),
    }),
    { minLength: 1, maxLength: 30 },
  )
  .map((cs) => cs.map((c, i): Claim => ({ id: `t${String(i).padStart(2, '0')}`, ...c })));
const capacityArb = fc.double({ min: 0, max: 2e6, noNaN: true, noDefaultInfinity: true });

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const eps = (capacity: number, claims: Claim[]) => 1e-9 * (capacity + sum(claims.map((c) => c.demand)) + 1);

describe('weightedFairShares', () => {
  it('gives the demand to everyone when it fits, and water-fills the rest', () => {
    expect(
      weightedFairShares(100, [
        { id: 'a', demand: 10, weight: 1 },
        { id: 'b', demand: 20, weight: 1 },
      ]),
    ).toEqual({ a: 10, b: 20 });
    // c is satisfied with 10; a and b split the remaining 90 by weight 1:2.
    const s = weightedFairShares(100, [
      { id: 'a', demand: 100, weight: 1 },
      { id: 'b', demand: 100, weight: 2 },
      { id: 'c', demand: 10, weight: 1 },
    ]);
    expect(s.c).toBe(10);
    expect(s.a).toBeCloseTo(30, 9);
    expect(s.b).toBeCloseTo(60, 9);
    expect(weightedFairShares(0, [{ id: 'a', demand: 5, weight: 1 }])).toEqual({ a: 0 });
  });

  it('never hands out more than the capacity in total', () => {
    fc.assert(
      fc.property(capacityArb, claimsArb, (capacity, claims) => {
        const s = weightedFairShares(capacity, claims);
        expect(sum(Object.values(s))).toBeLessThanOrEqual(capacity + eps(capacity, claims));
      }),
    );
  });

  it('never gives a claimant more than its demand, nor less than zero', () => {
    fc.assert(
      fc.property(capacityArb, claimsArb, (capacity, claims) => {
        const s = weightedFairShares(capacity, claims);
        for (const c of claims) {
          expect(s[c.id]).toBeGreaterThanOrEqual(0);
          expect(s[c.id]).toBeLessThanOrEqual(c.demand);
        }
      }),
    );
  });

  it('is work-conserving: all capacity is used when demand exceeds it, all demand is met when it does not', () => {
    fc.assert(
      fc.property(capacityArb, claimsArb, (capacity, claims) => {
        const s = weightedFairShares(capacity, claims);
        const total = sum(Object.values(s));
        const demand = sum(claims.map((c) => c.demand));
        expect(Math.abs(total - Math.min(capacity, demand))).toBeLessThanOrEqual(eps(capacity, claims));
      }),
    );
  });

  it('is weighted max-min fair: an unsatisfied claimant has the highest share per weight', () => {
    fc.assert(
      fc.property(capacityArb, claimsArb, (capacity, claims) => {
        const s = weightedFairShares(capacity, claims);
        const e = eps(capacity, claims);
        for (const i of claims) {
          if (s[i.id] >= i.demand - e) continue; // satisfied
          for (const j of claims) expect(s[i.id] / i.weight).toBeGreaterThanOrEqual(s[j.id] / j.weight - e);
        }
      }),
    );
  });

  it('gives shares proportional to weights when every demand exceeds its weighted share', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e6, noNaN: true, noDefaultInfinity: true }),
        fc.array(fc.double({ min: 0.1, max: 10, noNaN: true, noDefaultInfinity: true }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.double({ min: 1, max: 5, noNaN: true, noDefaultInfinity: true }),
        (capacity, weights, over) => {
          const W = sum(weights);
          const claims = weights.map((w, i) => ({ id: `t${i}`, weight: w, demand: (capacity * w * over) / W }));
          const s = weightedFairShares(capacity, claims);
          for (const c of claims) expect(s[c.id]).toBeCloseTo((capacity * c.weight) / W, 4);
        },
      ),
    );
  });

  it('is deterministic and independent of the order of the claims', () => {
    fc.assert(
      fc.property(capacityArb, claimsArb, (capacity, claims) => {
        const a = weightedFairShares(capacity, claims);
        const b = weightedFairShares(capacity, [...claims].reverse());
        for (const c of claims) expect(b[c.id]).toBeCloseTo(a[c.id], 6);
      }),
    );
  });
});
