import fc from 'fast-check';
import { engineFor, run, sig, win, W } from './fixtures';

const base = {
  name: 'at',
  type: 'adaptive-timeout',
  parameters: {
    defaultTimeoutMs: 8000,
    high: { queueDepth: 50, inflight: null, latencyMs: null },
    low: { queueDepth: 10, inflight: null, latencyMs: null },
    minTimeoutMs: 500,
    maxTimeoutMs: 20_000,
    increaseStepMs: 2000,
  },
};

const queue = (i: number, depth: number, source = 'w1') => sig({ metric: 'queue.depth', value: depth, i, source });

/** [window, timeoutMs] of every query_timeout.set issued (cuts, relaxes and renewals). */
const setsOf = (steps: ReturnType<typeof run>) =>
  steps.flatMap((s) => s.commands.filter((c) => c.type === 'query_timeout.set').map((c) => [s.i, c.params.timeoutMs]));

describe('adaptive-timeout', () => {
  it('acts only after N consecutive overloaded windows, and a gap restarts the count', () => {
    const depths = [80, 80, 30, 80, 80, 80];
    const steps = run(engineFor(base), depths.length, (i) => [queue(i, depths[i])]);
    const acted = steps.filter((s) => s.commands.length > 0).map((s) => s.i);
    expect(acted).toEqual([5]);
    const cmd = steps[5].commands[0];
    expect(cmd.type).toBe('query_timeout.set');
    expect(cmd.params.timeoutMs).toBe(4000);
    expect(cmd.target).toBe('w1');
    expect(cmd.mode).toBe('enforce');
    expect(cmd.issuedAt).toBe(win(5).windowEnd);
    expect(cmd.expiresAt).toBe(win(5).windowEnd + 3 * W);
    expect(cmd.evidence).toEqual([{ signal: 'queue.depth:mean', value: 80, threshold: 50, comparison: '>' }]);
    expect(steps[5].decisions.map((d) => d.kind)).toEqual(['acted']);
  });

  it('does not start cutting a worker whose backlog drains by itself; cuts once it stops shrinking', () => {
    // Over the watermark in every window, shrinking until window 3 (a burst's aftermath), then flat.
    const depths = [300, 200, 120, 90, 90];
    const actedAt = (parameters: object) =>
      run(engineFor({ ...base, parameters: { ...base.parameters, ...parameters } }), depths.length, (i) => [
        queue(i, depths[i]),
      ])
        .filter((s) => s.commands.length > 0)
        .map((s) => s.i);
    expect(actedAt({})).toEqual([4]);
    expect(actedAt({ holdWhileDraining: false })).toEqual([2, 4]);
  });

  it('once a cut is in force, a shrinking queue does not hold the next cuts', () => {
    const depths = [500, 500, 500, 450, 400, 350, 300];
    const steps = run(engineFor(base), depths.length, (i) => [queue(i, depths[i])]);
    expect(setsOf(steps).slice(0, 3)).toEqual([
      [2, 4000],
      [4, 2000],
      [6, 1000],
    ]);
  });

  it('a window without signals from the worker breaks the streak (N windows of evidence, not N windows spread out)', () => {
    const steps = run(engineFor(base), 6, (i) => (i === 2 ? [queue(i, 0, 'other')] : [queue(i, 80)]));
    expect(steps.filter((s) => s.commands.some((c) => c.target === 'w1')).map((s) => s.i)).toEqual([5]);
  });

  it('keeps cutting while overloaded, spaced by the cooldown, and never below minTimeoutMs', () => {
    const steps = run(engineFor(base), 16, (i) => [queue(i, 500)]);
    const sets = setsOf(steps);
    // Cuts at windows 2, 4, 6, 8 (cooldown 2 windows); then renewals of the floor value.
    expect(sets.slice(0, 4)).toEqual([
      [2, 4000],
      [4, 2000],
      [6, 1000],
      [8, 500],
    ]);
    for (const [, ms] of sets) expect(ms).toBeGreaterThanOrEqual(500);
    const cooldownBlocks = steps.flatMap((s) => s.decisions.filter((d) => d.guardrail === 'cooldown').map(() => s.i));
    expect(cooldownBlocks).toEqual([3, 5, 7]);
    // Held at the floor: renewed (same params, new id) before the lease lapses.
    const renewals = steps.flatMap((s) => s.decisions.filter((d) => d.kind === 'renewed').map(() => s.i));
    expect(renewals.length).toBeGreaterThan(0);
    const lastLease = Object.values(steps[15].state.leases)[0];
    expect(lastLease.params.timeoutMs).toBe(500);
    expect(lastLease.expiresAt).toBeGreaterThan(win(15).windowEnd);
  });

  it('raises additively after M calm windows and reverts once back at the default', () => {
    const depths = [80, 80, 80, 5, 5, 5, 5, 5, 5];
    const steps = run(engineFor(base), depths.length, (i) => [queue(i, depths[i])]);
    const kindOf = (id: string, s: (typeof steps)[number]) => s.decisions.find((d) => d.commandId === id)?.kind;
    const cmds = steps.flatMap((s) =>
      s.commands.map((c) => ({ i: s.i, kind: kindOf(c.id, s), type: c.type, ms: c.params.timeoutMs })),
    );
    expect(cmds).toEqual([
      { i: 2, kind: 'acted', type: 'query_timeout.set', ms: 4000 },
      // Held while between "cut" and "M calm windows": renewed one window before the lease ends.
      { i: 4, kind: 'renewed', type: 'query_timeout.set', ms: 4000 },
      { i: 5, kind: 'acted', type: 'query_timeout.set', ms: 6000 },
      { i: 6, kind: 'reverted', type: 'query_timeout.revert', ms: null },
    ]);
    expect(steps[6].decisions[0].kind).toBe('reverted');
    expect(Object.keys(steps[8].state.leases)).toHaveLength(0);
  });

  it('holds between the watermarks: neither cuts nor raises', () => {
    const depths = [80, 80, 80, 30, 30, 30, 30, 30];
    const steps = run(engineFor(base), depths.length, (i) => [queue(i, depths[i])]);
    const changes = steps.flatMap((s) =>
      s.decisions.filter((d) => d.kind === 'acted' || d.kind === 'reverted').map(() => s.i),
    );
    expect(changes).toEqual([2]);
  });

  it('cuts from the timeout the worker reports, never above it, and restores towards it, never beyond', () => {
    // The configured default (8000) is far above what the worker really has (1500): the report wins.
    const depths = [80, 80, 80, 80, 5, 5, 5, 5, 5, 5];
    const steps = run(engineFor(base), depths.length, (i) => [
      queue(i, depths[i]),
      sig({ metric: 'query.timeout_ms', value: 1500, i, source: 'w1' }),
    ]);
    const sets = steps.flatMap((s) =>
      s.commands.filter((c) => c.type === 'query_timeout.set').map((c) => c.params.timeoutMs as number),
    );
    expect(sets[0]).toBe(750);
    for (const ms of sets) expect(ms).toBeLessThan(1500);
    const revert = steps.findIndex((s) => s.commands.some((c) => c.type === 'query_timeout.revert'));
    expect(revert).toBeGreaterThan(3);
  });

  it('holds without a reference: no reported timeout and none configured means no cut that could raise it', () => {
    const policy = { ...base, parameters: { ...base.parameters, defaultTimeoutMs: null } };
    const steps = run(engineFor(policy), 8, (i) => [queue(i, 500)]);
    expect(steps.flatMap((s) => s.commands)).toHaveLength(0);
    // The same overload with the worker reporting its timeout: cut from it.
    const reported = run(engineFor(policy), 8, (i) => [
      queue(i, 500),
      sig({ metric: 'query.timeout_ms', value: 2000, i, source: 'w1' }),
    ]);
    expect(reported.flatMap((s) => s.commands)[0].params.timeoutMs).toBe(1000);
  });

  it('derives the default from p99.9 × headroom of healthy windows when asked to', () => {
    const policy = {
      ...base,
      parameters: {
        ...base.parameters,
        defaultTimeoutMs: 'derive',
        high: { queueDepth: 50, latencyMs: null, inflight: null },
        derive: { minWindows: 3, headroom: 2 },
      },
    };
    const steps = run(engineFor(policy), 8, (i) => [
      sig({ metric: 'query.latency_ms', value: 2000, i, source: 'w1' }),
      queue(i, i < 4 ? 5 : 90),
    ]);
    const first = steps.flatMap((s) => s.commands)[0];
    expect(first.params.timeoutMs).toBe(2000); // default 4000 = 2000 × 2, cut by half
  });

  it('lets the lease lapse when the worker goes silent (fail safe)', () => {
    const steps = run(engineFor(base), 9, (i) => (i < 3 ? [queue(i, 90)] : [queue(i, 0, 'other')]));
    const lapse = steps.flatMap((s) =>
      s.decisions.filter((d) => d.target === 'w1' && d.kind === 'reverted').map((d) => ({ i: s.i, d })),
    );
    expect(lapse).toHaveLength(1);
    // issued at end of window 2, 3-window lease: lapses at the end of window 5.
    expect(lapse[0].i).toBe(5);
    expect(lapse[0].d.commandId).toBeNull();
    expect(steps.flatMap((s) => s.commands).filter((c) => c.target === 'w1')).toHaveLength(1);
  });

  it('the min_windows guardrail floor holds even when the policy asks for one window', () => {
    const policy = { ...base, parameters: { ...base.parameters, overloadWindows: 1 } };
    const steps = run(engineFor(policy), 2, (i) => [queue(i, 90)]);
    expect(steps[0].commands).toHaveLength(0);
    expect(steps[0].decisions.map((d) => [d.kind, d.guardrail])).toEqual([['blocked', 'min_windows']]);
    expect(steps[1].commands).toHaveLength(1);
  });

  it('reads the worst series of a worker and ignores partial signals', () => {
    const steps = run(engineFor(base), 3, (i) => [
      sig({ metric: 'queue.depth', value: 5, i, source: 'w1', tags: { tenant: 'a' } }),
      sig({ metric: 'queue.depth', value: 70, i, source: 'w1', tags: { tenant: 'b' } }),
      sig({ metric: 'queue.depth', value: 999, i, source: 'w2', partial: true }),
    ]);
    expect(steps[2].commands.map((c) => c.target)).toEqual(['w1']);
  });
});

