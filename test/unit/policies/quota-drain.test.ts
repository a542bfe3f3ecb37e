import fc from 'fast-check';
import { keepRestores, nextBacklog } from '../../../src/policies/quota-drain';
import type { LeaseView } from '../../../src/policies';

const win = (i: number) => ({ windowStart: i * 10_000, windowEnd: (i + 1) * 10_000 });

describe('quota-drain: the backlog estimate', () => {
  it('grows by what the cluster took beyond its capacity and drains by its headroom, never below 0', () => {
    expect(nextBacklog(0, 1_200_000, 1_000_000, win(0))).toBe(2_000_000); // 200 kB/s over for 10 s
    expect(nextBacklog(2_000_000, 900_000, 1_000_000, win(1))).toBe(1_000_000);
    expect(nextBacklog(1_000_000, 500_000, 1_000_000, win(2))).toBe(0);
    expect(nextBacklog(0, Number.NaN, 1_000_000, win(3))).toBe(0);
  });

  it("equals Lindley's closed form: the largest excess of work over capacity summed over any run of recent windows", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 3, noNaN: true }), { minLength: 1, maxLength: 40 }), (utils) => {
        const cap = 1_000_000;
        let b = 0;
        utils.forEach((u, i) => {
          b = nextBacklog(b, u * cap, cap, win(i));
          // W_i = max(0, max over k ≤ i of Σ_{j=k..i} (u_j − 1) × capacity × 10 s)
          let best = 0;
          let suffix = 0;
          for (let k = i; k >= 0; k--) {
            suffix += (utils[k] - 1) * cap * 10;
            best = Math.max(best, suffix);
          }
          expect(b).toBeCloseTo(best, -1);
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('quota-drain: restores owed', () => {
  const lease = (target: string): LeaseView =>
    ({ target, family: 'quota', params: { quotaBytesPerSec: 1024 } }) as unknown as LeaseView;

  it('are kept only for tenants still under a quota lease (a lapsed or reverted one owes nothing)', () => {
    expect(keepRestores({ a: 500_000, b: 300_000 }, [lease('a')])).toEqual({ a: 500_000 });
    expect(keepRestores(undefined, [lease('a')])).toEqual({});
  });
});
