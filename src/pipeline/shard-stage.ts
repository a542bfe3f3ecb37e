/**
 * One decision shard of a sharded stage two (docs/scale-out.md, "Stage two split by
 * target"): the per-target half of the decision engine's window (src/policies/engine.ts)
 * for the targets whose key the shard owns. Per window it lapses its leases, evaluates its
 * policies on its finals and hands the arbiter (arbiter.ts) its candidates, each with the
 * guardrail memory and leases of the candidate's (policy, target) — all that the chain
 * reads about the target — plus its counts (targets known, leases in force). The arbiter's
 * settlement then writes back what the candidates became, so the shard's state is the
 * single engine's state restricted to its targets.
 */
import { applyCommand, leaseKey, type Lease } from '../actions/leases';
import type { Command } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { ControlRecord } from '../guardrails/control';
import { draftOf, targetKey, type BreakerEntry, type GuardDraft } from '../guardrails/types';
import {
  evaluatePolicy,
  lapseLeases,
  type Entry,
  type Evaluated,
  type PendingCandidate,
  type Round,
  type Setup,
} from '../policies/engine';
import { controlEngine, type ControlDeps } from '../policies/engine-control';
import type { ControlOutput, DecisionEngineState } from '../policies/engine-types';

/** The window every shard and the arbiter decide: its event time, length and span (from all of its finals). */
export interface WindowFrame {
  eventTime: number;
  windowMs: number;
  batch: { windowStart: number; windowEnd: number };
}

/** A candidate with what the guardrail chain reads about its (policy, target), as the shard holds it. */
export interface ShardCandidate {
  pc: PendingCandidate;
  lastChange: number | undefined;
  breaker: BreakerEntry | undefined;
  /** Every lease of the candidate's (policy, target), all families. */
  leases: readonly Lease[];
}

/** Leases in force in a shard after the lapse: the arbiter sums them over shards. */
export interface LeaseTotals {
  total: number;
  perPolicy: Map<string, number>;
  /** Policy → distinct targets under lease (disjoint over shards: a target has one owner). */
  targets: Map<string, number>;
}

export interface ShardWindow {
  /** The shard's own decisions: lapses and policy errors. */
  decisions: Decision[];
  candidates: ShardCandidate[];
  /** Policy → targets it knows in this shard (proposed, leased or observed): the blast-radius base. */
  known: Map<string, number>;
  leases: LeaseTotals;
}

/** What the arbiter decided for a shard's candidates: the new values of their slices (null: removed). */
export interface Settlement {
  lastChange: Map<string, number | null>;
  breakers: Map<string, BreakerEntry | null>;
  leases: Map<string, Lease | null>;
}

export interface DecisionShard {
  /** Evaluates the window on the finals `finalsOf` routes to this shard for each policy it runs. */
  onWindow(frame: WindowFrame, finalsOf: (entry: Entry) => readonly WindowSignal[]): ShardWindow;
  /** Applies the arbiter's settlement of the last window's candidates. */
  settle(s: Settlement): void;
  /** A window the engine skipped (no window length known yet): only the event time moves. */
  skip(eventTime: number): void;
  onControl(control: ControlRecord, deps: ControlDeps): ControlOutput;
  /** An automatic revert of a lease this shard holds. */
  revert(cmd: Command): void;
  state(): DecisionEngineState;
  restore(state: DecisionEngineState): void;
}

/** The leases grouped by (policy, target) for the candidates' targets, and the shard's totals. */
function indexLeases(leases: Record<string, Lease>, wanted: ReadonlySet<string>) {
  const totals: LeaseTotals = { total: 0, perPolicy: new Map(), targets: new Map() };
  const byTarget = new Map<string, Lease[]>();
  const seen = new Set<string>();
  for (const l of Object.values(leases)) {
    const tk = targetKey(l.policy, l.target);
    totals.total++;
    totals.perPolicy.set(l.policy, (totals.perPolicy.get(l.policy) ?? 0) + 1);
    if (!seen.has(tk)) {
      seen.add(tk);
      totals.targets.set(l.policy, (totals.targets.get(l.policy) ?? 0) + 1);
    }
    if (!wanted.has(tk)) continue;
    const list = byTarget.get(tk);
    if (list) list.push(l);
    else byTarget.set(tk, [l]);
  }
  return { totals, byTarget };
}

export function createDecisionShard(
  setup: Setup,
  runs: (entry: Entry) => boolean,
  init: DecisionEngineState,
): DecisionShard {
  let state = init;
  // The window's drafts, owned by this shard until the next window: the settlement patches them.
  let guard: GuardDraft = draftOf(state.guard);
  let leases: Record<string, Lease> = { ...state.leases };

  return {
    onWindow(frame, finalsOf) {
      const r: Round = {
        state,
        eventTime: frame.eventTime,
        windowMs: frame.windowMs,
        batch: frame.batch,
        guard: draftOf(state.guard),
        leases: { ...state.leases },
        decisions: [],
        commands: [],
      };
      lapseLeases(setup, r);
      const ev: Evaluated = { policyStates: {}, pending: [], known: new Map() };
      for (const entry of setup.entries) if (runs(entry)) evaluatePolicy(setup, r, finalsOf(entry), entry, ev);
      const wanted = new Set(ev.pending.map((pc) => targetKey(pc.cand.policy, pc.cand.target)));
      const { totals, byTarget } = indexLeases(r.leases, wanted);
      const candidates = ev.pending.map((pc): ShardCandidate => {
        const tk = targetKey(pc.cand.policy, pc.cand.target);
        return {
          pc,
          lastChange: r.guard.lastChange[tk],
          breaker: r.guard.breakers[tk],
          leases: byTarget.get(tk) ?? [],
        };
      });
      guard = r.guard;
      leases = r.leases;
      state = { windowMs: frame.windowMs, lastEventTime: frame.eventTime, policies: ev.policyStates, guard, leases };
      return { decisions: r.decisions, candidates, known: ev.known, leases: totals };
    },
    settle(s) {
      for (const [tk, v] of s.lastChange) {
        if (v === null) delete guard.lastChange[tk];
        else guard.lastChange[tk] = v;
      }
      for (const [tk, v] of s.breakers) {
        if (v === null) delete guard.breakers[tk];
        else guard.breakers[tk] = v;
      }
      for (const [key, l] of s.leases) {
        if (l === null) delete leases[key];
        else leases[key] = l;
      }
    },
    skip(eventTime) {
      state = { ...state, lastEventTime: eventTime };
    },
    onControl(control, deps) {
      const out = controlEngine(state, control, deps);
      state = out.state;
      return out;
    },
    revert(cmd) {
      state = { ...state, leases: applyCommand(state.leases, cmd, 'revert') };
    },
    state: () => state,
    restore(s) {
      state = s;
    },
  };
}

/** The lease key of a candidate, as the settlement names it. */
export function candidateLeaseKey(c: ShardCandidate): string {
  return leaseKey(c.pc.cand.policy, c.pc.cand.target, c.pc.cand.family);
}