describe('adaptive-timeout properties', () => {
  it('every timeout it sets lies in [minTimeoutMs, default], and no cut comes before 3 overloaded windows in a row', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 5, maxLength: 40 }), (depths) => {
        const steps = run(engineFor(base), depths.length, (i) => [queue(i, depths[i])]);
        for (const s of steps) {
          for (const c of s.commands) {
            if (c.type !== 'query_timeout.set') continue;
            expect(c.params.timeoutMs).toBeGreaterThanOrEqual(500);
            expect(c.params.timeoutMs).toBeLessThanOrEqual(8000);
          }
          const cut = s.decisions.some((d) => d.kind === 'acted' && d.reason.startsWith('overloaded'));
          if (cut) expect(depths.slice(s.i - 2, s.i + 1).every((d) => d > 50) && s.i >= 2).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('adaptive-timeout: forgetting idle workers', () => {
  it('forgets a silent worker after forgetAfterWindows even in windows where it evaluated no worker', () => {
    const policy = {
      ...base,
      select: { metric: 'queue.depth' },
      parameters: { ...base.parameters, forgetAfterWindows: 2 },
    };
    // Window 0: w1 reports; then only another metric arrives (no worker the policy reads).
    const at = (i: number) =>
      i === 0
        ? [sig({ metric: 'queue.depth', value: 5, i, source: 'w1' })]
        : [sig({ metric: 'cpu', value: 1, i, source: 'x' })];
    const steps = run(engineFor(policy), 5, at);
    const targets = (i: number) => Object.keys((steps[i].state.policies.at as { targets: object }).targets);
    expect(targets(0)).toEqual(['w1']);
    expect(targets(4)).toEqual([]);
  });
});
