/**
 * The decision stage steps the built-in policies' per-target tables in place (PolicyDraft,
 * engine.onWindowInPlace) and materialises its state only when state() is asked for. These
 * tests hold it to the pure engine: the same outputs, and the same state key for key and in
 * order whenever it is asked for, however many windows went by unasked; a state handed out
 * never changes after; a restored stage goes on as the one it was taken from; a custom
 * policy keeps the pure contract; a failed in-place step keeps the state.
 */
import fc from 'fast-check';
import type { WindowSignal } from '../../../src/model/signal';
import { createDecisionStage, type DecideOutputs, type DecisionStage } from '../../../src/pipeline/decide';
import { createShardedDecisionStage } from '../../../src/pipeline/sharded-decide';
import { canonicalJson } from '../../../src/actions/canonical';
import {
  createDecisionEngine,
  createPolicies,
  type ConfiguredPolicy,
  type DecisionEngineOptions,
  type DecisionEngineState,
  type Policy,
} from '../../../src/policies';
import { sig } from '../policies/fixtures';
import { testSigningKey } from '../../helpers/keys';
import { QUICK_TIMEOUT } from '../../helpers/quick-policies';

/** Targets that are own keys of no plain object, and integer-like ones that an object orders first. */
const NAMES = ['w0', 'w1', 'w2', '__proto__', 'constructor', 'toString', '12', '7', 'w10', 'hasOwnProperty'];

interface Fleet {
  /** Per window and worker: 0 silent, 1 calm, 2 busy, 3 overloaded. */
  load: number[][];
  herd: boolean[][];
  /** Windows after which state() is asked for (the others go by unasked). */
  asked: boolean[];
}

const fleetArb: fc.Arbitrary<Fleet> = fc.integer({ min: 3, max: 12 }).chain((windows) =>
  fc.record({
    load: fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: NAMES.length, maxLength: NAMES.length }), {
      minLength: windows,
      maxLength: windows,
    }),
    herd: fc.array(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { minLength: windows, maxLength: windows }),
    asked: fc.array(fc.boolean(), { minLength: windows, maxLength: windows }),
  }),
);

const DEPTH = [0, 5, 30, 120];

function finalsOf(f: Fleet, i: number): WindowSignal[] {
  const out: WindowSignal[] = [];
  NAMES.forEach((source, k) => {
    const level = f.load[i][k];
    if (level === 0) return; // silent: forgotten after two windows unless under a lease
    const service = NAMES[(k * 7) % NAMES.length];
    out.push(sig({ metric: 'queue.depth', value: DEPTH[level] + k, i, source }));
    const storm = f.herd[i][k % 3];
    out.push(sig({ metric: 'requests', value: storm ? 400 : 100, i, source, tags: { service } }));
    out.push(sig({ metric: 'retries', value: storm ? 150 : 2, i, source, tags: { service } }));
  });
  return out;
}

function optionsOf(extra: ConfiguredPolicy[] = []): DecisionEngineOptions {
  const policies = createPolicies([
    {
      name: 'at',
      type: 'adaptive-timeout',
      mode: 'enforce',
      parameters: { ...QUICK_TIMEOUT, forgetAfterWindows: 2 },
    },
    {
      name: 'herd',
      type: 'herd-control',
      mode: 'enforce',
      parameters: { baseline: { minWindows: 1 }, stormWindows: 1, storm: { retryShare: 0.2 }, forgetAfterWindows: 2 },
    },
  ]);
  return {
    policies: [...policies, ...extra],
    signing: testSigningKey('in-place', 21),
    guardrails: { minConsecutiveWindows: 1, cooldownWindows: 0, lease: { windows: 2, renewBeforeWindows: 1 } },
  };
}

const endOf = (i: number): number => sig({ metric: 'm', value: 0, i }).windowEnd;

