import fc from 'fast-check';
import { createDashboardStore, type DashboardStoreOptions } from '../../../src/dashboard/store';
import type { DashboardSnapshot } from '../../../src/dashboard/types';
import { T0, WINDOW, command, decisionFor, signal } from './fixtures';

const LIMITS: DashboardStoreOptions = {
  maxPointsPerSeries: 600,
  maxDecisions: 200,
  maxTargets: 100,
  maxSeries: 500,
  seriesHistory: 120,
};
const at = (k: number): number => T0 + k * WINDOW;
const store = (o: Partial<DashboardStoreOptions> = {}) => createDashboardStore({ ...LIMITS, ...o });
const PANEL = 'timeouts\u001fworker-7\u001fqueue.depth:mean';

describe('dashboard store', () => {
  test('a first command creates its panel, back-filled with the windows that led to it', () => {
    const s = store();
    for (let k = 1; k <= 5; k++)
      s.addSignals([signal('worker-7', 'queue.depth', at(k), 20 * k), signal('worker-8', 'queue.depth', at(k), 1)]);
    expect(s.snapshot().panels).toEqual([]);
    const c = command({ at: at(5) });
    s.addCommands([c]);
    s.addDecisions([decisionFor(c, 'acted')]);
    const snap = s.snapshot();
    expect(snap.panels).toHaveLength(1);
    const p = snap.panels[0];
    expect(p).toMatchObject({
      id: PANEL,
      policy: 'timeouts',
      target: 'worker-7',
      signal: 'queue.depth:mean',
      derived: false,
    });
    expect(p.points).toEqual([1, 2, 3, 4, 5].map((k) => [at(k), 20 * k]));
    expect(p.evidence).toEqual([[at(5), 120, 50, '>']]);
    expect(snap.markers).toEqual([
      expect.objectContaining({
        id: c.id,
        t: at(5),
        kind: 'set',
        hollow: false,
        decision: 'acted',
        params: 'timeout 4000 ms',
      }),
    ]);
    expect(snap.leases).toEqual([
      expect.objectContaining({ target: 'worker-7', family: 'query_timeout', since: at(5), expiresAt: at(8) }),
    ]);
    expect(snap.spans).toEqual([expect.objectContaining({ family: 'query_timeout', from: at(5), to: at(8) })]);
    expect(snap.now).toBe(at(5));
  });

  test('a renewal extends the lease and its span, and its stale evidence is not plotted again', () => {
    const s = store();
    const set = command({ at: at(1) });
    s.addCommands([set]);
    const renew = command({ at: at(3), reason: 'renew lease (expires 1): queue.depth:mean 120 > 50' });
    s.addCommands([renew]);
    s.addDecisions([decisionFor(renew, 'renewed')]);
    const snap = s.snapshot();
    expect(snap.markers.map((m) => m.kind)).toEqual(['set', 'renew']);
    expect(snap.panels[0].evidence.map((e) => e[0])).toEqual([at(1)]);
    expect(snap.spans).toEqual([expect.objectContaining({ from: at(1), to: at(6) })]);
    expect(snap.leases).toEqual([
      expect.objectContaining({ since: at(1), issuedAt: at(3), expiresAt: at(6), commandId: renew.id }),
    ]);
  });

  test('a renewal is recognised by its copied parameters and evidence even without the reason', () => {
    const s = store();
    s.addCommands([command({ at: at(1) }), command({ at: at(2), reason: 'held' })]);
    expect(s.snapshot().markers.map((m) => m.kind)).toEqual(['set', 'renew']);
  });

  test('a revert ends the lease and cuts its span; a lapse is an expired marker', () => {
    const s = store();
    s.addCommands([
      command({ at: at(1) }),
      command({
        at: at(2),
        type: 'query_timeout.revert',
        evidence: [{ signal: 'queue.depth:mean', value: 5, threshold: 10, comparison: '<' }],
      }),
    ]);
    let snap = s.snapshot();
    expect(snap.leases).toEqual([]);
    expect(snap.spans).toEqual([expect.objectContaining({ from: at(1), to: at(2) })]);
    expect(snap.markers.map((m) => m.kind)).toEqual(['set', 'revert']);
    // The low watermark shows up from the revert's evidence.
    expect(snap.panels[0].evidence).toEqual([
      [at(1), 120, 50, '>'],
      [at(2), 5, 10, '<'],
    ]);

    const c = command({ at: at(4), target: 'worker-9' });
    s.addCommands([c]);
    expect(s.snapshot().leases.map((l) => l.target)).toEqual(['worker-9']);
    s.addDecisions([
      {
        ...decisionFor(c, 'reverted'),
        id: 'lapse-1',
        commandId: null,
        actionType: 'query_timeout.revert',
        eventTime: at(7),
      },
    ]);
    snap = s.snapshot();
    expect(snap.leases).toEqual([]);
    const lapse = snap.markers.find((m) => m.id === 'lapse-1');
    expect(lapse).toMatchObject({ kind: 'expired', t: at(7) });
    // The lapse repeats the lease's evidence: not a new observation.
    expect(snap.panels.find((p) => p.target === 'worker-9')!.evidence).toHaveLength(1);
  });

  test('leases lapse as event time passes, without any command', () => {
    const s = store();
    s.addCommands([command({ at: at(1), leaseMs: 2 * WINDOW })]);
    s.takeDelta();
    s.addSignals([signal('worker-7', 'queue.depth', at(2), 1)]);
    expect(s.takeDelta()?.leases).toBeUndefined(); // unchanged: not resent
    s.addSignals([signal('worker-7', 'queue.depth', at(3), 1)]);
    expect(s.takeDelta()?.leases).toEqual([]);
  });

  test('blocked and escalated decisions become markers; policy failures only rows', () => {
    const s = store();
    const c = command({ at: at(1) });
    s.addDecisions([
      { ...decisionFor(c, 'blocked'), id: 'b1', guardrail: 'cooldown' },
      { ...decisionFor(c, 'escalated'), id: 'e1', target: '*', commandId: null, actionType: null, evidence: [] },
    ]);
    const snap = s.snapshot();
    expect(snap.markers.map((m) => [m.id, m.kind])).toEqual([['b1', 'blocked']]);
    expect(snap.decisions.map((d) => d.id)).toEqual(['b1', 'e1']);
    expect(snap.targets.map((t) => t.target)).toEqual(['worker-7']);
    expect(snap.policies).toEqual([{ name: 'timeouts', type: '', version: '1', mode: 'enforce' }]);
  });

  test('several series of a target combine as the policies read them: worst for gauges, totals for rates', () => {
    const s = store();
    s.addSignals([
      signal('worker-7', 'queue.depth', at(1), 30, { tags: { tenant: 'a' } }),
      signal('worker-7', 'queue.depth', at(1), 70, { tags: { tenant: 'b' } }),
      signal('worker-7', 'queue.depth', at(1), 99, { tags: { tenant: 'c' }, count: 0 }),
      signal('w1', 'requests', at(1), 5, { tags: { service: 'api' } }),
      signal('w2', 'requests', at(1), 7, { tags: { service: 'api' } }),
    ]);
    s.addCommands([
      command({ at: at(1) }),
      command({
        at: at(1),
        policy: 'herd',
        target: 'api',
        type: 'retry_policy.set',
        params: { retryStrategy: 'full' },
        evidence: [
          { signal: 'requests:ratePerSec', value: 12, threshold: 10, comparison: '>' },
          { signal: 'retry.share', value: 0.4, threshold: 0.2, comparison: '>' },
        ],
      }),
    ]);
    const byId = new Map(s.snapshot().panels.map((p) => [p.signal, p]));
    expect(byId.get('queue.depth:mean')!.points).toEqual([[at(1), 70]]);
    expect(byId.get('requests:ratePerSec')!.points).toEqual([[at(1), 12]]);
    // A value the policy derives itself has no series: drawn from its evidence.
    expect(byId.get('retry.share')).toMatchObject({ derived: true, points: [], evidence: [[at(1), 0.4, 0.2, '>']] });
    // A scope aggregate spans every partition: used alone when present.
    s.addSignals([
      signal('*', 'requests', at(2), 100, { scope: 'service', tags: { service: 'api' } }),
      signal('w1', 'requests', at(2), 5, { tags: { service: 'api' } }),
    ]);
    expect(new Map(s.snapshot().panels.map((p) => [p.signal, p])).get('requests:ratePerSec')!.points).toEqual([
      [at(1), 12],
      [at(2), 100],
    ]);
  });

  test('rings stay bounded: points, markers, decisions, targets', () => {
    const s = store({ maxPointsPerSeries: 10, maxDecisions: 5, maxTargets: 3, seriesHistory: 4 });
    for (let k = 1; k <= 30; k++) s.addSignals([signal('worker-7', 'queue.depth', at(k), k)]);
    s.addCommands([command({ at: at(30) })]);
    expect(s.snapshot().panels[0].points.map((p) => p[1])).toEqual([27, 28, 29, 30]); // back-fill: seriesHistory
    for (let k = 31; k <= 60; k++) {
      s.addSignals([signal('worker-7', 'queue.depth', at(k), k)]);
      const c = command({ at: at(k), params: { timeoutMs: k } });
      s.addCommands([c]);
      s.addDecisions([decisionFor(c, 'acted')]);
    }
    let snap = s.snapshot();
    expect(snap.panels[0].points.map((p) => p[1])).toEqual([51, 52, 53, 54, 55, 56, 57, 58, 59, 60]);
    expect(snap.panels[0].evidence).toHaveLength(10);
    expect(snap.markers).toHaveLength(10);
    expect(snap.decisions).toHaveLength(5);
    expect(snap.decisions[4].eventTime).toBe(at(60));
    s.takeDelta();
    for (const w of ['w1', 'w2', 'w3']) s.addCommands([command({ at: at(61), target: w })]);
    snap = s.snapshot();
    expect(snap.targets.map((t) => t.target).sort()).toEqual(['w1', 'w2', 'w3']);
    expect(snap.panels.map((p) => p.target).sort()).toEqual(['w1', 'w2', 'w3']);
    expect(s.takeDelta()!.removed).toEqual(['timeouts\u001fworker-7']);
  });

  test('a churn of uncharted series beyond maxSeries does not starve a charted target', () => {
    // Regression: charted series were evicted by the rest of their own batch before their
    // panel read it, and the chart stopped moving.
    const s = store({ maxSeries: 5 });
    s.addCommands([command({ at: at(0), target: 'worker-0' })]);
    for (let k = 1; k <= 4; k++) {
      s.addSignals(Array.from({ length: 20 }, (_, i) => signal(`worker-${i}`, 'queue.depth', at(k), 10 * k + i)));
    }
    expect(s.snapshot().panels[0].points).toEqual([1, 2, 3, 4].map((k) => [at(k), 10 * k]));
    expect(s.snapshot().counts.series).toBeLessThanOrEqual(2 * 5);
  });

  test('deltas carry exactly what changed, then nothing', () => {
    const s = store();
    expect(s.takeDelta()).toBeNull();
    s.addSignals([signal('worker-7', 'queue.depth', at(1), 60)]);
    const c = command({ at: at(1) });
    s.addCommands([c]);
    let d = s.takeDelta()!;
    expect(d.seq).toBe(1);
    expect(d.panels.map((p) => p.id)).toEqual([PANEL]);
    expect(d.points).toEqual([]); // inside the new panel
    expect(d.markers.map((m) => m.id)).toEqual([c.id]);
    expect(d.leases).toHaveLength(1);
    expect(s.takeDelta()).toBeNull();
    s.addSignals([signal('worker-7', 'queue.depth', at(2), 61), signal('worker-9', 'queue.depth', at(2), 1)]);
    s.addDecisions([decisionFor(c, 'acted')]);
    d = s.takeDelta()!;
    expect(d).toMatchObject({ seq: 2, now: at(2), panels: [], points: [[PANEL, at(2), 61]], evidence: [] });
    expect(d.markers).toEqual([expect.objectContaining({ id: c.id, decision: 'acted' })]);
    expect(d.decisions.map((x) => x.id)).toEqual([`dec-${c.id}`]);
    expect(d.leases).toBeUndefined();
    expect(s.snapshot().seq).toBe(2);
  });

  test('policies: set, then modes from the control plane and from decisions', () => {
    const s = store();
    s.setPolicies([{ name: 'timeouts', type: 'adaptive-timeout', version: '1', mode: 'shadow' }]);
    expect(s.takeDelta()!.policies).toEqual([
      { name: 'timeouts', type: 'adaptive-timeout', version: '1', mode: 'shadow' },
    ]);
    s.setModes({ timeouts: 'canary' });
    expect(s.takeDelta()!.policies![0].mode).toBe('canary');
    s.addDecisions([decisionFor(command({ at: at(1) }), 'acted', { mode: 'enforce' })]);
    expect(s.takeDelta()!.policies![0]).toEqual({
      name: 'timeouts',
      type: 'adaptive-timeout',
      version: '1',
      mode: 'enforce',
    });
  });

  test('replaying the tail of the outputs (a batch retried after an abort) changes no view', () => {
    // The processor emits in event-time order; after an aborted transaction it re-emits the
    // batches since the last commit, with the same ids.
    const rows = fc
      .array(
        fc.tuple(
          fc.integer({ min: 1, max: 20 }),
          fc.integer({ min: 0, max: 200 }),
          fc.constantFrom('worker-1', 'worker-2'),
          fc.boolean(),
        ),
        { minLength: 1, maxLength: 30 },
      )
      .map((r) => r.sort((a, b) => a[0] - b[0]));
    fc.assert(
      fc.property(rows, fc.nat(), (rows, cut) => {
        const feed = (s: ReturnType<typeof store>, list: Array<[number, number, string, boolean]>): void => {
          for (const [k, v, w, act] of list) {
            s.addSignals([signal(w, 'queue.depth', at(k), v)]);
            if (act) {
              const c = command({
                id: `c-${w}-${k}-${v}`,
                at: at(k),
                target: w,
                params: { timeoutMs: 1000 + v },
                evidence: [{ signal: 'queue.depth:mean', value: v, threshold: 50, comparison: '>' }],
              });
              s.addCommands([c]);
              s.addDecisions([decisionFor(c, 'acted')]);
            }
          }
        };
        const once = store();
        feed(once, rows);
        const twice = store();
        feed(twice, rows);
        feed(twice, rows.slice(cut % rows.length));
        const strip = (x: DashboardSnapshot) => ({ ...x, counts: undefined });
        expect(strip(twice.snapshot())).toEqual(strip(once.snapshot()));
      }),
      { numRuns: 80 },
    );
  });
});
