/**
 * The rule of the sharded stage two: for the same finals, control records and config, N
 * decision shards + the arbiter give byte-identical commands, decisions and outcomes — and
 * the same state — as the single DecisionStage, for any N and any assignment of keys to
 * shards. Random fleets with binding guardrails (blast radius, rate limits, lease caps,
 * cooldown, circuit breaker), targets going silent (leases lapse), control records, canary
 * mode and verification with its reverts.
 */
import fc from 'fast-check';
import type { ControlRecord } from '../../../src/guardrails/control';
import type { Command } from '../../../src/model/command';
import type { WindowSignal } from '../../../src/model/signal';
import { createDecisionStage, type DecideOutputs, type DecisionStage } from '../../../src/pipeline/decide';
import { createShardedDecisionStage, hashShard } from '../../../src/pipeline/sharded-decide';
import { createDecisionEngine, createPolicies, type DecisionEngineOptions } from '../../../src/policies';
import { createVerifier } from '../../../src/verify';
import { sig } from '../policies/fixtures';
import { testSigningKey } from '../../helpers/keys';

/** JSON with object keys sorted: states are equal as data, whatever order their keys were inserted in. */
function canonical(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

interface Scenario {
  workers: number;
  services: number;
  windows: number;
  /** Per window and worker: 0 silent, 1 calm, 2 busy, 3 overloaded. */
  load: number[][];
  /** Per window and service: a herd (retries far above the usual share) or not. */
  herd: boolean[][];
  tenants: number[][];
  controls: { at: number; kind: ControlRecord['kind']; policy: number; target: number; mode: number }[];
  guard: { fraction: number; burst: number; gburst: number; leases: number; gleases: number; cooldown: number };
  leaseWindows: number;
  canary: boolean;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    workers: fc.integer({ min: 2, max: 24 }),
    services: fc.integer({ min: 1, max: 4 }),
    windows: fc.integer({ min: 4, max: 14 }),
  })
  .chain(({ workers, services, windows }) =>
    fc.record({
      workers: fc.constant(workers),
      services: fc.constant(services),
      windows: fc.constant(windows),
      load: fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: workers, maxLength: workers }), {
        minLength: windows,
        maxLength: windows,
      }),
      herd: fc.array(fc.array(fc.boolean(), { minLength: services, maxLength: services }), {
        minLength: windows,
        maxLength: windows,
      }),
      tenants: fc.array(fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 3, maxLength: 3 }), {
        minLength: windows,
        maxLength: windows,
      }),
      controls: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: windows - 1 }),
          kind: fc.constantFrom<ControlRecord['kind']>(
            'kill',
            'unkill',
            'pause',
            'resume',
            'mode',
            'exclude',
            'include',
          ),
          policy: fc.integer({ min: 0, max: 3 }),
          target: fc.integer({ min: 0, max: workers }),
          mode: fc.integer({ min: 0, max: 2 }),
        }),
        { maxLength: 4 },
      ),
      guard: fc.record({
        fraction: fc.constantFrom(0.1, 0.25, 0.5, 1),
        burst: fc.integer({ min: 1, max: 5 }),
        gburst: fc.integer({ min: 1, max: 8 }),
        leases: fc.integer({ min: 1, max: 12 }),
        gleases: fc.integer({ min: 2, max: 20 }),
        cooldown: fc.integer({ min: 0, max: 2 }),
      }),
      leaseWindows: fc.integer({ min: 2, max: 4 }),
      canary: fc.boolean(),
    }),
  );

const POLICIES = ['at', 'herd', 'wq'];
const MODES = ['shadow', 'canary', 'enforce'] as const;
const DEPTH = [0, 5, 30, 120];

