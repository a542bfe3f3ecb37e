import { canonicalJson } from '../../../src/actions/canonical';
import { verifyCommand } from '../../../src/actions/signing';
import type { ControlRecord } from '../../../src/guardrails/control';
import { InputError } from '../../../src/errors';
import type { WindowSignal } from '../../../src/model/signal';
import { createDecisionEngine, createPolicy, type DecisionEngineState, type Policy } from '../../../src/policies';
import { engineFor, run, sig, win, T0, W } from './fixtures';
import { testKeyring, testSigningKey } from '../../helpers/keys';

const at = {
  name: 'at',
  type: 'adaptive-timeout',
  parameters: {
    defaultTimeoutMs: 8000,
    high: { queueDepth: 50, inflight: null, latencyMs: null },
    low: { queueDepth: 10, inflight: null, latencyMs: null },
    minTimeoutMs: 10,
  },
};

const workers = (n: number) => Array.from({ length: n }, (_, k) => `w${String(k).padStart(4, '0')}`);
/** Worker k has queue depth 100 + k: higher index, higher severity. */
const fleet =
  (n: number, depth: (k: number) => number = (k) => 100 + k) =>
  (i: number) =>
    workers(n).map((source, k) => sig({ metric: 'queue.depth', value: depth(k), i, source }));

/** Each record is issued after the previous one: the control plane applies only newer records. */
let issued = 0;
const control = (c: Partial<ControlRecord> & Pick<ControlRecord, 'kind'>): ControlRecord => ({
  policy: null,
  target: null,
  mode: null,
  issuedBy: 'sre@example',
  issuedAt: ++issued,
  reason: 'test',
  ...c,
});

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

describe('decision engine: guardrails at fleet scale', () => {
  it('1000 overloaded workers: blast radius caps actions at 10%, the rest are blocked decisions naming it', () => {
    const engine = engineFor(at, { rateLimit: { burst: 1000 }, global: { rateLimit: { burst: 1000 } } });
    const steps = run(engine, 3, fleet(1000));
    const last = steps[2];
    expect(last.commands).toHaveLength(100);
    const kinds = last.decisions.reduce<Record<string, number>>(
      (m, d) => ({ ...m, [`${d.kind}:${d.guardrail}`]: (m[`${d.kind}:${d.guardrail}`] ?? 0) + 1 }),
      {},
    );
    expect(kinds).toEqual({ 'acted:null': 100, 'blocked:blast_radius': 900 });
    // the most severe (deepest queues) were served first
    expect(last.commands.map((c) => c.target).sort()).toEqual(workers(1000).slice(900));
  });

  it('1000 overloaded workers: the token bucket caps actions, the rest are blocked as rate_limit', () => {
    const steps = run(engineFor(at), 3, fleet(1000));
    const last = steps[2];
    expect(last.commands).toHaveLength(10); // per-policy burst 10 (global burst 50)
    expect(last.decisions.filter((d) => d.kind === 'blocked' && d.guardrail === 'rate_limit')).toHaveLength(990);
    expect(last.decisions).toHaveLength(1000);
    // event-time refill: 2 tokens per window, so 2 more actions in the next window
    const next = engineFor(at).onWindow(last.state, fleet(1000)(3), win(3).windowEnd);
    expect(next.decisions.filter((d) => d.kind === 'acted')).toHaveLength(2);
  });

  it('the lease cap holds, and the global rate limit binds across policies', () => {
    const capped = run(
      engineFor(at, { maxActiveLeases: 5, rateLimit: { burst: 100 }, global: { rateLimit: { burst: 100 } } }),
      3,
      fleet(1000),
    )[2];
    expect(capped.commands).toHaveLength(5);
    expect(capped.decisions.filter((d) => d.guardrail === 'lease_cap')).toHaveLength(995);

    const two = createDecisionEngine({
      policies: [
        createPolicy({ ...at, name: 'a1', mode: 'enforce' }),
        createPolicy({ ...at, name: 'a2', mode: 'enforce' }),
      ],
      guardrails: { rateLimit: { burst: 100 }, global: { rateLimit: { burst: 30 } } },
      signing: null,
    });
    const both = run(two, 3, fleet(1000))[2];
    expect(both.commands).toHaveLength(30);
    expect(both.decisions.filter((d) => d.guardrail === 'rate_limit')).toHaveLength(2000 - 30);
  });
});

