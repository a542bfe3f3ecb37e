import { createRandom } from '../../../src/client/random';
import { createTenantsModel, type TenantsParams } from '../../../src/sim/tenants-model';

const START = 1_767_225_600_000;
const SECONDS = 60;

/** One tenant sending 10 MB/s to a cluster with room for it; a quota throttles it. */
const params: TenantsParams = {
  capacityBytesPerSec: 100e6,
  brokers: 1,
  tenants: [{ name: 'omega', demandBytesPerSec: 10e6 }],
  noisy: 'omega',
  burstFactor: 1,
  burstStartMs: 0,
  burstEndMs: 1,
  sizeMedianBytes: 100_000,
  sizeSigma: 0.5,
  requestTimeoutMs: 30_000,
  quotaBurstMs: 1_000,
};

/** Bytes the brokers accepted from omega in each second, with the quota changes `at` applies before a second. */
function accepted(
  at: (s: number, model: ReturnType<typeof createTenantsModel>) => void,
  p: TenantsParams = params,
): number[] {
  const model = createTenantsModel(p, START, SECONDS, createRandom(7));
  const out: number[] = [];
  for (let s = 1; s <= SECONDS; s++) {
    at(s - 1, model);
    const bytes = model
      .advance(START + s * 1000)
      .filter((r) => r.metric === 'tenant.bytes_in')
      .reduce((x, r) => x + r.value, 0);
    out.push(bytes);
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('the tenants model: quota shaper', () => {
  it('re-times what it holds when the quota is raised: the new quota applies at once', () => {
    // 1 MB/s for 10 s (its requests pile up in the shaper), then 5 MB/s.
    const xs = accepted((s, m) => {
      if (s === 10) m.setQuota('omega', 1e6, START + s * 1000);
      if (s === 20) m.setQuota('omega', 5e6, START + s * 1000);
    });
    expect(mean(xs.slice(12, 20))).toBeLessThan(1.3e6);
    // Without re-timing, the requests scheduled at 1 MB/s (up to the 30 s request timeout ahead) kept their
    // turn and omega stayed near 1 MB/s for half a minute after the raise.
    expect(mean(xs.slice(21, 30))).toBeGreaterThan(4.5e6);
    expect(mean(xs.slice(21, 30))).toBeLessThan(5.5e6);
  });

  it('releases what it holds when the quota is lifted', () => {
    const xs = accepted((s, m) => {
      if (s === 10) m.setQuota('omega', 1e6, START + s * 1000);
      if (s === 20) m.clearQuota('omega', START + s * 1000);
    });
    // The held requests go out in the second the quota goes, then omega's own 10 MB/s.
    expect(xs[20]).toBeGreaterThan(20e6);
    expect(mean(xs.slice(25, 40))).toBeGreaterThan(9e6);
    expect(mean(xs.slice(25, 40))).toBeLessThan(11e6);
  });

  it('returns to the operator’s static quota, not to none, when a lease’s quota is lifted', () => {
    const xs = accepted(
      (s, m) => {
        if (s === 10) m.setQuota('omega', 1e6, START + s * 1000);
        if (s === 20) {
          m.clearQuota('omega', START + s * 1000);
          expect(m.quotaOf('omega')).toBe(4e6);
        }
      },
      { ...params, staticQuotas: { omega: 4e6 } },
    );
    expect(mean(xs.slice(2, 10))).toBeLessThan(4.5e6);
    // What the 1 MB/s lease held goes out at the static 4 MB/s, then omega stays at it.
    expect(mean(xs.slice(25, 40))).toBeGreaterThan(3.5e6);
    expect(mean(xs.slice(25, 40))).toBeLessThan(4.5e6);
  });
});
