/**
 * The state of a sharded decision stage as one engine state, and back: merged it is the
 * single engine's state (the snapshot a restart or a single stage can resume), split it
 * gives each shard its targets' part and the arbiter the control state and the buckets.
 * Per-target policies' states are `{ targets: … }` (Policy.perTarget), split by target.
 */
import { leaseKey, type Lease } from '../actions/leases';
import type { BreakerEntry } from '../guardrails/types';
import type { Entry, Setup } from '../policies/engine';
import type { DecisionEngineState } from '../policies/engine-types';
import { setOwn } from '../policies/target-table';
import type { ArbiterState } from './arbiter';

/** Where a policy's work and state live: its owner shard, or null when it is split by target. */
export interface ShardPlan {
  readonly shards: number;
  ownerOf(entry: Entry): number | null;
  /** The shard that holds `policy`'s state and leases about `target`. */
  shardOfTarget(policy: string, target: string): number;
}

interface TargetsState {
  targets: Record<string, unknown>;
}

function targetsOf(state: unknown): Record<string, unknown> {
  return (state as TargetsState | undefined)?.targets ?? {};
}

/** `policy\u001ftarget` → the policy (names cannot hold the separator) and the target. */
function splitTargetKey(key: string): [string, string] {
  const i = key.indexOf('\u001f');
  return [key.slice(0, i), key.slice(i + 1)];
}

export function mergeShardStates(
  setup: Setup,
  plan: ShardPlan,
  parts: readonly DecisionEngineState[],
  arbiter: ArbiterState,
): DecisionEngineState {
  const policies: Record<string, unknown> = {};
  for (const e of setup.entries) {
    const owner = plan.ownerOf(e);
    if (owner !== null) {
      if (e.cp.name in parts[owner].policies) policies[e.cp.name] = parts[owner].policies[e.cp.name];
      continue;
    }
    const targets: Record<string, unknown> = {};
    for (const p of parts) for (const [t, v] of Object.entries(targetsOf(p.policies[e.cp.name]))) setOwn(targets, t, v);
    policies[e.cp.name] = { targets };
  }
  const lastChange: Record<string, number> = {};
  const breakers: Record<string, BreakerEntry> = {};
  const leases: Record<string, Lease> = {};
  for (const p of parts) {
    Object.assign(lastChange, p.guard.lastChange);
    Object.assign(breakers, p.guard.breakers);
    Object.assign(leases, p.leases);
  }
  const first = parts[0];
  return {
    windowMs: first.windowMs,
    lastEventTime: first.lastEventTime,
    policies,
    guard: { control: arbiter.control, lastChange, breakers, buckets: arbiter.buckets },
    leases,
  };
}

export function splitShardState(
  setup: Setup,
  plan: ShardPlan,
  state: DecisionEngineState,
): { parts: DecisionEngineState[]; arbiter: ArbiterState } {
  const parts: DecisionEngineState[] = [];
  const lastChange: Record<string, number>[] = [];
  const breakers: Record<string, BreakerEntry>[] = [];
  const leases: Record<string, Lease>[] = [];
  const policies: Record<string, unknown>[] = [];
  for (let i = 0; i < plan.shards; i++) {
    lastChange.push({});
    breakers.push({});
    leases.push({});
    policies.push({});
  }
  for (const e of setup.entries) {
    const name = e.cp.name;
    const owner = plan.ownerOf(e);
    if (owner !== null) {
      if (name in state.policies) policies[owner][name] = state.policies[name];
      continue;
    }
    const split: Record<string, unknown>[] = policies.map(() => ({}));
    for (const [t, v] of Object.entries(targetsOf(state.policies[name])))
      setOwn(split[plan.shardOfTarget(name, t)], t, v);
    split.forEach((targets, i) => (policies[i][name] = { targets }));
  }
  for (const [k, v] of Object.entries(state.guard.lastChange))
    lastChange[plan.shardOfTarget(...splitTargetKey(k))][k] = v;
  for (const [k, v] of Object.entries(state.guard.breakers)) breakers[plan.shardOfTarget(...splitTargetKey(k))][k] = v;
  for (const l of Object.values(state.leases))
    leases[plan.shardOfTarget(l.policy, l.target)][leaseKey(l.policy, l.target, l.family)] = l;
  for (let i = 0; i < plan.shards; i++) {
    parts.push({
      windowMs: state.windowMs,
      lastEventTime: state.lastEventTime,
      policies: policies[i],
      // Each shard applies control records to a copy of its own (the exclusion table grows in place).
      guard: {
        control: structuredClone(state.guard.control),
        lastChange: lastChange[i],
        breakers: breakers[i],
        buckets: {},
      },
      leases: leases[i],
    });
  }
  return { parts, arbiter: { control: structuredClone(state.guard.control), buckets: state.guard.buckets } };
}
