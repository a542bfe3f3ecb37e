/**
 * The Policy interface. A policy is a pure state machine over closed windows: given its
 * state, the final signals of one window end and the event time, it returns its next
 * state and the actions it proposes. It never issues anything itself — proposals go
 * through the guardrails and the mode before they become commands.
 */
import type { CommandFamily, CommandParams, CommandType, Evidence, Mode } from '../model/command';
import type { WindowSignal } from '../model/signal';

/**
 * `set` tightens or starts an intervention, `relax` loosens one (a `.set` with milder
 * parameters), `revert` ends it. Only `set` is subject to budgets (cooldown, rate limit,
 * blast radius, …); reducing intervention is always allowed unless killed or paused.
 */
export type ProposalKind = 'set' | 'relax' | 'revert';

export interface Proposal {
  target: string;
  /** `.set` for set/relax, `.revert` for revert. */
  type: CommandType;
  kind: ProposalKind;
  /** Complete parameters (null where unused); all null for a revert. */
  params: CommandParams;
  /** Higher is more urgent: when a budget is scarce, higher severity acts first (ties: target name). */
  severity: number;
  /** Consecutive windows the triggering condition has held (the min_windows guardrail checks it). */
  streak: number;
  reason: string;
  evidence: Evidence[];
  windowStart: number;
  windowEnd: number;
}

/** A lease in force as a policy sees it: what it has applied (or, in shadow, would have). */
export interface LeaseView {
  target: string;
  family: CommandFamily;
  type: CommandType;
  params: CommandParams;
  mode: Mode;
  issuedAt: number;
  expiresAt: number;
  /** Event time the parameters last changed (set or relax). */
  changedAt: number;
  /** Event time of the last tightening set. */
  setAt: number;
}

/**
 * Read-only view of this policy's leases in force. A proposal that a guardrail blocked
 * never shows here, and a lease that lapsed disappears — so a policy that derives "what is
 * applied now" from the view stays true to what executors actually have.
 */
export interface PolicyView {
  lease(target: string, family: CommandFamily): LeaseView | null;
  leases(): LeaseView[];
  /**
   * The window length of this evaluation, ms, from every final of the window (not only the
   * ones the policy reads), so that a policy forgets idle targets on the same horizon
   * however the finals were split (src/pipeline/sharded-decide.ts). Absent in hand-made views.
   */
  readonly windowMs?: number;
}

export interface PolicyResult<S> {
  state: S;
  proposals: Proposal[];
  /**
   * Targets the policy evaluated in this window. Leases are renewed only for observed
   * targets (a target that went silent lets its lease lapse: fail safe), and they are the
   * base of the blast-radius fraction. When omitted, every lease of the policy is renewed
   * and the proposals' targets count as observed.
   */
  observed?: string[];
}

/**
 * A policy's state as a working copy the engine owns and lets the policy change in place: the
 * faster path of the built-in per-target policies, whose state is a table with a key per
 * target (a million at a million series) that `evaluate` must rebuild every window. The engine
 * uses it only on a state nobody else holds (a decision stage's own), opens the working copy
 * once, steps it every window and closes it — a plain state, a copy — only when a snapshot is
 * asked for. A custom policy never needs one: without it the engine calls `evaluate`.
 *
 * The rule a policy that offers it keeps: from any state, `step` makes the proposals and
 * observed targets `evaluate` makes, and `close` after it gives `evaluate`'s state, key for key
 * and in the same order; `step` changes the working copy only once nothing can throw (a
 * failed evaluation keeps the state), and `close` shares nothing that a later `step` changes.
 */
export interface PolicyDraft<S, W> {
  open(state: S): W;
  step(work: W, signals: readonly WindowSignal[], eventTime: number, view: PolicyView): Omit<PolicyResult<S>, 'state'>;
  close(work: W): S;
}

/**
 * State must be plain JSON-like data (it is checkpointed with the engine) and must not be
 * mutated: return a new object.
 */
export interface Policy<S = unknown, W = unknown> {
  readonly name: string;
  readonly version: string;
  init(): S;
  evaluate(state: S, signals: readonly WindowSignal[], eventTime: number, view: PolicyView): PolicyResult<S>;
  /**
   * Declared by a policy whose decisions about a target depend only on that target's own
   * signals, state and leases: `targetOf` names the target a final signal belongs to (null:
   * the policy ignores it), and the state must be `{ targets: Record<target, …> }`. Such a
   * policy can be split by target over the shards of a sharded decision stage; a policy
   * without it (a custom module, watermark-quota's one cluster) runs whole in one shard.
   */
  readonly perTarget?: { targetOf(signal: WindowSignal): string | null };
  /** The in-place path (PolicyDraft); built-in per-target policies only. */
  readonly draft?: PolicyDraft<S, W>;
}

/** A policy ready for the engine: the Policy plus the operational settings from its config. */
export interface ConfiguredPolicy {
  name: string;
  version: string;
  type: string;
  /** Mode from the config (default shadow); the engine's override and the control plane may change it. */
  mode: Mode;
  /**
   * The highest mode a control record may set for this policy; unset: its configured mode,
   * so the control topic can lower a policy and restore it, never raise it past its config.
   */
  maxControlMode?: Mode;
  /** Fraction of targets enforced in canary mode. */
  canaryFraction: number;
  /** Per-policy guardrail overrides (validated by the engine against the global section). */
  guardrails: Record<string, unknown>;
  policy: Policy<unknown>;
}