describe('decision engine: circuit breaker, kill switch, pause, exclusion', () => {
  const fast = { cooldownWindows: 0, circuitBreaker: { maxActionsWithoutRecovery: 3 } };

  it('escalates after K actions without recovery, then holds; a recovery closes it', () => {
    const depth = (i: number) => (i < 9 ? 500 : 0);
    const steps = run(engineFor(at, fast), 16, (i) => [
      sig({ metric: 'queue.depth', value: depth(i), i, source: 'w1' }),
    ]);
    const seq = steps.flatMap((s) => s.decisions.map((d) => `${s.i}:${d.kind}${d.guardrail ? `/${d.guardrail}` : ''}`));
    expect(seq.filter((x) => x.includes('acted')).slice(0, 3)).toEqual(['2:acted', '3:acted', '4:acted']);
    expect(seq).toContain('5:escalated/circuit_breaker');
    expect(seq.filter((x) => x.includes('escalated'))).toHaveLength(1);
    expect(seq).toContain('6:blocked/circuit_breaker');
    // the cut in force is held (renewed), not dropped
    expect(seq.some((x) => x.endsWith('renewed'))).toBe(true);
    // calm from window 9: relaxes (a recovery) — the breaker is closed again
    const relax = steps.find((s) => s.decisions.some((d) => d.kind === 'acted' && d.reason.startsWith('calm')));
    expect(relax).toBeDefined();
    expect(Object.keys(relax!.state.guard.breakers)).toHaveLength(0);
  });

  it('kill switch: nothing is issued (not even reverts or renewals), leases lapse; unkill resumes', () => {
    const engine = engineFor(at, fast);
    let state = run(engine, 3, fleet(1))[2].state;
    expect(Object.keys(state.leases)).toHaveLength(1);
    const killed = engine.onControl(state, control({ kind: 'kill' }));
    expect(killed.decisions.map((d) => [d.kind, d.guardrail, d.target])).toEqual([['blocked', 'killed', 'w0000']]);
    state = killed.state;
    const steps = run(engine, 4, fleet(1), state, 3);
    expect(steps.flatMap((s) => s.commands)).toHaveLength(0);
    const kinds = steps.flatMap((s) => s.decisions.map((d) => `${d.kind}/${d.guardrail}`));
    expect(kinds).toContain('blocked/killed');
    expect(kinds).toContain('reverted/null'); // the lease lapsed
    expect(Object.keys(steps[3].state.leases)).toHaveLength(0);
    const back = engine.onControl(steps[3].state, control({ kind: 'unkill' }));
    const after = engine.onWindow(back.state, fleet(1)(7), win(7).windowEnd);
    expect(after.commands).toHaveLength(1);
  });

  it('pause stops one policy; exclusion stops one target', () => {
    const engine = engineFor(at);
    const s0 = run(engine, 2, fleet(3)).at(-1)!.state;
    const paused = engine.onControl(s0, control({ kind: 'pause', policy: 'at' })).state;
    const p = engine.onWindow(paused, fleet(3)(2), win(2).windowEnd);
    expect(p.commands).toHaveLength(0);
    expect(p.decisions.map((d) => d.guardrail)).toEqual(['paused', 'paused', 'paused']);

    const excluded = engine.onControl(s0, control({ kind: 'exclude', target: 'w0001' })).state;
    const e = engine.onWindow(excluded, fleet(3)(2), win(2).windowEnd);
    expect(e.decisions.filter((d) => d.guardrail === 'excluded').map((d) => d.target)).toEqual(['w0001']);
    const included = engine.onControl(excluded, control({ kind: 'include', target: 'w0001' })).state;
    expect(included.guard.control.excluded).toEqual({});
  });

  it('rejects a malformed control record as input', () => {
    const engine = engineFor(at);
    expect(() => engine.onControl(engine.init(), control({ kind: 'mode', mode: null }))).toThrow(InputError);
  });
});

