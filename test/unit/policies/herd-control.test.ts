import { createPolicy, herdControlParamsSchema, herdLevelParams, herdMaxLevel } from '../../../src/policies';
import { engineFor, run, sig } from './fixtures';

// Two windows of storm act here (the default is 3, below): the escalation tests read more easily.
const policy = { name: 'herd', type: 'herd-control', parameters: { baseline: { minWindows: 3 }, stormWindows: 2 } };
/** The same with the retry share judged absolutely (a number), as before the relative default. */
const absolute = { ...policy, parameters: { ...policy.parameters, storm: { retryShare: 0.2 } } };

/** One service `api` behind two client sources; rates split evenly between them. */
function traffic(i: number, requests: number, retries: number) {
  return ['c1', 'c2'].flatMap((source) => [
    sig({ metric: 'requests', value: requests / 2, i, source, tags: { service: 'api' } }),
    sig({ metric: 'retries', value: retries / 2, i, source, tags: { service: 'api' } }),
  ]);
}

describe('herd-control', () => {
  it("escalates from the clients' own policy: delay levels, then a budget that binds even for clients without one", () => {
    // Clients with decorrelated jitter, 5 attempts and no budget (a ratio above 1 never binds).
    const p = herdControlParamsSchema.parse({
      initial: { strategy: 'decorrelated', maxAttempts: 5, budgetRatio: 1000, budgetFloorPerSec: 1e6 },
      delayAttempts: 2,
    });
    const at = (level: number) => {
      const c = herdLevelParams(p, level);
      return [
        c.retryStrategy,
        c.retryBaseMs,
        c.retryCapMs,
        c.retryMaxAttempts,
        c.retryBudgetRatio,
        c.retryBudgetFloorPerSec,
      ];
    };
    expect(at(1)).toEqual(['decorrelated', 800, 60_000, 7, null, null]);
    expect(at(2)).toEqual(['decorrelated', 2000, 60_000, 9, null, null]);
    // The first budget level enforces limits.stormBudgetRatio (the clients have no ratio of their own to enforce).
    expect(at(3)).toEqual(['decorrelated', 2000, 60_000, 9, 0.2, 0]);
    expect(at(4)).toEqual(['decorrelated', 2000, 60_000, 9, 0.1, 0]);
    expect(herdMaxLevel(p)).toBe(7); // levels 3–7: 0.2 → 0.1 → 0.05 → 0.025 → 0.02 (the floor of the ratio)
    // Attempts stop at limits.maxAttempts.
    expect(herdLevelParams(herdControlParamsSchema.parse({ delayAttempts: 5 }), 2).retryMaxAttempts).toBe(10);
    // The earlier shape (double per level, the budget binding from level 1) is a configuration.
    const old = herdControlParamsSchema.parse({ backoffFactor: 2, delayLevels: 0 });
    expect([herdLevelParams(old, 1).retryBaseMs, herdLevelParams(old, 1).retryBudgetRatio]).toEqual([200, 0.2]);
    expect(() => herdControlParamsSchema.parse({ initial: { maxAttempts: 12 } })).toThrow(/limits.maxAttempts/);
  });

  it('acts after stormWindows, escalates while the herd persists, relaxes and reverts when calm', () => {
    // 0-4 normal, 5-12 storm, 13-24 calm
    const at = (i: number) => (i < 5 ? traffic(i, 100, 2) : i < 13 ? traffic(i, 400, 150) : traffic(i, 100, 1));
    const steps = run(engineFor(policy), 25, at);
    // (errors are not reported here: calm is judged on the retry share alone)
    const changes = steps.flatMap((s) =>
      s.decisions
        .filter((d) => d.kind === 'acted' || d.kind === 'reverted')
        .map((d) => {
          const c = s.commands.find((x) => x.id === d.commandId);
          return {
            i: s.i,
            type: c?.type,
            level: c?.params.extra.level ?? null,
            base: c?.params.retryBaseMs ?? null,
            ratio: c?.params.retryBudgetRatio ?? null,
          };
        }),
    );
    // Level 0 is what the clients run already: the first action is level 1, a real change.
    // Levels 1 and 2 delay rather than drop: base and cap × 8 per level (within limits), the budget left to the
    // clients (null: not set); level 3 makes a 20% ratio bind (no floor), the levels above halve it.
    expect(changes[0]).toEqual({ i: 6, type: 'retry_policy.set', level: '1', base: 800, ratio: null });
    expect(changes[1]).toEqual({ i: 8, type: 'retry_policy.set', level: '2', base: 2000, ratio: null });
    expect(changes[2]).toEqual({ i: 10, type: 'retry_policy.set', level: '3', base: 2000, ratio: 0.2 });
    expect(changes[3]).toEqual({ i: 12, type: 'retry_policy.set', level: '4', base: 2000, ratio: 0.1 });
    // calm from 13: relax one level per 2 calm windows since the last change (as paced as the escalation);
    // from level 1 the next step down is the revert.
    expect(changes.slice(4).map((c) => [c.i, c.type, c.level])).toEqual([
      [14, 'retry_policy.set', '3'],
      [16, 'retry_policy.set', '2'],
      [18, 'retry_policy.set', '1'],
      [20, 'retry_policy.revert', null],
    ]);
    const first = steps[6].commands[0];
    expect(first.target).toBe('api');
    // A delay level sets neither ratio nor floor: the clients' own budget stays as it is.
    expect(first.params).toMatchObject({
      retryStrategy: 'full',
      retryCapMs: 60_000,
      retryMaxAttempts: 3,
      retryBudgetFloorPerSec: null,
    });
    // The per-client floor is withdrawn from the first budget level: the ratio binds.
    expect(steps[10].commands[0].params).toMatchObject({ retryBudgetRatio: 0.2, retryBudgetFloorPerSec: 0 });
    expect(Object.keys(steps[24].state.leases)).toHaveLength(0);
  });

  it('gives each level N windows to act before the next, however short the cooldown', () => {
    const slow = { ...policy, parameters: { ...policy.parameters, stormWindows: 3 } };
    const at = (i: number) => (i < 5 ? traffic(i, 100, 2) : traffic(i, 400, 150));
    const steps = run(engineFor(slow), 17, at);
    const sets = steps.flatMap((s) => s.decisions.filter((d) => d.kind === 'acted').map(() => s.i));
    expect(sets).toEqual([7, 10, 13, 16]);
  });

  it('under its retry policy, waits for the errors to subside before calling calm: the budget alone holds retries down', () => {
    // A storm, then the budget caps retries at 2% while errors stay at 30%: no revert (a revert would restart the herd).
    const withErrors = (i: number, requests: number, retries: number, errors: number) => [
      ...traffic(i, requests, retries),
      sig({ metric: 'errors', value: errors, i, source: 'c1', tags: { service: 'api' } }),
    ];
    const at = (i: number) =>
      i < 5
        ? withErrors(i, 100, 2, 1)
        : i < 8
          ? withErrors(i, 100, 40, 30)
          : i < 20
            ? withErrors(i, 100, 2, 30)
            : withErrors(i, 100, 1, 1);
    const steps = run(engineFor(policy), 30, at);
    const revertAt = steps.findIndex((s) => s.commands.some((c) => c.type === 'retry_policy.revert'));
    expect(
      steps
        .slice(6, 20)
        .flatMap((s) => s.commands)
        .filter((c) => c.type === 'retry_policy.revert'),
    ).toHaveLength(0);
    expect(revertAt).toBeGreaterThanOrEqual(20);
  });

  it('detects a surge against the learned baseline even without retries', () => {
    const at = (i: number) => (i < 5 ? traffic(i, 100, 0) : traffic(i, 350, 0));
    const steps = run(engineFor(policy), 8, at);
    const acted = steps.filter((s) => s.commands.length > 0);
    expect(acted[0].i).toBe(6);
    expect(acted[0].commands[0].evidence[0]).toMatchObject({
      signal: 'requests:ratePerSec',
      value: 350,
      comparison: '>',
    });
    expect(acted[0].commands[0].evidence[0].threshold).toBeCloseTo(300, 6);
  });

  it('does not call a surge or a relative retry share before the baselines are learned; an absolute share acts at once', () => {
    const surgeOnly = run(engineFor(policy), 4, (i) => traffic(i, i === 0 ? 10 : 1000, 0));
    expect(surgeOnly.flatMap((s) => s.commands)).toHaveLength(0);
    expect(
      run(engineFor(policy), 3, (i) => traffic(i, 100, 30)).flatMap((s) => s.commands),
      // warm-up: no verdict on a share the service has no normal for yet
    ).toHaveLength(0);
    const retries = run(engineFor(absolute), 2, (i) => traffic(i, 100, 30));
    expect(retries[1].commands).toHaveLength(1);
  });

  it('prefers the final service-scope aggregate over per-source series', () => {
    const at = (i: number) => [
      ...traffic(i, 100, 1), // series say calm
      sig({ metric: 'requests', value: 100, i, scope: 'service', tags: { service: 'api' } }),
      sig({ metric: 'retries', value: 40, i, scope: 'service', tags: { service: 'api' } }),
    ];
    const steps = run(engineFor(absolute), 2, at);
    expect(steps[1].commands.map((c) => c.target)).toEqual(['api']);
  });

  describe("on its defaults (storm: 2× the service's own median retry share, at least 20%; 3 windows)", () => {
    const defaults = { name: 'herd', type: 'herd-control' };
    const withErrors = (i: number, requests: number, retries: number, errors: number) => [
      ...traffic(i, requests, retries),
      sig({ metric: 'errors', value: errors, i, source: 'c1', tags: { service: 'api' } }),
    ];
    /** Interventions and escalations (not renewals). */
    const acts = (steps: ReturnType<typeof run>) =>
      steps.flatMap((s) =>
        s.decisions
          .filter((d) => d.kind === 'acted')
          .map((d) => ({ i: s.i, c: s.commands.find((x) => x.id === d.commandId) })),
      );

    it("takes chronic rejections for the service's normal, and sees an outage against it", () => {
      // A service whose instances reject about a third of the load in normal operation; retries are
      // what turn those rejections into successes. Down from window 20 to 27, then normal again.
      const at = (i: number) =>
        i >= 20 && i < 28 ? withErrors(i, 150, 120, 150) : withErrors(i, 100, 30 + (i % 3) * 4, 33 + (i % 2) * 2);
      const steps = run(engineFor(defaults), 50, at);
      const sets = acts(steps);
      // Nothing in 20 windows of its normal (the absolute 20% acted at once and never let go) …
      expect(sets.filter((s) => s.i < 20)).toEqual([]);
      // … the outage (a retry share of 80%, over twice its median of ~34%) is a storm after 3 windows …
      expect(sets[0].i).toBe(22);
      expect(sets[0].c?.reason).toMatch(/retries 80% of requests > 6\d(\.\d+)?% \(2× median baseline\)/);
      // … and once the errors are back to *their* normal (a third, not 5%), calm: the revert.
      const revert = steps.find((s) => s.commands.some((c) => c.type === 'retry_policy.revert'));
      expect(revert?.i).toBeGreaterThan(27);
      expect(revert?.i).toBeLessThan(36);
      expect(Object.keys(steps[49].state.leases)).toHaveLength(0);
    });

    it('lets a single spike and its echo (two windows over) pass, and acts on a third', () => {
      const spike = (n: number) => (i: number) =>
        i >= 10 && i < 10 + n ? withErrors(i, 400, 240, 300) : withErrors(i, 100, 1, 1);
      expect(acts(run(engineFor(defaults), 20, spike(2)))).toEqual([]);
      expect(acts(run(engineFor(defaults), 20, spike(3))).map((s) => s.i)).toEqual([12]);
    });

    it('keeps its share baselines frozen while its own retry policy is in force', () => {
      // Still failing, but under the lease the budget holds retries at 2%: learning that would make the normal 30% a storm later.
      const at = (i: number) =>
        i < 10 ? withErrors(i, 100, 30, 33) : i < 14 ? withErrors(i, 150, 120, 150) : withErrors(i, 100, 2, 100);
      const steps = run(engineFor(defaults), 40, at);
      const state = steps[39].state.policies.herd as {
        targets: Record<string, { shares?: { retry?: { values: number[] } } }>;
      };
      const learned = state.targets.api.shares?.retry?.values ?? [];
      expect(learned.length).toBeGreaterThanOrEqual(10);
      expect(Math.min(...learned)).toBeGreaterThanOrEqual(0.3);
      expect(learned).not.toContain(0.02);
      expect(Object.keys(steps[39].state.leases)).toHaveLength(1); // still failing: the lease holds
    });
  });

  it('refuses share thresholds without a hysteresis gap, naming both', () => {
    const herd = (parameters: unknown) => () => createPolicy({ name: 'h', type: 'herd-control', parameters });
    expect(herd({ calm: { retryShare: { ratio: 2.5 } } })).toThrow(
      /calm\.retryShare\.ratio \(2\.5\) must be below storm\.retryShare\.ratio \(2\)/,
    );
    expect(herd({ calm: { retryShare: { ratio: 1.2, atLeast: 0.3 } } })).toThrow(
      /calm\.retryShare\.atLeast \(0\.3\) must be below storm\.retryShare\.atLeast \(0\.2\)/,
    );
    expect(herd({ storm: { retryShare: 1.5 } })).toThrow(/storm\.retryShare \(1\.5\) is a share of requests/);
    expect(herd({ storm: { retryShare: 0.3 }, calm: { retryShare: 0.1 } })).not.toThrow();
  });
});