function finalsOf(s: Scenario, i: number): WindowSignal[] {
  const out: WindowSignal[] = [];
  for (let k = 0; k < s.workers; k++) {
    const level = s.load[i][k];
    if (level === 0) continue; // silent: its lease is not renewed and lapses
    const source = `w${k}`;
    const service = `svc${k % s.services}`;
    out.push(sig({ metric: 'queue.depth', value: DEPTH[level] + k, i, source }));
    const requests = 100 + (s.herd[i][k % s.services] ? 300 : 0);
    const retries = s.herd[i][k % s.services] ? 150 : 2;
    out.push(sig({ metric: 'requests', value: requests, i, source, tags: { service } }));
    out.push(sig({ metric: 'retries', value: retries, i, source, tags: { service } }));
  }
  out.push(sig({ metric: 'cluster.capacity_bytes', value: 1000, i, scope: 'cluster', tags: {} }));
  s.tenants[i].forEach((rate, t) =>
    out.push(
      sig({
        metric: 'tenant.bytes_in',
        value: rate * 10,
        ratePerSec: rate,
        i,
        scope: 'tenant',
        tags: { tenant: `t${t}` },
      }),
    ),
  );
  return out;
}

function controlsAt(s: Scenario, i: number, seq: { n: number }): ControlRecord[] {
  return s.controls
    .filter((c) => c.at === i)
    .map((c) => ({
      kind: c.kind,
      policy: c.kind === 'kill' || c.policy === 3 ? null : POLICIES[c.policy],
      target: c.kind === 'exclude' || c.kind === 'include' ? (c.target === s.workers ? null : `w${c.target}`) : null,
      mode: c.kind === 'mode' ? MODES[c.mode] : null,
      issuedBy: 'sre@example',
      issuedAt: ++seq.n,
      reason: 'property',
    }));
}

function optionsOf(s: Scenario): DecisionEngineOptions {
  const mode = s.canary ? 'canary' : 'enforce';
  const policies = createPolicies([
    {
      name: 'at',
      type: 'adaptive-timeout',
      mode,
      maxControlMode: 'enforce',
      parameters: {
        defaultTimeoutMs: 8000,
        high: { queueDepth: 50 },
        low: { queueDepth: 10 },
        overloadWindows: 1,
        calmWindows: 1,
      },
    },
    {
      name: 'herd',
      type: 'herd-control',
      mode,
      parameters: { baseline: { minWindows: 1 }, stormWindows: 1, storm: { retryShare: 0.2 } },
    },
    { name: 'wq', type: 'watermark-quota', mode: 'enforce', parameters: {} },
  ]);
  const g = s.guard;
  return {
    policies,
    signing: testSigningKey('shards', 21),
    guardrails: {
      minConsecutiveWindows: 1,
      cooldownWindows: g.cooldown,
      blastRadius: { fraction: g.fraction, min: 1 },
      rateLimit: { burst: g.burst, perWindow: 1 },
      maxActiveLeases: g.leases,
      lease: { windows: s.leaseWindows, renewBeforeWindows: 1 },
      circuitBreaker: { maxActionsWithoutRecovery: 3 },
      global: { rateLimit: { burst: g.gburst, perWindow: 2 }, maxActiveLeases: g.gleases },
    },
  };
}

interface Trace {
  commands: Command[];
  out: DecideOutputs[];
  refused: (string | undefined)[];
}

function drive(stage: DecisionStage, s: Scenario): Trace {
  const trace: Trace = { commands: [], out: [], refused: [] };
  const seq = { n: 0 };
  for (let i = 0; i < s.windows; i++) {
    const out: DecideOutputs = { commands: [], decisions: [] };
    for (const c of controlsAt(s, i, seq)) trace.refused.push(stage.onControl(c, out));
    stage.onFinals(finalsOf(s, i), out);
    trace.out.push(out);
    trace.commands.push(...out.commands);
  }
  return trace;
}

const verifierFor = () => createVerifier({ windows: 2 });

function single(s: Scenario): { trace: Trace; state: string } {
  const opts = optionsOf(s);
  const stage = createDecisionStage(createDecisionEngine(opts), { verifier: verifierFor(), signing: opts.signing });
  const trace = drive(stage, s);
  return { trace, state: canonical(stage.state()) };
}

