/**
 * Stage two's decision work split by target over N shards, with the fleet-wide guardrails
 * exact in one arbiter (docs/scale-out.md, "Stage two split by target"), in one process:
 * the DecisionStage interface of decide.ts, and for the same finals, control records and
 * config the same commands, decisions, outcomes and (merged) state as the single stage,
 * for any N and any assignment of keys to shards. The Kafka wiring puts each shard and the
 * arbiter in processes of their own; this is the pure core they run, and the reference a
 * distributed run is checked against.
 *
 * Per window: route each final to the shard of each per-target policy's target (whole
 * policies get every final in their owner shard) → every shard lapses its leases and
 * evaluates → the arbiter merges the candidates in candidateOrder and runs the chain and
 * the modes → each shard builds and signs its commands and decisions from its verdicts →
 * the records merged in the engine's order → verification in the arbiter, on the finals
 * its pending verifications and this window's candidates read.
 */
import { ConfigError } from '../errors';
import type { ControlRecord } from '../guardrails/control';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import { createDecisionEngine, setupOf, type DecisionEngineOptions, type Entry } from '../policies/engine';
import { sortDecisions } from '../policies/engine-support';
import type { ControlDeps } from '../policies/engine-control';
import type { DecisionEngineState } from '../policies/engine-types';
import { windowOf } from '../policies/streak';
import type { Verifier, VerifierState } from '../verify';
import { createArbiter } from './arbiter';
import { appendAll } from './append';
import {
  eachWindow,
  type DecideOutputs,
  type DecisionStage,
  type DecisionStageOptions,
  type StageState,
} from './decide';
import { createDecisionShard, mergeBuilt, type DecisionShard, type ShardWindow, type WindowFrame } from './shard-stage';
import { mergeShardStates, splitShardState, type ShardPlan } from './shard-state';
import { addVerifiedTargets, createVerifySelector } from './verify-select';
import { verifyWindow } from './verify-step';

export interface ShardedStageOptions extends DecisionStageOptions {
  /** Key → shard in [0, n): a target of a per-target policy, or `policy:<name>` for a whole policy. Default: a hash. */
  assign?: (key: string) => number;
}

/** FNV-1a, 32 bits: a stable spread of keys over shards (the same in every process and run). */
export function hashShard(key: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}

export function shardPlan(setup: ReturnType<typeof setupOf>, n: number, assign: (key: string) => number): ShardPlan {
  const at = (key: string): number => {
    const s = assign(key);
    if (!Number.isInteger(s) || s < 0 || s >= n)
      throw new ConfigError([`sharded stage: key '${key}' was assigned shard ${s}; assign must return 0..${n - 1}`]);
    return s;
  };
  const ownerOf = (e: Entry): number | null => (e.cp.policy.perTarget ? null : at(`policy:${e.cp.name}`));
  return {
    shards: n,
    ownerOf,
    shardOfTarget(policy, target) {
      const e = setup.byName.get(policy);
      // A policy no longer configured: its leases only lapse, in shard 0.
      if (e === undefined) return 0;
      return ownerOf(e) ?? at(target);
    },
  };
}

/** Each shard's finals per policy: by target for per-target policies, all of them in a whole policy's owner. */
function route(setup: ReturnType<typeof setupOf>, plan: ShardPlan, finals: readonly WindowSignal[]) {
  const routed = new Map<string, WindowSignal[][]>();
  for (const e of setup.entries) {
    const lists: WindowSignal[][] = [];
    for (let i = 0; i < plan.shards; i++) lists.push([]);
    const owner = plan.ownerOf(e);
    const per = e.cp.policy.perTarget;
    if (owner !== null || per === undefined) lists[owner ?? 0] = finals as WindowSignal[];
    else {
      for (const s of finals) {
        const t = per.targetOf(s);
        if (t !== null) lists[plan.shardOfTarget(e.cp.name, t)].push(s);
      }
    }
    routed.set(e.cp.name, lists);
  }
  return routed;
}

