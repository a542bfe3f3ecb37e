import { completeParams } from '../../../src/actions/params';
import {
  judgeLevels,
  parseLevelledTrigger,
  parseTriggerConfig,
  resolveThreshold,
  stepBaseline,
  type BaselineState,
  type LevelRun,
} from '../../../src';
import { createDecisionEngine, createPolicy, type PolicyFactory, type Proposal } from '../../../src/policies';
import { engineFor, run, sig, type Step } from './fixtures';

/** Two workers three orders of magnitude apart, each with one latency spike of 5× its own level. */
const level = (source: string) => (source === 'fast' ? 2 : 2000);
const spikeAt = 40;
const signalsAt = (i: number) =>
  ['fast', 'slow'].map((source) =>
    sig({
      metric: 'query.latency_ms',
      source,
      i,
      value: level(source) * (i === spikeAt || i === spikeAt + 1 ? 5 : 1 + (i % 3) * 0.05),
    }),
  );

const policy = {
  name: 'fleet',
  type: 'adaptive-timeout',
  guardrails: { minConsecutiveWindows: 1, blastRadius: { fraction: 1 } },
  parameters: {
    high: { latencyMs: { ratio: 3, of: 'p90' }, queueDepth: null },
    low: { latencyMs: { ratio: 1.2, of: 'p90' }, queueDepth: null },
    baseline: { windows: 24, warmupWindows: 12 },
    overloadWindows: 1,
    defaultTimeoutMs: 10_000,
  },
};

const cuts = (steps: Step[]) =>
  steps.flatMap((s) =>
    s.commands
      .filter((c) => c.type === 'query_timeout.set' && c.reason.startsWith('overloaded'))
      .map((c) => `${s.i}:${c.target}:${String(c.params.timeoutMs)}`),
  );

describe('relative triggers in adaptive-timeout', () => {
  it('one config acts on each target at its own scale, not before the warm-up', () => {
    const steps = run(engineFor(policy), 60, signalsAt);
    // The spike's second window is spaced out by the cooldown guardrail (2 windows).
    expect(cuts(steps)).toEqual([`${spikeAt}:fast:5000`, `${spikeAt}:slow:5000`]);
    // An absolute threshold a user would write for one of them acts on the other's normal level.
    const absolute = {
      ...policy,
      parameters: {
        ...policy.parameters,
        high: { latencyMs: 50, queueDepth: null },
        low: { latencyMs: 20, queueDepth: null },
      },
    };
    expect(cuts(run(engineFor(absolute), 60, signalsAt)).some((c) => c.startsWith('0:slow'))).toBe(true);
    // A spike before the warm-up ends is not judged.
    const early = (i: number) =>
      ['fast'].map((source) => sig({ metric: 'query.latency_ms', source, i, value: i === 5 ? 100 : 2 }));
    expect(cuts(run(engineFor(policy), 12, early))).toEqual([]);
  });

  it('a restarted engine (state through JSON, as the state topic carries it) decides byte-identically', () => {
    const engine = engineFor(policy);
    const whole = run(engine, 60, signalsAt);
    for (const cut of [5, 13, spikeAt, spikeAt + 1, 50]) {
      const first = run(engine, cut, signalsAt);
      const restored = JSON.parse(JSON.stringify(first[first.length - 1].state)) as (typeof first)[0]['state'];
      const rest = run(engineFor(policy), 60 - cut, signalsAt, restored, cut);
      const joined = [...first, ...rest];
      expect(JSON.stringify(joined.map((s) => [s.commands, s.decisions]))).toBe(
        JSON.stringify(whole.map((s) => [s.commands, s.decisions])),
      );
    }
  });

  it('keeps the version of a config with absolute thresholds only (no new defaults in its identity)', () => {
    const a = createPolicy({ name: 'x', type: 'adaptive-timeout' });
    const b = createPolicy({ name: 'x', type: 'adaptive-timeout', parameters: { baseline: { windows: 48 } } });
    expect(a.version).not.toBe(b.version);
    expect(JSON.stringify(a.policy.init())).toBe('{"targets":{}}');
  });

  it('refuses a low ratio at or above the high one, naming both', () => {
    expect(() =>
      createPolicy({
        name: 'x',
        type: 'adaptive-timeout',
        parameters: { high: { latencyMs: { ratio: 2, of: 'p90' } }, low: { latencyMs: { ratio: 2, of: 'p90' } } },
      }),
    ).toThrow(/low\.latencyMs \(2\) must be below high\.latencyMs \(2\)/);
    expect(() =>
      createPolicy({
        name: 'x',
        type: 'adaptive-timeout',
        parameters: { baseline: { windows: 10, warmupWindows: 20 } },
      }),
    ).toThrow(/warmupWindows \(20\) must not exceed windows \(10\)/);
  });
});

