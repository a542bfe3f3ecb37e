/**
 * One decision shard of a sharded stage two (docs/scale-out.md, "Stage two split by
 * target"): the per-target half of the decision engine's window (src/policies/engine.ts)
 * for the targets whose key the shard owns. Per window it lapses its leases, evaluates its
 * policies on its finals and hands the arbiter (arbiter.ts) its candidates, each with the
 * guardrail memory and leases of the candidate's (policy, target) — all that the chain
 * reads about the target — plus its counts (targets known, leases in force). The arbiter's
 * settlement then brings the candidates' verdicts: the shard builds, hashes and signs their
 * commands and decisions and updates its leases, so its state is the single engine's state
 * restricted to its targets, and its records are the engine's for those targets.
 */
import { applyCommand, leaseAfter, leaseKey, type Lease } from '../actions/leases';
import type { Command } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { ControlRecord } from '../guardrails/control';
import { draftOf, targetKey, type BreakerEntry, type GuardDraft } from '../guardrails/types';
import {
  evaluatePolicy,
  lapseLeases,
  materialiseDrafts,
  type Entry,
  type Evaluated,
  type PendingCandidate,
  type Round,
  type Setup,
} from '../policies/engine';
import { controlEngine, type ControlDeps } from '../policies/engine-control';
import { sortCommands, sortDecisions } from '../policies/engine-support';
import type { ControlOutput, DecisionEngineState, PolicyDrafts } from '../policies/engine-types';
import { buildVerdict, type BuildFrame, type CandidateVerdict } from '../policies/verdict';

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
  /**
   * Every lease of the candidate's (policy, target), all families: the arbiter reads only which
   * exist (their keys), so what crosses to it is their families (split-protocol.ts).
   */
  leases: readonly LeaseRef[];
}

/** What the arbiter reads of a lease: its key. */
export type LeaseRef = Pick<Lease, 'policy' | 'target' | 'family'>;

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

/** What the arbiter decided for a shard's candidates: the new values of their slices (null: removed) and the verdicts. */
export interface Settlement {
  lastChange: Map<string, number | null>;
  breakers: Map<string, BreakerEntry | null>;
  /** In the order the arbiter judged them (candidateOrder); index: into the shard's last window's candidates. */
  verdicts: { index: number; verdict: CandidateVerdict }[];
}

/** What a shard built from its verdicts: its commands and decisions, unsorted (mergeBuilt sorts). */
export interface Built {
  commands: Command[];
  decisions: Decision[];
}

export interface DecisionShard {
  /** Evaluates the window on the finals `finalsOf` routes to this shard for each policy it runs. */
  onWindow(frame: WindowFrame, finalsOf: (entry: Entry) => readonly WindowSignal[]): ShardWindow;
  /** Applies the arbiter's settlement of the last window's candidates: builds, hashes and signs what they became. */
  settle(s: Settlement): Built;
  /**
   * `settle` for a shard whose window's candidates crossed a process boundary (split-shard.ts):
   * the candidates as reported (a shard restored since holds none of its own) and the state as
   * it is now — a control record applied since the report is kept, as in applying it after.
   */
  settleOn(frame: BuildFrame, candidates: readonly ShardCandidate[], s: Settlement): Built;
  /** A window the engine skipped (no window length known yet): only the event time moves. */
  skip(eventTime: number): void;
  onControl(control: ControlRecord, deps: ControlDeps): ControlOutput;
  /** An automatic revert of a lease this shard holds. */
  revert(cmd: Command): void;
  state(): DecisionEngineState;
  restore(state: DecisionEngineState): void;
}