function sharded(s: Scenario, n: number, seed: number): { trace: Trace; state: string } {
  const opts = optionsOf(s);
  const assign = (key: string) => hashShard(`${seed}:${key}`, n);
  const stage = createShardedDecisionStage(n, opts, { verifier: verifierFor(), signing: opts.signing, assign });
  const trace = drive(stage, s);
  return { trace, state: canonical(stage.state()) };
}

describe('sharded decision stage: the same outputs as one stage, for any N and assignment', () => {
  it('commands, decisions, outcomes and state are identical (random fleets, binding guardrails)', () => {
    fc.assert(
      fc.property(scenarioArb, fc.constantFrom(1, 2, 3, 7), fc.integer(), (s, n, seed) => {
        const a = single(s);
        const b = sharded(s, n, seed);
        expect(JSON.stringify(b.trace)).toBe(JSON.stringify(a.trace));
        expect(b.state).toBe(a.state);
      }),
      { numRuns: 150 },
    );
  });

  it('the scenarios exercise what they claim: commands, refusals by each fleet-wide guardrail, lapses, reverts', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(scenarioArb, (s) => {
        for (const out of single(s).trace.out) {
          for (const d of out.decisions) seen.add(d.guardrail ?? d.kind);
          for (const o of out.outcomes ?? []) seen.add(`outcome:${o.verdict}`);
        }
      }),
      { numRuns: 150, seed: 21 },
    );
    const expected = [
      'acted',
      'renewed',
      'reverted',
      'blast_radius',
      'rate_limit',
      'lease_cap',
      'cooldown',
      'circuit_breaker',
    ];
    expected.push('killed', 'paused', 'excluded', 'outcome:improved', 'outcome:worsened');
    for (const k of expected) expect(seen).toContain(k);
  });

  it('a stage restored from the merged state continues as the single stage does', () => {
    fc.assert(
      fc.property(scenarioArb, fc.constantFrom(2, 3, 7), fc.integer(), (s, n, seed) => {
        const opts = optionsOf(s);
        const one = createDecisionStage(createDecisionEngine(opts), { verifier: verifierFor(), signing: opts.signing });
        const assign = (key: string) => hashShard(`${seed}:${key}`, n);
        const many = createShardedDecisionStage(n, opts, { verifier: verifierFor(), signing: opts.signing, assign });
        const half = Math.floor(s.windows / 2);
        const first = { ...s, windows: half };
        drive(one, first);
        drive(many, first);
        const restored = createShardedDecisionStage(n, opts, {
          verifier: verifierFor(),
          signing: opts.signing,
          assign,
        });
        restored.restore(JSON.parse(JSON.stringify(many.state())) as ReturnType<typeof many.state>);
        // The remaining windows keep their event times: drive from window `half` on.
        const tail = (stage: DecisionStage) => {
          const outs: DecideOutputs[] = [];
          for (let i = half; i < s.windows; i++) {
            const out: DecideOutputs = { commands: [], decisions: [] };
            stage.onFinals(finalsOf(s, i), out);
            outs.push(out);
          }
          return JSON.stringify(outs);
        };
        expect(tail(restored)).toBe(tail(one));
      }),
      { numRuns: 60 },
    );
  });
});

describe('sharded decision stage: settings', () => {
  const opts = (): DecisionEngineOptions => optionsOf(fc.sample(scenarioArb, { numRuns: 1, seed: 1 })[0]);

  it('refuses a shard count that is not a whole number ≥ 1, naming it', () => {
    expect(() => createShardedDecisionStage(0, opts())).toThrow(/shards must be a whole number ≥ 1, got 0/);
    expect(() => createShardedDecisionStage(2.5, opts())).toThrow(/got 2.5/);
  });

  it('refuses an assignment outside 0..n-1, naming the key and the range', () => {
    expect(() => createShardedDecisionStage(3, opts(), { assign: () => 3 })).toThrow(
      /key 'policy:wq' was assigned shard 3; assign must return 0\.\.2/,
    );
  });
});
