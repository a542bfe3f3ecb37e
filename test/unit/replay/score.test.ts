/** Scoring actions against labelled incident windows, and which decisions count as actions. */
import fc from 'fast-check';
import type { DecisionRecord } from '../../../src/codec';
import { actionsFromDecisions, classifyDecision } from '../../../src/replay/actions';
import { combineScores, scoreActions } from '../../../src/replay/score';

const MIN = 60_000;

describe('scoreActions', () => {
  it('scores windows acted on, delay and lead, and actions outside', () => {
    const windows = [
      { start: 100 * MIN, end: 160 * MIN },
      { start: 300 * MIN, end: 330 * MIN },
      { start: 500 * MIN, end: 520 * MIN },
    ];
    const actions = [50, 110, 130, 160, 400, 501].map((m) => ({ time: m * MIN }));
    const s = scoreActions(windows, actions);
    expect(s.windows).toBe(3);
    expect(s.windowsActedOn).toBe(2);
    expect(s.perWindow.map((w) => [w.actions, w.delayMs, w.leadMs])).toEqual([
      [3, 10 * MIN, 50 * MIN], // 110, 130 and 160 (the end is inclusive); first at +10 min
      [0, null, null],
      [1, 1 * MIN, 19 * MIN],
    ]);
    expect(s.meanDelayMs).toBe(5.5 * MIN);
    expect(s.meanLeadMs).toBe(34.5 * MIN);
    expect(s.actionsOutsideWindows).toBe(2);
    expect(s.outsideAt).toEqual([50 * MIN, 400 * MIN]);
    expect(s.actions).toBe(6);
    expect(s.actionsInWindows).toBe(4);
  });

  it('has no means when no window was acted on, and zero windows without labels', () => {
    const s = scoreActions([{ start: 10, end: 20 }], [{ time: 5 }]);
    expect(s.meanDelayMs).toBeUndefined();
    expect(s.meanLeadMs).toBeUndefined();
    expect(scoreActions([], [{ time: 5 }])).toMatchObject({ windows: 0, windowsActedOn: 0, actionsOutsideWindows: 1 });
  });

  it('counts an action in overlapping windows for both, and not as outside', () => {
    const s = scoreActions(
      [
        { start: 0, end: 100 },
        { start: 50, end: 150 },
      ],
      [{ time: 60 }],
    );
    expect(s.windowsActedOn).toBe(2);
    expect(s.perWindow.map((w) => w.delayMs)).toEqual([60, 10]);
    expect(s.actionsOutsideWindows).toBe(0);
  });

  it('widens windows backwards with earlyMs: a slightly early action counts, with a negative delay', () => {
    const s = scoreActions([{ start: 1000, end: 2000 }], [{ time: 900 }], { earlyMs: 200 });
    expect(s.perWindow[0].delayMs).toBe(-100);
    expect(s.perWindow[0].leadMs).toBe(1100);
    expect(scoreActions([{ start: 1000, end: 2000 }], [{ time: 900 }]).windowsActedOn).toBe(0);
    expect(() => scoreActions([], [], { earlyMs: -1 })).toThrow(RangeError);
  });

  const windowArb = fc
    .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 200 }))
    .map(([s, len]) => ({ start: s, end: s + len }));
  const actionArb = fc.integer({ min: -100, max: 1300 }).map((time) => ({ time }));

  it('adds up: in + outside = actions, acted ≤ windows, delay + lead = window length', () => {
    fc.assert(
      fc.property(fc.array(windowArb, { maxLength: 6 }), fc.array(actionArb, { maxLength: 20 }), (ws, as) => {
        const s = scoreActions(ws, as);
        expect(s.actionsInWindows + s.actionsOutsideWindows).toBe(as.length);
        expect(s.windowsActedOn).toBeLessThanOrEqual(s.windows);
        for (const w of s.perWindow) {
          if (w.firstActionAt === null) expect(w.actions).toBe(0);
          else {
            expect((w.delayMs as number) + (w.leadMs as number)).toBe(w.end - w.start);
            expect(w.delayMs).toBeGreaterThanOrEqual(0);
            // The first action is the earliest one inside.
            expect(
              as
                .filter((a) => a.time >= w.start && a.time <= w.end)
                .every((a) => a.time >= (w.firstActionAt as number)),
            ).toBe(true);
          }
        }
        // Order of the inputs does not matter.
        expect(scoreActions([...ws].reverse(), [...as].reverse())).toEqual(s);
      }),
    );
  });

  it('combines per-series scores into one, means weighted by windows acted on', () => {
    const a = scoreActions([{ start: 0, end: 100 }], [{ time: 10 }, { time: 500 }]);
    const b = scoreActions(
      [
        { start: 0, end: 100 },
        { start: 200, end: 300 },
      ],
      [{ time: 230 }],
    );
    const c = combineScores([a, b]);
    expect(c).toMatchObject({
      windows: 3,
      windowsActedOn: 2,
      actions: 3,
      actionsOutsideWindows: 1,
      actionsInWindows: 2,
    });
    expect(c.meanDelayMs).toBe(20);
    expect(c.meanLeadMs).toBe(80);
  });
});

