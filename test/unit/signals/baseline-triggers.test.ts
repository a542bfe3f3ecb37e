import {
  emptyBaseline,
  robustSpread,
  stepBaseline,
  trailingQuantile,
  type BaselineSpec,
} from '../../../src/signals/baseline';
import { burnRate, emptyBurn, judgeBurn, shareOver, stepBurn } from '../../../src/signals/burn-rate';
import { resolveThreshold } from '../../../src/signals/trigger';

const spec: BaselineSpec = { windows: 5, warmupWindows: 3, alpha: 0.5, maxFrozenWindows: 2 };
const feed = (values: number[], freeze = false) =>
  values.reduce((b, v) => stepBaseline(b, v, freeze, spec), emptyBaseline());

describe('baseline', () => {
  it('keeps the last `windows` values in a ring and an EWMA', () => {
    const b = feed([1, 2, 3, 4, 5, 6, 7]);
    expect([...b.values].sort((x, y) => x - y)).toEqual([3, 4, 5, 6, 7]);
    expect(b.learned).toBe(7);
    expect(trailingQuantile(b, 0.5)).toBe(5);
  });

  it('gives no relative threshold during warm-up, then a ratio of its own level', () => {
    const t = { ratio: 2, of: 'median' as const, atLeast: 0 };
    expect(resolveThreshold(t, feed([10, 10]), spec)).toBeNull();
    expect(resolveThreshold(t, feed([10, 10, 10]), spec)).toBe(20);
    expect(resolveThreshold(t, feed([1000, 1000, 1000]), spec)).toBe(2000);
    expect(resolveThreshold(42, undefined, spec)).toBe(42);
  });

  it('freezes while asked, for at most maxFrozenWindows windows in a row', () => {
    const b = feed([10, 10, 10]);
    const f1 = stepBaseline(b, 500, true, spec);
    const f2 = stepBaseline(f1, 500, true, spec);
    expect(f2.values).toEqual(b.values); // the incident did not become the new normal
    const f3 = stepBaseline(f2, 500, true, spec); // frozen twice already: a new level, learned
    expect(f3.values).toContain(500);
    const f4 = stepBaseline(f3, 501, true, spec); // and it keeps learning while the run lasts
    expect(f4.values).toContain(501);
    expect(stepBaseline(f4, 10, false, spec).frozen).toBe(0);
  });

  it('robust deviation: median + k·1.4826·MAD, floored by minSpreadRatio on a flat series', () => {
    const b = feed([10, 12, 8, 10, 10]);
    const { median, spread } = robustSpread(b, 'mad');
    expect(median).toBe(10);
    expect(spread).toBeCloseTo(0, 9); // MAD of [0,2,2,0,0] is 0
    const t = { deviations: 4, spread: 'mad' as const, minSpreadRatio: 0.1, atLeast: 0 };
    expect(resolveThreshold(t, b, spec)).toBeCloseTo(14); // 10 + 4 × max(0, 0.1 × 10)
    const noisy = feed([10, 20, 30, 40, 50]);
    expect(robustSpread(noisy, 'mad').spread).toBeCloseTo(1.4826 * 10);
    expect(robustSpread(noisy, 'iqr').spread).toBeCloseTo(20 / 1.349);
  });

  it('never mutates the state it is given', () => {
    const b = Object.freeze(feed([1, 2, 3]));
    const values = [...b.values];
    stepBaseline(b, 9, false, spec);
    expect(b.values).toEqual(values);
  });
});

describe('SLO burn rate', () => {
  const burn = { objective: 0.99, pairs: [{ long: 12, short: 1, factor: 14.4 }] };
  it('fires only when both spans burn at the factor, and stops with the short one', () => {
    let s = emptyBurn();
    for (let i = 0; i < 11; i++) s = stepBurn(s, 0, 100, burn);
    expect(burnRate(s, 12, 0.99)).toBeNull(); // not 12 windows yet
    s = stepBurn(s, 100, 100, burn); // one window all bad: long burn = (100/1200)/0.01 = 8.3 < 14.4
    expect(judgeBurn(s, burn).firing).toBe(false);
    s = stepBurn(s, 100, 100, burn); // long = 200/1200/0.01 = 16.7, short = 100
    expect(judgeBurn(s, burn).firing).toBe(true);
    s = stepBurn(s, 0, 100, burn); // short span clean again
    expect(judgeBurn(s, burn)).toMatchObject({ firing: false, calm: true });
    expect(s.windows).toHaveLength(12);
  });

  it('estimates the share over a latency target from the quantiles', () => {
    const q = { min: 0, p50: 100, p90: 200, p99: 400, p999: 800, max: 1000 };
    expect(shareOver(100, q)).toBeCloseTo(0.5);
    expect(shareOver(300, q)).toBeCloseTo(1 - 0.945);
    expect(shareOver(2000, q)).toBe(0);
    expect(shareOver(-1, q)).toBe(1);
  });
});