describe('decision engine: modes', () => {
  it('defaults to shadow: commands are produced with mode shadow and decisions say shadowed', () => {
    const { mode: _m, ...cfg } = { ...at, mode: undefined };
    const engine = createDecisionEngine({ policies: [createPolicy(cfg)], signing: null });
    const last = run(engine, 3, fleet(1))[2];
    expect(last.commands.map((c) => c.mode)).toEqual(['shadow']);
    expect(last.decisions.map((d) => [d.kind, d.mode])).toEqual([['shadowed', 'shadow']]);
  });

  it('canary: a deterministic subset is enforced, the rest are the control group', () => {
    const cfg = { ...at, mode: 'canary', canary: { fraction: 0.5 } };
    const engine = createDecisionEngine({
      policies: [createPolicy(cfg)],
      guardrails: { blastRadius: { fraction: 1 }, rateLimit: { burst: 1000 }, global: { rateLimit: { burst: 1000 } } },
      signing: null,
    });
    const last = run(engine, 3, fleet(200))[2];
    const canary = last.decisions.filter((d) => d.kind === 'acted');
    const controlGroup = last.decisions.filter((d) => d.kind === 'control');
    expect(canary.length + controlGroup.length).toBe(200);
    expect(canary.length).toBeGreaterThan(70);
    expect(canary.length).toBeLessThan(130);
    for (const d of [...canary, ...controlGroup]) expect(d.mode).toBe('canary');
    const modeOf = new Map(last.commands.map((c) => [c.target, c.mode]));
    for (const d of canary) expect(modeOf.get(d.target)).toBe('canary');
    for (const d of controlGroup) expect(modeOf.get(d.target)).toBe('shadow');
    // same groups on a second run
    const again = run(engine, 3, fleet(200))[2];
    expect(again.decisions.filter((d) => d.kind === 'acted').map((d) => d.target)).toEqual(canary.map((d) => d.target));
  });

  it('modeOverride wins over the config and the control plane', () => {
    const engine = createDecisionEngine({
      policies: [createPolicy({ ...at, mode: 'enforce' })],
      modeOverride: 'shadow',
      signing: null,
    });
    let state = engine.onControl(engine.init(), control({ kind: 'mode', policy: 'at', mode: 'enforce' })).state;
    state = run(engine, 3, fleet(1), state)[2].state;
    expect(Object.values(state.leases).map((l) => l.mode)).toEqual(['shadow']);
    expect(engine.modeOf(state, 'at')).toBe('shadow');
  });

  it('a control-plane mode change forgets leases issued under the old mode', () => {
    const engine = engineFor(at);
    const s = run(engine, 3, fleet(2))[2].state;
    const out = engine.onControl(s, control({ kind: 'mode', policy: 'at', mode: 'shadow' }));
    expect(out.decisions.map((d) => d.kind)).toEqual(['reverted']);
    expect(Object.keys(out.state.leases)).toHaveLength(0);
    expect(engine.modeOf(out.state, 'at')).toBe('shadow');
  });
});