/** The candidates' last change and breaker as the arbiter left them (null: removed). */
function applySlices(guard: GuardDraft, s: Pick<Settlement, 'lastChange' | 'breakers'>): void {
  for (const [tk, v] of s.lastChange) {
    if (v === null) delete guard.lastChange[tk];
    else guard.lastChange[tk] = v;
  }
  for (const [tk, v] of s.breakers) {
    if (v === null) delete guard.breakers[tk];
    else guard.breakers[tk] = v;
  }
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
  let last: { frame: BuildFrame; candidates: readonly ShardCandidate[] } | null = null;
  // The policies' working copies, stepped in place window after window as the single stage does (decide.ts);
  // `state.policies` is brought up to date only when state() is asked for.
  const drafts: PolicyDrafts = new Map();
  let stale = false;

  return {
    onWindow(frame, finalsOf) {
      const r: Round = {
        state,
        eventTime: frame.eventTime,
        windowMs: frame.windowMs,
        batch: frame.batch,
        guard: draftOf(state.guard),
        leases: { ...state.leases },
        drafts,
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
      last = { frame: { eventTime: frame.eventTime, windowMs: frame.windowMs, signing: setup.signing }, candidates };
      state = { windowMs: frame.windowMs, lastEventTime: frame.eventTime, policies: ev.policyStates, guard, leases };
      stale = true;
      return { decisions: r.decisions, candidates, known: ev.known, leases: totals };
    },
    settle(s) {
      applySlices(guard, s);
      if (last === null) return { commands: [], decisions: [] };
      const { built, leases: changed } = buildFromVerdicts(last.frame, last.candidates, s.verdicts, (k) => leases[k]);
      for (const [key, lease] of changed) {
        if (lease === null) delete leases[key];
        else leases[key] = lease;
      }
      return built;
    },
    settleOn(frame, candidates, s) {
      const { built, leases: changed } = buildFromVerdicts(frame, candidates, s.verdicts, (k) => state.leases[k]);
      // Copies, not the window's drafts: a shard restored between its window and this settlement holds none.
      const g = draftOf(state.guard);
      applySlices(g, s);
      const l = { ...state.leases };
      for (const [key, lease] of changed) {
        if (lease === null) delete l[key];
        else l[key] = lease;
      }
      state = { ...state, guard: g, leases: l };
      guard = g;
      leases = l;
      last = null;
      return built;
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
    state() {
      // Materialised once per change: a caller holding what this returned never sees a later window change it.
      if (stale) state = materialiseDrafts(setup, state, drafts);
      stale = false;
      return state;
    },
    restore(s) {
      drafts.clear();
      stale = false;
      state = s;
    },
  };
}

/**
 * The records a shard's verdicts make, in the order judged, and the leases they leave: each
 * passed command renews, sets or removes its (policy, target, family) lease. `leaseOf` reads
 * the leases in force before the verdicts (after the window's lapse). Shared by the shard of the
 * in-process stage (settle) and the shard of the split over processes (settleOn), so that both
 * build the same records and leave the same leases.
 */
export function buildFromVerdicts(
  frame: BuildFrame,
  candidates: readonly ShardCandidate[],
  verdicts: Settlement['verdicts'],
  leaseOf: (key: string) => Lease | undefined,
): { built: Built; leases: Map<string, Lease | null> } {
  const built: Built = { commands: [], decisions: [] };
  const leases = new Map<string, Lease | null>();
  for (const { index, verdict } of verdicts) {
    const { entry, cand } = candidates[index].pc;
    const { command, decision } = buildVerdict(frame, entry, cand, verdict);
    built.decisions.push(decision);
    if (command === null || !verdict.ok) continue;
    built.commands.push(command);
    const key = leaseKey(entry.cp.name, cand.target, cand.family);
    const prev = leases.has(key) ? (leases.get(key) ?? undefined) : leaseOf(key);
    leases.set(key, leaseAfter(prev, command, verdict.candidate.action));
  }
  return { built, leases };
}

/**
 * The window's commands and decisions from every shard's, in the single engine's order:
 * sortCommands and sortDecisions are total up to records with equal keys and ids, and those
 * come from one target, so from one shard in the order it built them — as the engine's.
 */
export function mergeBuilt(parts: readonly Built[]): Built {
  const commands: Command[] = [];
  const decisions: Decision[] = [];
  for (const p of parts) {
    for (const c of p.commands) commands.push(c);
    for (const d of p.decisions) decisions.push(d);
  }
  return { commands: sortCommands(commands), decisions: sortDecisions(decisions) };
}
