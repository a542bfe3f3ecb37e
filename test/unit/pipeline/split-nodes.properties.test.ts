/**
 * The stage two split over processes, its nodes driven through their messages only: D
 * decision shards (split-shard.ts) that each see only the finals stage one routes to them
 * (split-route.ts) and one arbiter (split-arbiter.ts), every message and checkpoint through
 * JSON as over Kafka. For the same finals, control records and config they give
 * byte-identical commands, decisions and outcomes — and, merged, the same state — as the
 * single DecisionStage; also when every node is rebuilt from its checkpoint in the middle of
 * a window — some shards reported and the rest not, or some shards built their records from
 * the arbiter's verdicts and the rest not — as after a crash.
 */
import fc from 'fast-check';
import { compareKeys } from '../../../src/core/series-key';
import type { WindowSignal } from '../../../src/model/signal';
import { createDecisionStage, type DecideOutputs } from '../../../src/pipeline/decide';
import { hashShard, shardPlan } from '../../../src/pipeline/sharded-decide';
import { mergeShardStates } from '../../../src/pipeline/shard-state';
import { createSplitArbiter, splitStart, type SplitArbiter } from '../../../src/pipeline/split-arbiter';
import { createSplitRouter } from '../../../src/pipeline/split-route';
import { createSplitShard, type SplitShard } from '../../../src/pipeline/split-shard';
import { createDecisionEngine, setupOf, type DecisionEngineOptions } from '../../../src/policies/engine';
import type { ControlDeps } from '../../../src/policies/engine-control';
import { canonical, controlsAt, finalsOf, optionsOf, scenarioArb, verifierFor, type Scenario } from './sharded-fleet';

/** As the gather releases a window: in key order. */
const released = (s: Scenario, i: number): WindowSignal[] => finalsOf(s, i).sort((a, b) => compareKeys(a.key, b.key));

/** Through JSON, as every message and checkpoint crosses Kafka. */
const wire = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

interface Run {
  out: string;
  refused: string;
  state: string;
}

/**
 * The fleet's options; without its whole policy (watermark-quota, whose shard gets every final) the
 * shards see disjoint parts of each window, and verification reads only what they forward.
 */
function fleetOptions(s: Scenario, whole: boolean): DecisionEngineOptions {
  const opts = optionsOf(s);
  return whole ? opts : { ...opts, policies: opts.policies.filter((p) => p.policy.perTarget !== undefined) };
}

function single(s: Scenario, whole: boolean): Run {
  const opts = fleetOptions(s, whole);
  const stage = createDecisionStage(createDecisionEngine(opts), { verifier: verifierFor(), signing: opts.signing });
  const outs: DecideOutputs[] = [];
  const refused: (string | undefined)[] = [];
  const seq = { n: 0 };
  for (let i = 0; i < s.windows; i++) {
    const out: DecideOutputs = { commands: [], decisions: [] };
    for (const c of controlsAt(s, i, seq)) refused.push(stage.onControl(c, out));
    stage.onFinals(released(s, i), out);
    outs.push(out);
  }
  return { out: JSON.stringify(outs), refused: JSON.stringify(refused), state: canonical(stage.state()) };
}

/** Where in a window every node is rebuilt from its checkpoint: half the shards reported, or half built. */
type Crash = { at: number; phase: 'report' | 'build' } | null;

