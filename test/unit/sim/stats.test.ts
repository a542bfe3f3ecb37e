import fc from 'fast-check';
import {
  countFlaps,
  jainIndex,
  peakToMean,
  quantile,
  timeToRecover,
  withinBand,
  type RecoveryRule,
} from '../../../src/sim/stats';
import type { ExecutorEvent } from '../../../src/sim/executor';
import { createEventQueue } from '../../../src/sim/events';

describe('Jain’s fairness index', () => {
  const positive = fc.array(fc.double({ min: 0.001, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 30 });

  it('lies in [1/n, 1] and is 1 exactly when all allocations are equal', () => {
    fc.assert(
      fc.property(positive, (xs) => {
        const j = jainIndex(xs);
        expect(j).toBeGreaterThanOrEqual(1 / xs.length - 1e-12);
        expect(j).toBeLessThanOrEqual(1 + 1e-12);
        if (xs.every((x) => x === xs[0])) expect(j).toBeCloseTo(1, 12);
      }),
    );
  });

  it('is scale invariant (a property Jain et al. require of a fairness measure)', () => {
    fc.assert(
      fc.property(positive, fc.double({ min: 0.01, max: 100, noNaN: true }), (xs, c) => {
        expect(jainIndex(xs.map((x) => x * c))).toBeCloseTo(jainIndex(xs), 9);
      }),
    );
  });

  it('is 1/n when one tenant gets everything, k/n when k share equally', () => {
    expect(jainIndex([5, 0, 0, 0])).toBeCloseTo(0.25, 12);
    expect(jainIndex([3, 3, 0, 0, 0])).toBeCloseTo(0.4, 12);
  });
});

describe('quantile and peak-to-mean', () => {
  it('nearest rank: p99 of 1..100 is 99, of 1..1000 is 990; the input is not reordered', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(xs[0]).toBe(100);
    expect(
      quantile(
        Array.from({ length: 1000 }, (_, i) => i + 1),
        0.99,
      ),
    ).toBe(990);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('peak-to-mean is 1 for a flat load and grows with a spike', () => {
    expect(peakToMean([3, 3, 3])).toBe(1);
    expect(peakToMean([1, 1, 1, 9])).toBe(3);
  });
});

describe('time to recover', () => {
  const rule = (over: Partial<RecoveryRule> = {}): RecoveryRule => ({
    from: 100,
    baseline: 10,
    bad: 'up',
    relative: 0.2,
    absolute: 0,
    ...over,
  });
  const pts = (vs: number[]): [number, number][] => vs.map((v, i) => [(i + 1) * 10, v]);

  it('is the end of the last out-of-band window after `from`, measured from `from`', () => {
    // windows end at 10..120; out of band (> 12) at 110 only after from=100
    expect(timeToRecover(pts([10, 10, 50, 10, 10, 10, 10, 10, 10, 10, 30, 11]), rule())).toBe(10);
  });

  it('must stay recovered: a relapse moves the time later', () => {
    expect(timeToRecover(pts([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 30, 11, 30, 11, 11]), rule())).toBe(30);
  });

  it('is 0 when the signal never left the band, null when it is out of band at the end', () => {
    expect(timeToRecover(pts(new Array<number>(15).fill(10)), rule())).toBe(0);
    expect(timeToRecover(pts([...new Array<number>(14).fill(10), 99]), rule())).toBeNull();
  });

  it('`down` rules (goodput) are bad below the band; the absolute width wins over a small relative one', () => {
    expect(withinBand(7, rule({ bad: 'down' }))).toBe(false);
    expect(withinBand(9, rule({ bad: 'down' }))).toBe(true);
    expect(withinBand(14, rule({ absolute: 5 }))).toBe(true);
  });
});

describe('flaps', () => {
  const ev = (t: number, kind: ExecutorEvent['kind'], target = 'w1'): ExecutorEvent => ({
    t,
    kind,
    target,
    family: 'query_timeout',
    commandId: null,
    policy: 'p',
    params: null,
    expiresAt: null,
    reason: '',
  });

  it('counts set → revert/lapse → set on the same target within the span, nothing else', () => {
    expect(countFlaps([ev(0, 'set'), ev(10, 'revert'), ev(20, 'set')], 60)).toBe(1);
    expect(countFlaps([ev(0, 'set'), ev(10, 'lapse'), ev(20, 'set'), ev(30, 'revert'), ev(40, 'set')], 60)).toBe(2);
    expect(countFlaps([ev(0, 'set'), ev(10, 'revert'), ev(100, 'set')], 60)).toBe(0); // outside the span
    expect(countFlaps([ev(0, 'set'), ev(10, 'tighten'), ev(20, 'relax'), ev(30, 'renew')], 60)).toBe(0); // never ended
    expect(countFlaps([ev(0, 'set', 'a'), ev(10, 'revert', 'a'), ev(20, 'set', 'b')], 60)).toBe(0); // another target
  });
});

describe('event queue', () => {
  it('pops in time order, ties in insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
        const q = createEventQueue<number>();
        times.forEach((t, i) => q.push(t, i));
        const out: [number, number][] = [];
        for (let e = q.pop(); e !== undefined; e = q.pop()) out.push([e.t, e.event]);
        const expected = times.map((t, i) => [t, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(expected);
        expect(q.size()).toBe(0);
        expect(q.peekTime()).toBe(Infinity);
      }),
    );
  });
});