/** The reference: the pure engine, one new state per window. */
function pureRun(f: Fleet, opts: DecisionEngineOptions, from?: { state: DecisionEngineState; window: number }) {
  const engine = createDecisionEngine(opts);
  let state = from?.state ?? engine.init();
  const outputs: string[] = [];
  const states: string[] = [];
  for (let i = from?.window ?? 0; i < f.load.length; i++) {
    const finals = finalsOf(f, i);
    if (finals.length === 0) {
      // A stage sees a window only through its finals: one without any never reaches the engine.
      outputs.push(JSON.stringify([[], []]));
      states.push(JSON.stringify(state));
      continue;
    }
    const r = engine.onWindow(state, finals, endOf(i));
    state = r.state;
    outputs.push(JSON.stringify([r.commands, r.decisions]));
    states.push(JSON.stringify(state));
  }
  return { outputs, states };
}

function stepStage(stage: DecisionStage, f: Fleet, i: number): string {
  const out: DecideOutputs = { commands: [], decisions: [] };
  stage.onFinals(finalsOf(f, i), out);
  return JSON.stringify([out.commands, out.decisions]);
}

/**
 * The single stage, and the stage split over decision shards (whose shards step their tables in place too). The
 * single stage's state is the pure one key for key; the split one's is the same data, its tables merged from the
 * shards' in shard order (docs/scale-out.md), so it is compared with its keys sorted.
 */
const STAGES: [string, (opts: DecisionEngineOptions) => DecisionStage, (state: unknown) => string][] = [
  ['the decision stage', (opts) => createDecisionStage(createDecisionEngine(opts)), (s) => JSON.stringify(s)],
  [
    'the stage split over 3 shards',
    (opts) => createShardedDecisionStage(3, opts, { signing: opts.signing }),
    (s) => canonicalJson(JSON.parse(JSON.stringify(s))),
  ],
];

describe.each(STAGES)('%s stepping policy state in place', (_name, createStage, text) => {
  it('decides as the pure engine, its state() is the pure state key for key, and a handed-out state never changes', () => {
    fc.assert(
      fc.property(fleetArb, (f) => {
        const opts = optionsOf();
        const want = pureRun(f, opts);
        const stage = createStage(opts);
        const handed: { state: DecisionEngineState; text: string }[] = [];
        for (let i = 0; i < f.load.length; i++) {
          expect(stepStage(stage, f, i)).toBe(want.outputs[i]);
          if (!f.asked[i]) continue;
          const { engine } = stage.state();
          expect(text(engine)).toBe(text(JSON.parse(want.states[i])));
          handed.push({ state: engine, text: JSON.stringify(engine) });
        }
        expect(text(stage.state().engine)).toBe(text(JSON.parse(want.states[f.load.length - 1])));
        for (const h of handed) expect(JSON.stringify(h.state)).toBe(h.text);
      }),
      { numRuns: 120 },
    );
  });

  it('exercises what it claims: targets forgotten and coming back, commands from both policies', () => {
    const f: Fleet = {
      load: [
        [3, 3, 1, 3, 3, 3, 3, 3, 1, 3],
        [3, 0, 1, 3, 0, 3, 0, 3, 1, 0],
        [1, 0, 0, 1, 0, 1, 0, 1, 0, 0],
        [1, 0, 0, 1, 0, 1, 0, 1, 0, 0],
        [1, 0, 0, 1, 0, 1, 0, 1, 0, 0],
        [1, 3, 3, 1, 3, 1, 3, 1, 3, 3],
      ],
      herd: Array.from({ length: 6 }, (_, i) => [i < 2, false, i === 5]),
      asked: Array<boolean>(6).fill(true),
    };
    const want = pureRun(f, optionsOf());
    const tables = want.states.map((s) => {
      const p = (JSON.parse(s) as DecisionEngineState).policies as Record<string, { targets: object }>;
      return Object.keys(p.at.targets);
    });
    expect(tables[0]).toContain('__proto__');
    expect(tables[0]).toContain('constructor');
    expect(tables[4]).not.toContain('w1'); // silent for three windows: forgotten
    expect(tables[5]).toContain('w1'); // back, and last in the table's order
    expect(tables[5].indexOf('w1')).toBeGreaterThan(tables[5].indexOf('w0'));
    const commands = want.outputs.flatMap((o) => (JSON.parse(o) as [{ policy: string }[]])[0]);
    expect(new Set(commands.map((c) => c.policy))).toEqual(new Set(['at', 'herd']));
  });

  it('a stage restored from a snapshot goes on as the one it was taken from, and so does one restored again', () => {
    fc.assert(
      fc.property(fleetArb, fc.nat(), (f, at) => {
        const k = at % f.load.length;
        const opts = optionsOf();
        const a = createStage(opts);
        for (let i = 0; i < k; i++) stepStage(a, f, i);
        const snapshot = JSON.parse(JSON.stringify(a.state())) as ReturnType<typeof a.state>;
        const b = createStage(opts);
        b.restore(snapshot);
        const rest: string[] = [];
        for (let i = k; i < f.load.length; i++) {
          rest.push(stepStage(a, f, i));
          expect(stepStage(b, f, i)).toBe(rest[rest.length - 1]);
        }
        expect(JSON.stringify(b.state())).toBe(JSON.stringify(a.state()));
        // The same stage, restored to the snapshot after it moved on, goes the same way again.
        a.restore(snapshot);
        for (let i = k; i < f.load.length; i++) expect(stepStage(a, f, i)).toBe(rest[i - k]);
        expect(JSON.stringify(a.state())).toBe(JSON.stringify(b.state()));
      }),
      { numRuns: 60 },
    );
  });
});