describe('classifyDecision and actionsFromDecisions', () => {
  const base: DecisionRecord = {
    id: 'd',
    policy: 'p',
    policyVersion: 'v',
    target: 'w1',
    kind: 'shadowed',
    guardrail: null,
    commandId: 'c',
    actionType: 'query_timeout.set',
    mode: 'shadow',
    reason: 'overloaded for 3 windows',
    evidence: [{ signal: 'query.latency_ms:p99', value: 900, threshold: 800, comparison: '>' }],
    windowStart: 0,
    windowEnd: 10,
    eventTime: 10,
  };
  const calm = [{ signal: 'query.latency_ms:p99', value: 100, threshold: 300, comparison: '<' as const }];

  it('tells tightenings from relaxations, renewals, reverts and lapses in any mode', () => {
    expect(classifyDecision(base)).toBe('tighten');
    expect(classifyDecision({ ...base, kind: 'acted' })).toBe('tighten');
    expect(classifyDecision({ ...base, evidence: calm })).toBe('relax');
    expect(classifyDecision({ ...base, reason: 'renew lease (expires 40): overloaded' })).toBe('renew');
    expect(
      classifyDecision({
        ...base,
        kind: 'control',
        reason: '[control group: not enforced] renew lease (expires 40): x',
      }),
    ).toBe('renew');
    expect(classifyDecision({ ...base, kind: 'renewed' })).toBe('renew');
    expect(classifyDecision({ ...base, actionType: 'query_timeout.revert', evidence: calm })).toBe('revert');
    expect(classifyDecision({ ...base, kind: 'reverted', commandId: null })).toBe('lapse');
    expect(classifyDecision({ ...base, kind: 'blocked', guardrail: 'cooldown' })).toBe('blocked');
    expect(classifyDecision({ ...base, kind: 'escalated', guardrail: 'circuit_breaker' })).toBe('escalated');
  });

  it('keeps the tightenings that passed the guardrails, by target and policy on request', () => {
    const ds: DecisionRecord[] = [
      base,
      { ...base, eventTime: 20, kind: 'blocked', guardrail: 'cooldown' },
      { ...base, eventTime: 30, evidence: calm },
      { ...base, eventTime: 40, target: 'w2', kind: 'acted' },
      { ...base, eventTime: 50, policy: 'q', kind: 'control' },
    ];
    expect(actionsFromDecisions(ds).map((a) => a.time)).toEqual([10, 40, 50]);
    expect(actionsFromDecisions(ds, { targets: ['w2'] }).map((a) => a.time)).toEqual([40]);
    expect(actionsFromDecisions(ds, { policies: ['q'] }).map((a) => a.time)).toEqual([50]);
    expect(actionsFromDecisions(ds, { kinds: ['blocked'], classes: ['blocked'] }).map((a) => a.time)).toEqual([20]);
  });
});