/** `crashAt`: the window in whose middle every node is rebuilt from its checkpoint, and where in it. */
function split(s: Scenario, whole: boolean, n: number, seed: number, crashAt: Crash): Run {
  const opts = fleetOptions(s, whole);
  const setup = setupOf(opts);
  const plan = shardPlan(setup, n, (key) => hashShard(`${seed}:${key}`, n));
  const verifier = verifierFor();
  const deps: ControlDeps = { modeOf: setup.modeOf, policy: (p) => setup.byName.get(p)?.cp, limits: opts.control };
  const route = createSplitRouter(setup, plan, verifier.config);
  const start = splitStart(setup, plan, createDecisionEngine(opts).init(), verifier.init());
  const newShard = (index: number) =>
    createSplitShard({ setup, plan, index, verifier: verifier.config, init: start.shards[index] });
  const newArbiter = () =>
    createSplitArbiter({ setup, plan, deps, verifier, signing: opts.signing, init: wire(start.arbiter) });
  let shards: SplitShard[] = start.shards.map((_p, i) => newShard(i));
  let arbiter: SplitArbiter = newArbiter();
  const crash = () => {
    const saved = { shards: shards.map((x) => wire(x.checkpoint())), arbiter: wire(arbiter.checkpoint()) };
    shards = saved.shards.map((cp, i) => {
      const x = newShard(i);
      x.restore(cp);
      return x;
    });
    arbiter = newArbiter();
    arbiter.restore(saved.arbiter);
  };
  const outs: DecideOutputs[] = [];
  const refused: (string | undefined)[] = [];
  const seq = { n: 0 };
  for (let i = 0; i < s.windows; i++) {
    const out: DecideOutputs = { commands: [], decisions: [] };
    for (const c of controlsAt(s, i, seq)) {
      const r = arbiter.control(wire(c));
      refused.push(r.refused);
      if (!r.forward) continue;
      for (const x of shards) {
        const done = arbiter.ack(wire(x.control(wire(r.forward), deps)));
        if (done) out.decisions.push(...done);
      }
    }
    const finals = released(s, i);
    const summary = { end: finals[0].windowEnd, minStart: Math.min(...finals.map((f) => f.windowStart)) };
    const routes = new Map(finals.map((f) => [f.key, route(f)]));
    const settled = (done: ReturnType<SplitArbiter['built']>) => {
      if (!done) return;
      out.commands.push(...done.out.commands);
      out.decisions.push(...done.out.decisions);
      if (done.out.outcomes) (out.outcomes ??= []).push(...done.out.outcomes);
      done.settlements.forEach((st, j) => shards[j].settle(wire(st)));
    };
    const crashHere = (phase: 'report' | 'build', d: number) =>
      crashAt !== null && i === crashAt.at && phase === crashAt.phase && d === Math.floor(n / 2);
    shards.forEach((_x, d) => {
      if (crashHere('report', d)) crash();
      const report = shards[d].window(
        summary,
        finals.filter((f) => routes.get(f.key)!.includes(d)),
      );
      const judged = arbiter.report(wire(report));
      if (!judged) return;
      settled(judged.settled);
      judged.verdicts.forEach((v, j) => {
        if (crashHere('build', j)) crash();
        if (v !== null) settled(arbiter.built(wire(shards[j].verdicts(wire(v)))));
      });
    });
    outs.push(out);
  }
  const cp = arbiter.checkpoint();
  const engine = mergeShardStates(
    setup,
    plan,
    shards.map((x) => x.checkpoint().state),
    cp.own,
  );
  expect(arbiter.counters()).toEqual({ stale: 0, controlRaces: 0 });
  return {
    out: JSON.stringify(outs),
    refused: JSON.stringify(refused),
    state: canonical({ engine, verifier: cp.verifier }),
  };
}

const phaseArb = fc.constantFrom<'report' | 'build'>('report', 'build');

describe('stage two split over processes: shards and arbiter through their messages', () => {
  it('commands, decisions, outcomes and merged state are those of the single stage', () => {
    fc.assert(
      fc.property(scenarioArb, fc.boolean(), fc.constantFrom(1, 2, 3, 5), fc.integer(), (s, whole, n, seed) => {
        const a = single(s, whole);
        const b = split(s, whole, n, seed, null);
        expect(b.out).toBe(a.out);
        expect(b.refused).toBe(a.refused);
        expect(b.state).toBe(a.state);
      }),
      { numRuns: 120 },
    );
  });

  it('every node rebuilt from its checkpoint in the middle of a window goes on as if it never stopped', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.boolean(),
        fc.constantFrom(2, 3),
        fc.integer(),
        fc.nat(),
        phaseArb,
        (s, whole, n, seed, at, phase) => {
          const a = single(s, whole);
          const b = split(s, whole, n, seed, { at: at % s.windows, phase });
          expect(b.out).toBe(a.out);
          expect(b.state).toBe(a.state);
        },
      ),
      { numRuns: 60 },
    );
  });
});