describe('levelled triggers in adaptive-timeout', () => {
  // A worker at 20 ms whose latency climbs 40% and stays there from window 30 (a slow ramp), and
  // one at 20 ms with a single 10× spike at window 30.
  const at = (i: number) => [
    sig({ metric: 'query.latency_ms', source: 'ramp', i, value: i >= 30 ? 28 : 20 + (i % 2) }),
    sig({ metric: 'query.latency_ms', source: 'spike', i, value: i === 30 ? 200 : 20 + (i % 2) }),
  ];
  const levelled = (high: unknown) => ({
    ...policy,
    parameters: { ...policy.parameters, high: { latencyMs: high, queueDepth: null } },
  });
  const severe = { ratio: 3, of: 'p90' };
  const withPersistence = { levels: [{ ...severe }, { ratio: 1.25, of: 'p90', windows: 3 }] };

  it('a severe deviation acts on its window; a moderate one once it has held for its windows', () => {
    expect(cuts(run(engineFor(levelled(severe)), 40, at)).map((c) => c.split(':').slice(0, 2).join(':'))).toEqual([
      '30:spike',
    ]);
    const steps = run(engineFor(levelled(withPersistence)), 40, at);
    const first = cuts(steps).map((c) => c.split(':').slice(0, 2).join(':'));
    expect(first.slice(0, 2)).toEqual(['30:spike', '32:ramp']);
    const reason = steps[32].commands.find((c) => c.target === 'ramp')?.reason ?? '';
    expect(reason).toMatch(/28 > 26\.25 \(3rd window over 1\.25× p90 baseline\)/);
    // While the moderate rise builds up its count (windows 30, 31: over the level, not yet firing),
    // the baseline does not learn it: the bar it is measured against does not rise with it.
    type Targets = { targets: Record<string, { baselines: Record<string, { values: number[] }> }> };
    const ramp = (i: number) =>
      (steps[i].state.policies.fleet as Targets).targets.ramp.baselines['query.latency_ms:p99'].values;
    expect(ramp(31)).not.toContain(28);
    expect(ramp(31)).toEqual(ramp(29));
  });

  it('decides byte-identically after a restart in the middle of a persistence count', () => {
    const config = levelled(withPersistence);
    const whole = run(engineFor(config), 40, at);
    for (const cut of [31, 32]) {
      const first = run(engineFor(config), cut, at);
      const restored = JSON.parse(JSON.stringify(first[first.length - 1].state)) as (typeof first)[0]['state'];
      const rest = run(engineFor(config), 40 - cut, at, restored, cut);
      expect(JSON.stringify([...first, ...rest].map((s) => [s.commands, s.decisions]))).toBe(
        JSON.stringify(whole.map((s) => [s.commands, s.decisions])),
      );
    }
  });

  it('refuses a low threshold at or above a level, and levels without a level', () => {
    const bad = { ...levelled(withPersistence) };
    bad.parameters = { ...bad.parameters, low: { latencyMs: { ratio: 1.25, of: 'p90' }, queueDepth: null } };
    expect(() => createPolicy(bad)).toThrow(/low\.latencyMs \(1\.25\) must be below high\.latencyMs \(1\.25\)/);
    expect(() => createPolicy(levelled({ levels: [] }))).toThrow(/give at least one level/);
  });
});

describe('SLO burn rate in herd-control', () => {
  const herd = (slo: Record<string, unknown> | undefined) => ({
    name: 'herd',
    type: 'herd-control',
    guardrails: { minConsecutiveWindows: 1 },
    parameters: { stormWindows: 2, ...(slo === undefined ? {} : { slo }) },
  });
  // Steady traffic without retries; errors 0.1% for ten windows, then 30%.
  const at = (i: number) => [
    sig({ metric: 'requests', value: 100, i, tags: { service: 'api' } }),
    sig({ metric: 'errors', value: i < 10 ? 0.1 : 30, i, tags: { service: 'api' } }),
  ];
  const sets = (steps: Step[]) =>
    steps.flatMap((s) =>
      s.commands.filter((c) => c.type === 'retry_policy.set').map((c) => ({ i: s.i, reason: c.reason })),
    );

  it('acts when both spans of a pair burn the error budget at the factor, and only then', () => {
    const slo = { objective: 0.99, pairs: [{ long: 6, short: 1, factor: 10 }] };
    const acted = sets(run(engineFor(herd(slo)), 16, at));
    // Window 10 alone burns the 6-window span at 5.1×; windows 10–11 at 10.1×: the streak starts at 11, acts at 12.
    expect(acted[0]).toMatchObject({ i: 12 });
    expect(acted[0].reason).toMatch(/error budget burning at 30(\.00)?× ≥ 10× \(SLO 99%\)/);
    expect(sets(run(engineFor(herd(undefined)), 16, at))).toEqual([]);
  });
});

