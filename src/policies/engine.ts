/**
 * The pure decision pipeline: policies → guardrails → modes → signed commands, plus an
 * audit decision for everything that matters. No clock, no I/O, no randomness: the same
 * state, signals and event time give byte-identical commands and decisions.
 *
 *   onWindow: lapse expired leases → evaluate every policy (sorted by name) → candidates
 *             (proposals + renewals of held leases) → guardrail chain → mode → command.
 *   onControl: apply an operator record (kill, pause, mode, exclude, …) and record what it
 *             means for the leases in force.
 */
import { dueForRenewal, lapsedLeases, leaseAfter, leaseKey, leasesOf, type Lease } from '../actions/leases';
import { familyOf } from '../actions/params';
import { ConfigError } from '../errors';
import { breakerReset } from '../guardrails/circuit-breaker';
import { pruneCooldowns } from '../guardrails/cooldown';
import {
  parseGuardrails,
  resolvePolicyGuardrails,
  type GuardrailsConfig,
  type PolicyGuardrails,
} from '../guardrails/config';
import { controlMode, initialControlState, type ControlRecord } from '../guardrails/control';
import type { Candidate, GuardDraft } from '../guardrails/types';
import { draftOf, patchDraft, targetKey } from '../guardrails/types';
import type { Command, Mode } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import { controlCeiling, controlEngine, lowerMode } from './engine-control';
import {
  LeaseIndex,
  type LeaseCounts,
  candidateOrder,
  familyKey,
  leaseDecision,
  makeView,
  policyError,
  proposalProblem,
  renewal,
  sortCommands,
  sortDecisions,
} from './engine-support';
import type {
  ControlOutput,
  DecisionEngine,
  DecisionEngineOptions,
  DecisionEngineState,
  PolicyDrafts,
  WindowOutput,
} from './engine-types';
import { windowOf } from './streak';
import { buildVerdict, judgeCandidate, putLease } from './verdict';
import type { ConfiguredPolicy, Proposal } from './types';

export type {
  ControlOutput,
  DecisionEngine,
  DecisionEngineOptions,
  DecisionEngineState,
  PolicyDrafts,
  WindowOutput,
} from './engine-types';

export interface Entry {
  cp: ConfiguredPolicy;
  guard: PolicyGuardrails;
}

export interface PendingCandidate {
  entry: Entry;
  cand: Candidate;
}

/** What the engine resolved from its options once: the policies by name, the guardrails, the key. */
export interface Setup {
  readonly entries: readonly Entry[];
  readonly byName: ReadonlyMap<string, Entry>;
  readonly global: GuardrailsConfig;
  readonly longestCooldownWindows: number;
  readonly signing: DecisionEngineOptions['signing'];
  readonly modeOf: (state: DecisionEngineState, policy: string) => Mode;
}

/** One window's work in progress: the drafts onWindow owns and what it has decided so far. */
export interface Round {
  readonly state: DecisionEngineState;
  readonly eventTime: number;
  readonly windowMs: number;
  readonly batch: { windowStart: number; windowEnd: number };
  /** Drafts this call owns: copied once, patched in place (linear per window), never the caller's objects. */
  readonly guard: GuardDraft;
  readonly leases: Record<string, Lease>;
  /** The policies' working copies when the caller lent them (onWindowInPlace); absent: every policy's pure evaluate. */
  readonly drafts?: PolicyDrafts;
  readonly decisions: Decision[];
  readonly commands: Command[];
}

/** What evaluating the policies left for the guardrails: their new states, candidates and target counts. */
export interface Evaluated {
  readonly policyStates: Record<string, unknown>;
  readonly pending: PendingCandidate[];
  /** Targets each policy knows of (proposed, leased or observed), for the blast-radius guardrail. */
  readonly known: Map<string, number>;
}

