/**
 * Modes: shadow (decide, never enforce), canary (enforce on a deterministic fraction of
 * targets; the rest are the control group) and enforce. Applied after the guardrails,
 * which see every candidate the same way in every mode — so a shadow run predicts what
 * enforcing would do, blocked actions included.
 *
 * Canary membership is hash(policy name, target) < fraction: stable across restarts,
 * replays and policy versions (a target does not hop groups when a threshold is tuned),
 * and independent between policies.
 */
import { hashUnit } from '../actions/hash';
import type { Mode } from '../model/command';
import type { DecisionKind } from '../model/decision';
import type { CandidateAction } from './types';

/**
 * Default canary fraction: 10% — start small and compare against a control group, as in
 * the SRE Workbook's "Canarying Releases" (https://sre.google/workbook/canarying-releases/).
 */
export const DEFAULT_CANARY_FRACTION = 0.1;

export type CanaryGroup = 'canary' | 'control';

export function canaryGroup(policy: string, target: string, fraction: number): CanaryGroup {
  return hashUnit(`${policy}\u0000${target}`) < fraction ? 'canary' : 'control';
}

/** The mode written on the command: what an executor should do with it. */
export function commandMode(policyMode: Mode, group: CanaryGroup | null): Mode {
  if (policyMode === 'canary') return group === 'canary' ? 'canary' : 'shadow';
  return policyMode;
}

/** The decision kind for an action that passed the guardrails. */
export function decisionKind(policyMode: Mode, group: CanaryGroup | null, action: CandidateAction): DecisionKind {
  if (policyMode === 'shadow') return 'shadowed';
  if (policyMode === 'canary' && group !== 'canary') return 'control';
  if (action === 'revert') return 'reverted';
  if (action === 'renew') return 'renewed';
  return 'acted';
}
