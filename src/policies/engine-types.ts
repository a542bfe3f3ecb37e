/** Types of the decision engine (engine.ts), apart so that its helpers can share them. */
import type { LeaseTable } from '../actions/leases';
import type { SigningKey } from '../actions/signing';
import type { ControlLimits, ControlRecord } from '../guardrails/control';
import type { GuardState } from '../guardrails/types';
import type { Command, Mode } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { ConfiguredPolicy } from './types';

export interface DecisionEngineOptions {
  policies: readonly ConfiguredPolicy[];
  /** The global `guardrails:` section as a plain object (validated here); all defaults when omitted. */
  guardrails?: unknown;
  /** Overrides every policy's mode, the control plane's included (the CLI's --mode). */
  modeOverride?: Mode | null;
  /** Signs every command; null leaves keyId and signature ''. */
  signing: SigningKey | null;
  /** Bounds on the control state (config `control`); defaults when omitted. */
  control?: ControlLimits;
}

/** Plain data: serialisable with JSON, so it can be checkpointed and restored. */
export interface DecisionEngineState {
  /** Window length last observed, ms (converts window counts in configs to event time). */
  windowMs: number | null;
  lastEventTime: number | null;
  /** Policy name → that policy's state. */
  policies: Readonly<Record<string, unknown>>;
  guard: GuardState;
  leases: LeaseTable;
}

export interface WindowOutput {
  state: DecisionEngineState;
  commands: Command[];
  decisions: Decision[];
}

export interface ControlOutput {
  state: DecisionEngineState;
  decisions: Decision[];
  /** Why the record was not applied (stale, over a cap or a policy's ceiling); the state is then unchanged. */
  refused?: string;
}

/**
 * Working copies of the policies' states that a caller owns and lends the engine window after
 * window (onWindowInPlace): policy name → what its PolicyDraft opened. Empty at first.
 */
export type PolicyDrafts = Map<string, unknown>;

export interface DecisionEngine {
  readonly policies: readonly { name: string; version: string; type: string }[];
  init(): DecisionEngineState;
  onWindow(state: DecisionEngineState, signals: readonly WindowSignal[], eventTime: number): WindowOutput;
  /**
   * onWindow for a caller that owns its state and never hands it out without `materialise`: the
   * policies that offer a PolicyDraft step their working copy in `drafts` in place instead of
   * building a new state, and the returned state's `policies` keeps, for them, what they held when
   * last materialised (stale until then). Same commands and decisions as onWindow.
   */
  onWindowInPlace(
    state: DecisionEngineState,
    signals: readonly WindowSignal[],
    eventTime: number,
    drafts: PolicyDrafts,
  ): WindowOutput;
  /** The state with each drafted policy's working copy closed into plain data: new objects, the drafts go on. */
  materialise(state: DecisionEngineState, drafts: PolicyDrafts): DecisionEngineState;
  /**
   * Applies an operator's record. Use only the returned state afterwards: the exclusion
   * table is grown in place, not copied (a copy per record made 10,000 exclusions take
   * minutes), so the state passed in may already show the new exclusion.
   */
  onControl(state: DecisionEngineState, control: ControlRecord): ControlOutput;
  /** The effective mode of a policy: modeOverride, else the control plane's (capped at the policy's maxControlMode), else its config. */
  modeOf(state: DecisionEngineState, policy: string): Mode;
}
