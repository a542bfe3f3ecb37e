/**
 * An audit record of one policy evaluation that matters (schemas/decision.avsc,
 * published to `homeostat.decisions`, Kafka key = target). Every command has exactly one
 * decision naming it; a blocked action is a decision naming the guardrail.
 */
import type { Evidence, Mode } from './command';

/**
 * - `acted`: a set/relax command was issued (enforce mode, or a canary's treatment group);
 * - `renewed`: a lease was renewed (same parameters, new window);
 * - `reverted`: a revert command was issued, or a lease lapsed un-renewed (commandId null);
 * - `shadowed`: shadow mode — the command was produced with mode `shadow` and not enforced;
 * - `control`: canary mode and the target is in the control group (command mode `shadow`);
 * - `blocked`: a guardrail stopped the action (`guardrail` names it);
 * - `escalated`: homeostat gave up acting on the target and asks a human (circuit breaker,
 *   or a policy that failed).
 */
export type DecisionKind = 'acted' | 'blocked' | 'shadowed' | 'escalated' | 'reverted' | 'control' | 'renewed';

export interface Decision {
  /** Deterministic: hex sha256 of the other identifying fields, 32 chars. */
  id: string;
  policy: string;
  policyVersion: string;
  target: string;
  kind: DecisionKind;
  /** The guardrail that blocked or escalated, null otherwise. */
  guardrail: string | null;
  /** The command issued, or that would have been issued, null if none. */
  commandId: string | null;
  /** Type of that command (e.g. `quota.set`), null if none. */
  actionType: string | null;
  /** The policy's mode at the time (a canary's control group shows `canary` with kind `control`). */
  mode: Mode;
  reason: string;
  evidence: Evidence[];
  windowStart: number;
  windowEnd: number;
  /** Event time of the decision (the watermark that closed the window), epoch ms. */
  eventTime: number;
}