export function createShardedDecisionStage(
  n: number,
  engineOptions: DecisionEngineOptions,
  options: ShardedStageOptions = {},
): DecisionStage {
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError([`sharded stage: shards must be a whole number ≥ 1, got ${n}`]);
  const engine = createDecisionEngine(engineOptions);
  const setup = setupOf(engineOptions);
  const plan = shardPlan(setup, n, options.assign ?? ((key) => hashShard(key, n)));
  const deps: ControlDeps = {
    modeOf: setup.modeOf,
    policy: (name) => setup.byName.get(name)?.cp,
    limits: engineOptions.control,
  };
  const verifier: Verifier | undefined = options.verifier;
  const select = verifier ? createVerifySelector(verifier.config) : null;
  const arbiter = createArbiter(setup);
  let shards: DecisionShard[] = [];
  let windowMs: number | null = null;
  let vstate: VerifierState | null = null;

  const load = (state: DecisionEngineState, v: VerifierState | null): void => {
    const { parts, arbiter: own } = splitShardState(setup, plan, state);
    shards = parts.map((p, i) => createDecisionShard(setup, (e) => (plan.ownerOf(e) ?? i) === i, p));
    arbiter.restore(own);
    windowMs = state.windowMs;
    vstate = verifier ? (v ?? verifier.init()) : null;
  };
  load(engine.init(), null);

  /** One window through the shards and the arbiter; the shards' windows for verification, or null when skipped. */
  const decideWindow = (group: readonly WindowSignal[], end: number, out: DecideOutputs): ShardWindow[] | null => {
    const finals = group.filter((s) => !s.partial);
    let observedMs = 0;
    for (const s of finals) observedMs = Math.max(observedMs, s.windowEnd - s.windowStart);
    const wms = observedMs > 0 ? observedMs : windowMs;
    if (wms === null || wms <= 0) {
      for (const s of shards) s.skip(end);
      return null;
    }
    const batch = finals.length > 0 ? windowOf(finals) : { windowStart: end - wms, windowEnd: end };
    const frame: WindowFrame = { eventTime: end, windowMs: wms, batch };
    const routed = route(setup, plan, finals);
    const windows = shards.map((s, i) => s.onWindow(frame, (e) => routed.get(e.cp.name)?.[i] ?? []));
    const decided = arbiter.decide(frame, windows);
    const built = shards.map((s, i) => s.settle(decided.settlements[i]));
    windowMs = wms;
    const merged = mergeBuilt(
      built.map((b, i) => ({ commands: b.commands, decisions: [...windows[i].decisions, ...b.decisions] })),
    );
    appendAll(out.commands, merged.commands);
    appendAll(out.decisions, merged.decisions);
    return windows;
  };

  return {
    engine,
    onFinals(finals, out) {
      eachWindow(finals, (group, end) => {
        const before = out.commands.length;
        const windows = decideWindow(group, end, out);
        if (!verifier || !vstate || !select) return;
        const targets = new Set(vstate.pending.map((v) => v.target));
        for (const w of windows ?? []) addVerifiedTargets(targets, w.candidates);
        const step = { commands: out.commands.slice(before), signals: select(group, targets), eventTime: end };
        vstate = verifyWindow(verifier, vstate, step, options.signing ?? null, out, (cmd) =>
          shards[plan.shardOfTarget(cmd.policy, cmd.target)].revert(cmd),
        );
      });
    },
    onControl(control: ControlRecord, out) {
      const decisions: Decision[] = [];
      let refused: string | undefined;
      for (const s of shards) {
        const r = s.onControl(control, deps);
        refused = r.refused;
        appendAll(decisions, r.decisions);
      }
      arbiter.onControl(control, deps);
      appendAll(out.decisions, sortDecisions(decisions));
      return refused;
    },
    state: (): StageState => ({
      engine: mergeShardStates(
        setup,
        plan,
        shards.map((s) => s.state()),
        arbiter.state(),
      ),
      verifier: vstate,
    }),
    restore(s) {
      if ('engine' in s) load(s.engine, s.verifier);
      else load(s, null);
    },
  };
}
