/**
 * The rule of the sharded stage two: for the same finals, control records and config, N
 * decision shards + the arbiter give byte-identical commands, decisions and outcomes — and
 * the same state — as the single DecisionStage, for any N and any assignment of keys to
 * shards. Random fleets with binding guardrails (blast radius, rate limits, lease caps,
 * cooldown, circuit breaker), targets going silent (leases lapse), control records, canary
 * mode and verification with its reverts.
 */
import fc from 'fast-check';
import type { Command } from '../../../src/model/command';
import { createDecisionStage, type DecideOutputs, type DecisionStage } from '../../../src/pipeline/decide';
import { createShardedDecisionStage, hashShard } from '../../../src/pipeline/sharded-decide';
import { createDecisionEngine, type DecisionEngineOptions } from '../../../src/policies';
import { canonical, controlsAt, finalsOf, optionsOf, scenarioArb, verifierFor, type Scenario } from './sharded-fleet';

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