/** Resolves the options: distinct policy names (else a ConfigError), sorted, each with its guardrails. */
export function setupOf(opts: DecisionEngineOptions): Setup {
  const global: GuardrailsConfig = parseGuardrails(opts.guardrails ?? {});
  const names = new Set<string>();
  const issues: string[] = [];
  for (const p of opts.policies) {
    if (names.has(p.name)) issues.push(`policies: name '${p.name}' is used twice; give every policy a distinct name`);
    names.add(p.name);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const entries: Entry[] = [...opts.policies]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((cp) => ({ cp, guard: resolvePolicyGuardrails(global, cp.guardrails, cp.name) }));
  const byName = new Map(entries.map((e) => [e.cp.name, e]));
  const modeOverride = opts.modeOverride ?? null;
  const modeOf = (state: DecisionEngineState, policy: string): Mode => {
    if (modeOverride) return modeOverride;
    const cp = byName.get(policy)?.cp;
    const set = controlMode(state.guard.control, policy);
    // The control plane may lower a policy freely, raise it only up to its ceiling.
    if (set !== null) return cp ? lowerMode(set, controlCeiling(cp)) : set;
    return cp?.mode ?? 'shadow';
  };
  return {
    entries,
    byName,
    global,
    longestCooldownWindows: Math.max(0, ...entries.map((e) => e.guard.cooldownWindows)),
    signing: opts.signing,
    modeOf,
  };
}

/** The version of a configured policy ('' when it is no longer configured). */
function versionOf(setup: Setup, policy: string): string {
  return setup.byName.get(policy)?.cp.version ?? '';
}

/**
 * Step 1: leases that lapsed. The executor has reverted them by itself: record it, close the
 * breaker, and drop them from the round's leases; old cooldowns are pruned.
 */
export function lapseLeases(setup: Setup, r: Round): void {
  const { state, eventTime } = r;
  const lapsed = lapsedLeases(state.leases, eventTime);
  for (const l of lapsed) {
    const policyMode = setup.modeOf(state, l.policy);
    const kind = l.mode === 'shadow' ? (policyMode === 'canary' ? 'control' : 'shadowed') : 'reverted';
    r.decisions.push(
      leaseDecision(
        l,
        kind,
        null,
        `lease expired at ${l.expiresAt} without renewal: the executor reverts (${l.type} ${l.commandId})`,
        versionOf(setup, l.policy),
        policyMode,
        eventTime,
        false,
      ),
    );
    patchDraft(r.guard, breakerReset(l.policy, l.target));
  }
  for (const l of lapsed) delete r.leases[leaseKey(l.policy, l.target, l.family)];
  pruneCooldowns(r.guard.lastChange, eventTime, setup.longestCooldownWindows * r.windowMs);
}

/**
 * Step 2: evaluates every configured policy, in name order, collecting proposals and renewals.
 * Only configured policies keep state: a policy removed from the config is forgotten (its leases lapse).
 */
function evaluatePolicies(setup: Setup, r: Round, finals: readonly WindowSignal[]): Evaluated {
  const out: Evaluated = { policyStates: {}, pending: [], known: new Map() };
  for (const entry of setup.entries) evaluatePolicy(setup, r, finals, entry, out);
  return out;
}

/** Evaluates one policy: a failure keeps its state and issues nothing; bad or repeated proposals are policy errors. */
export function evaluatePolicy(
  setup: Setup,
  r: Round,
  finals: readonly WindowSignal[],
  entry: Entry,
  out: Evaluated,
): void {
  const { state, eventTime, batch, decisions } = r;
  const { cp } = entry;
  const policyMode = setup.modeOf(state, cp.name);
  let result;
  const prev = cp.name in state.policies ? state.policies[cp.name] : cp.policy.init();
  out.policyStates[cp.name] = prev;
  try {
    result = runPolicy(cp, r, prev, finals);
  } catch (err) {
    decisions.push(
      policyError(
        cp,
        policyMode,
        `policy failed: ${(err as Error)?.message ?? String(err)}; its state is kept and nothing is issued`,
        batch,
        eventTime,
      ),
    );
    return;
  }
  out.policyStates[cp.name] = result.state;
  const proposed = new Set<string>();
  const targets = new Set<string>();
  for (const p of result.proposals) {
    const problem = proposalProblem(p);
    if (problem !== null) {
      decisions.push(policyError(cp, policyMode, `policy error: ${problem}`, batch, eventTime));
      continue;
    }
    const fk = familyKey(p.target, familyOf(p.type));
    if (proposed.has(fk)) {
      decisions.push(
        policyError(
          cp,
          policyMode,
          `policy error: two proposals for ${p.target} ${familyOf(p.type)} in one window; the first was kept`,
          batch,
          eventTime,
        ),
      );
      continue;
    }
    proposed.add(fk);
    targets.add(p.target);
    out.pending.push({ entry, cand: candidateOf(cp, p) });
  }
  const observed = result.observed ? new Set(result.observed) : null;
  const renewBeforeMs = entry.guard.lease.renewBeforeWindows * r.windowMs;
  for (const l of leasesOf(r.leases, cp.name)) {
    targets.add(l.target);
    if (proposed.has(familyKey(l.target, l.family))) continue;
    if (observed !== null && !observed.has(l.target)) continue; // silent target: let it lapse (fail safe)
    if (!dueForRenewal(l, eventTime, renewBeforeMs)) continue;
    out.pending.push({ entry, cand: renewal(l, batch) });
  }
  // |proposed ∪ leased ∪ observed| without copying the observed targets (every target read) into a second set.
  let known = observed === null ? targets.size : observed.size;
  if (observed !== null) for (const t of targets) if (!observed.has(t)) known++;
  out.known.set(cp.name, known);
}

/**
 * The policy's evaluation: on its working copy, changed in place, when the caller lent the drafts
 * and the policy offers one (the state then stays `prev`, stale until materialised), else pure.
 */
function runPolicy(cp: ConfiguredPolicy, r: Round, prev: unknown, finals: readonly WindowSignal[]) {
  const view = makeView(r.leases, cp.name, r.windowMs);
  const { drafts } = r;
  const draft = cp.policy.draft;
  if (drafts === undefined || draft === undefined) return cp.policy.evaluate(prev, finals, r.eventTime, view);
  let work = drafts.get(cp.name);
  if (work === undefined) {
    work = draft.open(prev);
    drafts.set(cp.name, work);
  }
  return { state: prev, ...draft.step(work, finals, r.eventTime, view) };
}

/** A valid proposal as a guardrail candidate (non-finite streak and severity read as 0). */
function candidateOf(cp: ConfiguredPolicy, p: Proposal): Candidate {
  return {
    policy: cp.name,
    target: p.target,
    family: familyOf(p.type),
    type: p.type,
    action: p.kind,
    params: p.params,
    streak: Number.isFinite(p.streak) ? p.streak : 0,
    severity: Number.isFinite(p.severity) ? p.severity : 0,
    reason: String(p.reason),
    evidence: p.evidence,
    windowStart: p.windowStart,
    windowEnd: p.windowEnd,
  };
}

/**
 * Step 3, one candidate: the guardrail chain and the mode (judgeCandidate), then what the
 * verdict builds (buildVerdict). A refusal is a blocked (or escalated) decision; a pass is
 * a command, its lease updated in the round and the index.
 */
export function guardCandidate(
  setup: Setup,
  r: Round,
  known: Map<string, number>,
  index: LeaseCounts,
  pc: PendingCandidate,
): void {
  const { entry, cand } = pc;
  const key = leaseKey(entry.cp.name, cand.target, cand.family);
  const facts = { targetKey: targetKey(cand.policy, cand.target), leaseExists: key in r.leases };
  const v = judgeCandidate(setup.modeOf, setup.global.global, r, known, index, entry, cand, facts);
  const built = buildVerdict({ eventTime: r.eventTime, windowMs: r.windowMs, signing: setup.signing }, entry, cand, v);
  if (built.command !== null && v.ok) {
    const lease = leaseAfter(r.leases[key], built.command, v.candidate.action);
    putLease(r.leases, index, key, entry.cp.name, v.candidate.target, lease);
    r.commands.push(built.command);
  }
  r.decisions.push(built.decision);
}

/** One window: lapse → evaluate → guardrails and modes → sorted commands and decisions. */
function onWindowOf(
  setup: Setup,
  state: DecisionEngineState,
  signals: readonly WindowSignal[],
  eventTime: number,
  drafts?: PolicyDrafts,
): WindowOutput {
  const finals = signals.filter((s) => !s.partial);
  let observedMs = 0;
  for (const s of finals) observedMs = Math.max(observedMs, s.windowEnd - s.windowStart);
  const windowMs = observedMs > 0 ? observedMs : state.windowMs;
  if (windowMs === null || windowMs <= 0)
    return { state: { ...state, lastEventTime: eventTime }, commands: [], decisions: [] };
  const batch = finals.length > 0 ? windowOf(finals) : { windowStart: eventTime - windowMs, windowEnd: eventTime };
  const r: Round = {
    state,
    eventTime,
    windowMs,
    batch,
    guard: draftOf(state.guard),
    leases: { ...state.leases },
    drafts,
    decisions: [],
    commands: [],
  };

  // 1. Leases that lapsed: the executor has reverted them by itself; record it and close the breaker.
  lapseLeases(setup, r);
  // 2. Evaluate the policies; collect proposals and renewals.
  const { policyStates, pending, known } = evaluatePolicies(setup, r, finals);
  // 3. Guardrails and modes, in a deterministic order.
  pending.sort((a, b) => candidateOrder(a.cand, b.cand));
  const index = new LeaseIndex(r.leases);
  for (const pc of pending) guardCandidate(setup, r, known, index, pc);

  return {
    state: { windowMs, lastEventTime: eventTime, policies: policyStates, guard: r.guard, leases: r.leases },
    commands: sortCommands(r.commands),
    decisions: sortDecisions(r.decisions),
  };
}

/**
 * The state with each drafted policy's working copy closed into plain data (PolicyDraft.close: new
 * objects); the drafts go on. What a holder of drafts (a decision stage, a shard) hands out as its state.
 */
export function materialiseDrafts(setup: Setup, state: DecisionEngineState, drafts: PolicyDrafts): DecisionEngineState {
  const policies: Record<string, unknown> = { ...state.policies };
  for (const e of setup.entries) {
    const work = drafts.get(e.cp.name);
    if (work !== undefined && e.cp.policy.draft !== undefined) policies[e.cp.name] = e.cp.policy.draft.close(work);
  }
  return { ...state, policies };
}

export function createDecisionEngine(opts: DecisionEngineOptions): DecisionEngine {
  const setup = setupOf(opts);
  const { entries, byName, modeOf } = setup;

  function init(): DecisionEngineState {
    const policies: Record<string, unknown> = {};
    for (const e of entries) policies[e.cp.name] = e.cp.policy.init();
    return {
      windowMs: null,
      lastEventTime: null,
      policies,
      guard: { control: initialControlState(), lastChange: {}, breakers: {}, buckets: {} },
      leases: {},
    };
  }

  function onWindow(state: DecisionEngineState, signals: readonly WindowSignal[], eventTime: number): WindowOutput {
    return onWindowOf(setup, state, signals, eventTime);
  }

  function onControl(state: DecisionEngineState, control: ControlRecord): ControlOutput {
    return controlEngine(state, control, { modeOf, policy: (name) => byName.get(name)?.cp, limits: opts.control });
  }

  return {
    policies: entries.map((e) => ({ name: e.cp.name, version: e.cp.version, type: e.cp.type })),
    init,
    onWindow,
    onWindowInPlace: (state, signals, eventTime, drafts) => onWindowOf(setup, state, signals, eventTime, drafts),
    materialise: (state, drafts) => materialiseDrafts(setup, state, drafts),
    onControl,
    modeOf,
  };
}