describe('relative triggers in a module policy', () => {
  // A user's policy, written only against the package's public surface.
  const factory: PolicyFactory = ({ name, parameters }) => {
    const trigger = parseTriggerConfig(parameters.trigger, 'policies.0.parameters.trigger');
    type S = { baselines: Record<string, BaselineState> };
    return {
      name,
      version: '1',
      init: (): S => ({ baselines: {} }),
      evaluate(state: unknown, signals) {
        const s = state as S;
        const baselines = { ...s.baselines };
        const proposals: Proposal[] = [];
        for (const sg of signals) {
          if (sg.metric !== 'queue.depth') continue;
          const limit = resolveThreshold(trigger.threshold, baselines[sg.source], trigger.baseline);
          const over = limit !== null && sg.mean > limit;
          baselines[sg.source] = stepBaseline(baselines[sg.source], sg.mean, over, trigger.baseline);
          if (over) {
            proposals.push({
              target: sg.source,
              type: 'query_timeout.set',
              kind: 'set',
              params: completeParams({ timeoutMs: 500 }),
              severity: 1,
              streak: 2,
              reason: `queue ${sg.mean} > ${limit}`,
              evidence: [{ signal: 'queue.depth:mean', value: sg.mean, threshold: limit, comparison: '>' }],
              windowStart: sg.windowStart,
              windowEnd: sg.windowEnd,
            });
          }
        }
        return { state: { baselines }, proposals };
      },
    };
  };
  const config = {
    name: 'mine',
    type: 'module',
    module: 'mine.js',
    guardrails: { blastRadius: { fraction: 1 } },
    parameters: { trigger: { threshold: { ratio: 3, of: 'median' }, baseline: { windows: 10, warmupWindows: 5 } } },
  };
  const engine = () =>
    createDecisionEngine({
      policies: [createPolicy({ ...config, mode: 'enforce' }, { loadModule: () => factory })],
      guardrails: {},
      modeOverride: null,
      signing: null,
    });
  const at = (i: number) =>
    ['x', 'y'].map((source) =>
      sig({ metric: 'queue.depth', source, i, value: (source === 'x' ? 4 : 400) * (i === 12 ? 10 : 1) }),
    );

  it("acts at each target's own scale and decides the same after a restart through JSON", () => {
    const whole = run(engine(), 20, at);
    expect(
      whole.flatMap((s) => s.commands.filter((c) => c.reason.startsWith('queue')).map((c) => `${s.i}:${c.target}`)),
    ).toEqual(['12:x', '12:y']);
    const first = run(engine(), 9, at);
    const rest = run(engine(), 11, at, JSON.parse(JSON.stringify(first[8].state)) as Step['state'], 9);
    expect(JSON.stringify([...first, ...rest].map((s) => s.decisions))).toBe(
      JSON.stringify(whole.map((s) => s.decisions)),
    );
  });

  it('can judge a levelled trigger, keeping its counts in the policy state', () => {
    const t = parseLevelledTrigger({
      trigger: { levels: [{ ratio: 5 }, { ratio: 2, windows: 2 }] },
      baseline: { windows: 10, warmupWindows: 5 },
    });
    let b: BaselineState | undefined;
    let levels: LevelRun | undefined;
    const over: boolean[] = [];
    for (const [i, v] of [4, 4, 4, 4, 4, 9, 9, 30, 4].entries()) {
      const verdict = judgeLevels(t.trigger, v, b, t.baseline, levels, { windowStart: i, windowEnd: i + 1 });
      over.push(verdict?.over ?? false);
      levels = verdict?.run ?? levels;
      b = stepBaseline(b, v, verdict?.exceeded ?? false, t.baseline);
    }
    expect(over).toEqual([false, false, false, false, false, false, true, true, false]);
  });

  it("gets the built-ins' validation messages", () => {
    expect(() => parseTriggerConfig({ threshold: { ratio: -1 } }, 'policies.0.parameters.trigger')).toThrow(
      /policies\.0\.parameters\.trigger\.threshold/,
    );
  });
});
