import { simulateContention, sweepContention } from '../../../src/client/contention-sim';

describe('OCC contention simulation (Brooker 2015)', () => {
  it('full jitter does less work than plain exponential backoff (20 clients, 10 runs)', () => {
    const points = sweepContention({
      strategies: ['none', 'full', 'equal', 'decorrelated'],
      clientCounts: [20],
      runs: 10,
      seed: 1,
    });
    const calls = Object.fromEntries(points.map((p) => [p.strategy, p.meanCalls]));
    expect(calls.full).toBeLessThan(calls.none);
    expect(calls.equal).toBeLessThan(calls.none);
    expect(calls.decorrelated).toBeLessThan(calls.none);
  });

  it('every client writes exactly once and the run is reproducible from its seed', () => {
    for (const strategy of ['none', 'full', 'equal', 'decorrelated', 'immediate'] as const) {
      const a = simulateContention({ clients: 15, strategy, seed: 99 });
      expect(a.calls - a.failures).toBe(15);
      expect(a.completionMs).toBeGreaterThan(0);
      expect(simulateContention({ clients: 15, strategy, seed: 99 })).toEqual(a);
    }
  });

  it('a single client never conflicts: one write after one read, about four network delays', () => {
    const r = simulateContention({ clients: 1, strategy: 'full', seed: 3 });
    expect(r).toMatchObject({ calls: 1, failures: 0 });
    expect(r.completionMs).toBeGreaterThan(20);
    expect(r.completionMs).toBeLessThan(60);
  });
});
