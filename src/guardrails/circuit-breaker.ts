/**
 * Circuit breaker per target (after Nygard, "Release It!", 2007): after K tightening
 * actions on a target with no recovery in between (a relax, a revert or a lapsed lease),
 * acting is evidently not helping — stop tightening it and escalate to a human with an
 * `escalated` decision. The intervention already in force is still held (renewed); it is
 * reduced or lapses by the normal paths, which also close the breaker again.
 */
import type { Guardrail, GuardPatch, GuardState } from './types';
import { applyPatch, PASS, targetKey } from './types';

export const circuitBreaker: Guardrail = {
  name: 'circuit_breaker',
  check: (state, c, ctx) => {
    if (c.action !== 'set') return PASS;
    const entry = state.breakers[ctx.targetKey];
    const k = ctx.config.circuitBreaker.maxActionsWithoutRecovery;
    if (entry === undefined || entry.actions < k) return PASS;
    return entry.tripped
      ? {
          ok: false,
          reason: `circuit open: ${entry.actions} actions without recovery; waiting for a human or a recovery`,
        }
      : {
          ok: false,
          escalate: true,
          reason: `${entry.actions} actions on ${c.target} without recovery (limit ${k}): stop acting and escalate to a human`,
        };
  },
  commit: (state, c, ctx) => {
    if (c.action === 'renew') return null;
    const key = ctx.targetKey;
    if (c.action === 'set') {
      const prev = state.breakers[key];
      return { breakers: { [key]: { actions: (prev?.actions ?? 0) + 1, tripped: prev?.tripped ?? false } } };
    }
    return { breakers: { [key]: null } };
  },
  onBlocked: (state, _c, ctx) => {
    const key = ctx.targetKey;
    const prev = state.breakers[key];
    if (prev === undefined || prev.tripped) return null;
    return { breakers: { [key]: { ...prev, tripped: true } } };
  },
};

/** The patch that closes the breaker of a target (a recovery: relax, revert or lapse). */
export function breakerReset(policy: string, target: string): GuardPatch {
  return { breakers: { [targetKey(policy, target)]: null } };
}

/** The state with the breaker of a target closed. */
export function resetBreaker(state: GuardState, policy: string, target: string): GuardState {
  if (!(targetKey(policy, target) in state.breakers)) return state;
  return applyPatch(state, breakerReset(policy, target));
}