function configured(name: string, policy: Policy<unknown>): ConfiguredPolicy {
  return { name, version: '1', type: 'module', mode: 'shadow', canaryFraction: 0, guardrails: {}, policy };
}

describe('policies without the in-place path, and a failed step', () => {
  it('a custom policy is evaluated purely: each window on the very state it returned the window before', () => {
    const seen: unknown[] = [];
    const returned: unknown[] = [];
    const counter: Policy<unknown> = {
      name: 'counter',
      version: '1',
      init: () => ({ n: 0 }),
      evaluate(state) {
        seen.push(state);
        const next = { n: (state as { n: number }).n + 1 };
        returned.push(next);
        return { state: next, proposals: [] };
      },
    };
    const stage = createDecisionStage(createDecisionEngine(optionsOf([configured('counter', counter)])));
    const f: Fleet = { load: [[1], [1], [1]].map(() => NAMES.map(() => 1)), herd: [[], [], []], asked: [] };
    for (let i = 0; i < 3; i++) stepStage(stage, f, i);
    expect(seen.slice(1)).toEqual(returned.slice(0, 2));
    for (let i = 1; i < 3; i++) expect(seen[i]).toBe(returned[i - 1]);
    expect(stage.state().engine.policies.counter).toEqual({ n: 3 });
  });

  it('a step that throws is a policy error and keeps the working copy as it was', () => {
    let fail = false;
    const drafted: Policy<{ n: number }, { n: number }> = {
      name: 'drafted',
      version: '1',
      init: () => ({ n: 0 }),
      evaluate: (s) => ({ state: { n: s.n + 1 }, proposals: [] }),
      draft: {
        open: (s) => ({ n: s.n }),
        step(work) {
          if (fail) throw new Error('bad window');
          work.n++;
          return { proposals: [] };
        },
        close: (work) => ({ n: work.n }),
      },
    };
    const stage = createDecisionStage(createDecisionEngine(optionsOf([configured('drafted', drafted)])));
    const f: Fleet = { load: [0, 1, 2, 3].map(() => NAMES.map(() => 1)), herd: [], asked: [] };
    f.herd = f.load.map(() => [false, false, false]);
    stepStage(stage, f, 0);
    stepStage(stage, f, 1);
    const before = stage.state().engine.policies.drafted;
    expect(before).toEqual({ n: 2 });
    fail = true;
    const failed = JSON.parse(stepStage(stage, f, 2)) as [unknown[], { policy: string; reason: string }[]];
    expect(failed[1].filter((d) => d.policy === 'drafted').map((d) => d.reason)).toEqual([
      'policy failed: bad window; its state is kept and nothing is issued',
    ]);
    expect(stage.state().engine.policies.drafted).toEqual({ n: 2 });
    fail = false;
    stepStage(stage, f, 3);
    expect(stage.state().engine.policies.drafted).toEqual({ n: 3 });
    expect(before).toEqual({ n: 2 });
  });
});
