import fc from 'fast-check';
import type { WindowSignal } from '../../../src/model/signal';
import { engineFor, run, sig, W } from './fixtures';

const CAP = 1_000_000; // bytes/s
const policy = { name: 'wq', type: 'watermark-quota', parameters: {} };

function load(i: number, demands: Record<string, number>, capacity = CAP): WindowSignal[] {
  return [
    sig({ metric: 'cluster.capacity_bytes', value: capacity, i, scope: 'cluster', tags: {} }),
    ...Object.entries(demands).map(([tenant, rate]) =>
      sig({
        metric: 'tenant.bytes_in',
        value: rate * (W / 1000),
        ratePerSec: rate,
        i,
        scope: 'tenant',
        tags: { tenant },
      }),
    ),
  ];
}

const kindsOf = (steps: ReturnType<typeof run>) =>
  steps.flatMap((s) =>
    s.decisions.map((d) => ({ i: s.i, kind: d.kind, target: d.target, type: d.actionType, reason: d.reason })),
  );

describe('watermark-quota', () => {
  it('above the high watermark, throttles only tenants over their weighted fair share, to that share', () => {
    // 900k of 1M = 90% > 85%. Budget = 77.5% = 775k: c (100k) and b (200k) fit, a gets the remaining 475k.
    const steps = run(engineFor(policy), 2, (i) => load(i, { a: 600_000, b: 200_000, c: 100_000 }));
    expect(steps[0].commands).toHaveLength(0); // one window over is not enough (overWindows 2)
    expect(steps[1].commands.map((c) => [c.target, c.type, c.params.quotaBytesPerSec])).toEqual([
      ['a', 'quota.set', 475_000],
    ]);
    const ev = steps[1].commands[0].evidence;
    expect(ev[0]).toEqual({ signal: 'cluster.utilization', value: 0.9, threshold: 0.85, comparison: '>' });
    expect(ev[1]).toMatchObject({ signal: 'tenant.bytes_in:ratePerSec', value: 600_000, comparison: '>' });
    expect(ev[1].threshold).toBeCloseTo(475_000, 3);
  });

  it('uses the configured weights', () => {
    // (1.2 MB/s on 1 MB/s queues a backlog; drainWindows null: the shares alone, the drain is tested below)
    const weighted = { ...policy, parameters: { weights: { a: 1, b: 3 }, drainWindows: null } };
    const steps = run(engineFor(weighted, { blastRadius: { fraction: 1 } }), 2, (i) =>
      load(i, { a: 500_000, b: 700_000 }),
    );
    const q = Object.fromEntries(steps[1].commands.map((c) => [c.target, c.params.quotaBytesPerSec]));
    expect(q).toEqual({ a: 193_750, b: 581_250 }); // 775k split 1:3
  });

  it('holds between the watermarks, releases additively below the low one after the hold time, then reverts', () => {
    const demands = (i: number) =>
      i < 2
        ? { a: 600_000, b: 200_000, c: 100_000 }
        : i < 6
          ? { a: 475_000, b: 200_000, c: 100_000 }
          : { a: 300_000, b: 100_000, c: 50_000 };
    const steps = run(engineFor(policy), 20, (i) => load(i, demands(i)));
    const changes = kindsOf(steps).filter((d) => d.kind === 'acted' || d.kind === 'reverted');
    const quotas = steps.flatMap((s) =>
      s.commands
        .filter((c) => s.decisions.find((d) => d.commandId === c.id)?.kind !== 'renewed')
        .map((c) => [s.i, c.type, c.params.quotaBytesPerSec]),
    );
    // set at 1 (end 2W); in band 2-5: hold; under low from 6: 2 windows → ready at 7, but the
    // 60 s hold from the set (end of window 1 + 6 windows) lasts until window 7: first release at 7.
    expect(quotas).toEqual([
      [1, 'quota.set', 475_000],
      [7, 'quota.set', 525_000],
      [8, 'quota.set', 575_000],
      [9, 'quota.set', 625_000],
      [10, 'quota.set', 675_000],
      [11, 'quota.set', 725_000],
      [12, 'quota.revert', null],
    ]);
    expect(changes.every((d) => d.target === 'a')).toBe(true);
    expect(Object.keys(steps[19].state.leases)).toHaveLength(0);
    // the lease was renewed while held, never lapsed
    expect(kindsOf(steps).filter((d) => d.kind === 'renewed').length).toBeGreaterThan(0);
    expect(kindsOf(steps).filter((d) => d.reason.startsWith('lease expired'))).toHaveLength(0);
  });

  it('never flaps: after activation, load hovering between the watermarks changes nothing', () => {
    const tenants = ['a', 'b', 'c', 'd'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            util: fc.double({ min: 0.7001, max: 0.8499, noNaN: true }),
            mix: fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
          }),
          { minLength: 5, maxLength: 30 },
        ),
        (windows) => {
          const activation = { a: 700_000, b: 150_000, c: 50_000, d: 50_000 }; // 95%
          const at = (i: number) => {
            if (i < 2) return load(i, activation);
            const { util, mix } = windows[i - 2];
            const m = mix.reduce((x, y) => x + y, 0);
            return load(i, Object.fromEntries(tenants.map((t, k) => [t, (CAP * util * mix[k]) / m])));
          };
          const steps = run(engineFor(policy), windows.length + 2, at);
          expect(steps[1].commands.length).toBeGreaterThan(0);
          const later = kindsOf(steps.slice(2));
          // only renewals of the quotas set at activation: no set, relax or revert
          expect(later.filter((d) => d.kind !== 'renewed')).toEqual([]);
          const q0 = Object.values(steps[1].state.leases).map((l) => l.params.quotaBytesPerSec);
          const qN = Object.values(steps[steps.length - 1].state.leases).map((l) => l.params.quotaBytesPerSec);
          expect(qN).toEqual(q0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('tightens only above the high watermark and loosens only below the low one, for any load', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.2, max: 1.2, noNaN: true }), { minLength: 5, maxLength: 40 }),
        (utils) => {
          const at = (i: number) =>
            load(i, { a: CAP * utils[i] * 0.6, b: CAP * utils[i] * 0.3, c: CAP * utils[i] * 0.1 });
          const steps = run(engineFor(policy), utils.length, at);
          for (const s of steps) {
            for (const d of s.decisions) {
              if (d.kind !== 'acted' && d.kind !== 'reverted') continue;
              if (d.reason.startsWith('lease expired')) continue;
              // back up to the share a drain cut it from: a one-off return, not a loosening of the share
              if (d.reason.startsWith('backlog drained')) continue;
              const tighten = d.actionType === 'quota.set' && d.reason.includes('>');
              if (tighten) expect(utils[s.i]).toBeGreaterThan(0.85);
              else expect(utils[s.i]).toBeLessThan(0.7);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('falls back to the last capacity seen, and to a configured fixed capacity', () => {
    const steps = run(engineFor(policy), 3, (i) =>
      i === 0 ? load(i, { a: 950_000 }) : load(i, { a: 950_000 }).filter((s) => s.metric !== 'cluster.capacity_bytes'),
    );
    expect(steps[1].commands.map((c) => c.params.quotaBytesPerSec)).toEqual([775_000]);
    const fixed = { ...policy, parameters: { capacityBytesPerSec: 2_000_000 } };
    const none = run(engineFor(fixed), 3, (i) => load(i, { a: 950_000 }));
    expect(none.flatMap((s) => s.commands)).toHaveLength(0); // 47.5% of the configured 2 MB/s
  });

  describe('a backlog queued above capacity', () => {
    const quotas = (steps: ReturnType<typeof run>) =>
      steps.flatMap((s) =>
        s.decisions
          .filter((d) => d.kind === 'acted')
          .map((d) => {
            const c = s.commands.find((x) => x.id === d.commandId);
            return [
              s.i,
              c?.params.quotaBytesPerSec ?? null,
              d.reason.startsWith('backlog drained') ? 'restore' : 'cut',
            ];
          }),
      );

    it('is paid back by the tenant over its share within a window, then its quota returns to the share', () => {
      // 1.1 MB/s on 1 MB/s for two windows of 10 s queues 2 MB; a's share of 775k is 575k, less 2 MB / 10 s.
      const at = (i: number) => load(i, i < 2 ? { a: 900_000, b: 200_000 } : { a: 375_000, b: 200_000 });
      const steps = run(engineFor(policy), 4, at);
      expect(quotas(steps)).toEqual([
        [1, 375_000, 'cut'],
        // 575k/s against 1 MB/s drains the 2 MB in the next window: the share again
        [2, 575_000, 'restore'],
      ]);
      const cut = steps[1].commands[0];
      expect(cut.reason).toMatch(/quota 375000 B\/s \(the share less 200000 B\/s to drain a backlog of 2000000 B\)/);
      expect(cut.evidence).toContainEqual({
        signal: 'cluster.backlog_bytes',
        value: 2_000_000,
        threshold: 0,
        comparison: '>',
      });
    });

    it('never cuts below minQuotaBytesPerSec, and keeps the share to restore while the backlog lasts', () => {
      // 1.7 MB/s for two windows: 14 MB queued; the cut would be 1.4 MB/s off a share of 575k.
      const demands = (i: number) => (i < 2 ? { a: 1_500_000, b: 200_000 } : { a: 1024, b: 200_000 });
      const steps = run(engineFor(policy), 5, (i) => load(i, demands(i)));
      // window 2 drains 7.99 MB (6.01 MB left), window 3 the rest
      expect(quotas(steps)).toEqual([
        [1, 1024, 'cut'],
        [3, 575_000, 'restore'],
      ]);
    });

    it('below capacity queues nothing: the quota is the share, as without a drain', () => {
      const steps = run(engineFor(policy), 2, (i) => load(i, { a: 700_000, b: 250_000 }));
      expect(quotas(steps)).toEqual([[1, 525_000, 'cut']]);
      expect(steps[1].commands[0].evidence.map((e) => e.signal)).not.toContain('cluster.backlog_bytes');
    });
  });
});