describe('decision engine: determinism and records', () => {
  const signals = (i: number): WindowSignal[] => [
    ...fleet(50, (k) => (k % 3 === 0 ? 40 + ((i * 7 + k) % 40) : 5 + ((i + k) % 10)))(i),
    sig({ metric: 'requests', value: i > 4 ? 500 : 100, i, source: 'c1', tags: { service: 'api' } }),
    sig({ metric: 'retries', value: i > 4 ? 200 : 1, i, source: 'c1', tags: { service: 'api' } }),
  ];
  const make = () =>
    createDecisionEngine({
      policies: [
        createPolicy({ ...at, mode: 'enforce' }),
        createPolicy({ name: 'herd', type: 'herd-control', mode: 'canary', canary: { fraction: 1 } }),
      ],
      guardrails: { blastRadius: { fraction: 0.5 } },
      signing: testSigningKey('k1', 21),
    });

  it('the same inputs twice give byte-identical commands and decisions', () => {
    const a = run(make(), 20, signals);
    const b = run(make(), 20, signals);
    expect(canonicalJson(a.map((s) => [s.commands, s.decisions]))).toBe(
      canonicalJson(b.map((s) => [s.commands, s.decisions])),
    );
    expect(a.flatMap((s) => s.commands).length).toBeGreaterThan(5);
  });

  it('state survives a JSON round trip (checkpoint/restore) without changing outputs', () => {
    const engine = make();
    const straight = run(engine, 20, signals);
    const firstHalf = run(engine, 10, signals);
    const restored = JSON.parse(JSON.stringify(firstHalf[9].state)) as DecisionEngineState;
    let state = restored;
    for (let i = 10; i < 20; i++) {
      const out = engine.onWindow(state, signals(i), win(i).windowEnd);
      state = out.state;
      expect(canonicalJson([out.commands, out.decisions])).toBe(
        canonicalJson([straight[i].commands, straight[i].decisions]),
      );
    }
  });

  it('never mutates the state it is given', () => {
    const engine = make();
    let state = deepFreeze(engine.init());
    for (let i = 0; i < 12; i++) {
      const before = canonicalJson(state);
      const out = engine.onWindow(state, signals(i), win(i).windowEnd);
      expect(canonicalJson(state)).toBe(before);
      state = deepFreeze(out.state);
    }
  });

  it('every command has exactly one decision naming it, outputs are sorted, and signatures verify', () => {
    for (const s of run(make(), 20, signals)) {
      for (const c of s.commands) {
        expect(s.decisions.filter((d) => d.commandId === c.id && d.kind !== 'blocked')).toHaveLength(1);
        expect(verifyCommand(c, testKeyring(testSigningKey('k1', 21)))).toEqual({ ok: true });
        expect(c.issuedAt).toBe(win(s.i).windowEnd);
      }
      const keys = s.commands.map((c) => `${c.policy}\u0000${c.target}\u0000${c.type}`);
      expect(keys).toEqual([...keys].sort());
      expect(new Set(s.decisions.map((d) => d.id)).size).toBe(s.decisions.length);
    }
  });

  it('renewals carry the same parameters under a new id', () => {
    const steps = run(engineFor({ ...at, parameters: { ...at.parameters, minTimeoutMs: 4000 } }), 8, fleet(1));
    const cmds = steps.flatMap((s) => s.commands);
    expect(cmds.length).toBeGreaterThan(2);
    expect(new Set(cmds.map((c) => c.params.timeoutMs))).toEqual(new Set([4000]));
    expect(new Set(cmds.map((c) => c.id)).size).toBe(cmds.length);
  });

  it('a policy that throws is escalated and the others still run', () => {
    const broken: Policy<null> = {
      name: 'broken',
      version: '1',
      init: () => null,
      evaluate: () => {
        throw new Error('boom');
      },
    };
    const engine = createDecisionEngine({
      policies: [
        {
          name: 'broken',
          version: '1',
          type: 'module',
          mode: 'enforce',
          canaryFraction: 0.1,
          guardrails: {},
          policy: broken,
        },
        createPolicy({ ...at, mode: 'enforce' }),
      ],
      signing: null,
    });
    const last = run(engine, 3, fleet(1))[2];
    expect(last.decisions.map((d) => [d.policy, d.kind])).toEqual([
      ['at', 'acted'],
      ['broken', 'escalated'],
    ]);
    expect(last.decisions[1].reason).toContain('boom');
  });

  it('does nothing before it knows the window length, and uses event time only', () => {
    const engine = engineFor(at);
    const out = engine.onWindow(engine.init(), [], T0 + W);
    expect(out.commands).toEqual([]);
    expect(out.state.lastEventTime).toBe(T0 + W);
  });
});

describe('decision engine: malformed proposals from a module', () => {
  it('escalates a proposal with non-finite numbers instead of crashing', () => {
    const sloppy: Policy<null> = {
      name: 'sloppy',
      version: '1',
      init: () => null,
      evaluate: (state, signals) => ({
        state,
        proposals: signals.slice(0, 1).map((s) => ({
          target: 'x',
          type: 'quota.set' as const,
          kind: 'set' as const,
          params: {
            timeoutMs: null,
            retryStrategy: null,
            retryBaseMs: null,
            retryCapMs: null,
            retryMaxAttempts: null,
            retryBudgetRatio: null,
            retryBudgetFloorPerSec: null,
            quotaBytesPerSec: NaN,
            quotaRequestsPerSec: null,
            extra: {},
          },
          severity: 1,
          streak: 5,
          reason: 'r',
          evidence: [{ signal: 's', value: Infinity, threshold: 1, comparison: '>' as const }],
          windowStart: s.windowStart,
          windowEnd: s.windowEnd,
        })),
      }),
    };
    const engine = createDecisionEngine({
      policies: [
        {
          name: 'sloppy',
          version: '1',
          type: 'module',
          mode: 'enforce',
          canaryFraction: 0.1,
          guardrails: {},
          policy: sloppy,
        },
      ],
      signing: null,
    });
    const out = engine.onWindow(engine.init(), [sig({ metric: 'm', value: 1, i: 0, source: 's' })], win(0).windowEnd);
    expect(out.commands).toEqual([]);
    expect(out.decisions.map((d) => [d.kind, d.reason])).toEqual([
      ['escalated', 'policy error: proposal for x: params.quotaBytesPerSec must be a finite number or null'],
    ]);
  });
});
