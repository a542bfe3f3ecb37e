/**
 * Per-target cooldown in event time: after any change to a target (set, relax or
 * revert), wait `cooldownWindows` windows before tightening it again, so that the effect
 * of the last action can show in the signals before the next one is decided — the same
 * reason autoscalers have cooldowns (AWS EC2 Auto Scaling's default cooldown,
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scaling-cooldowns.html).
 * Reductions are never held back: they only ever make the system more like its default.
 */
import type { Guardrail } from './types';
import { PASS } from './types';

/**
 * Removes from `lastChange` (a draft the caller owns) every entry whose cooldown is over at
 * `eventTime` for the longest cooldown of any policy: such an entry can no longer hold
 * anything back, and kept for ever it would grow the policies' snapshot by one entry per
 * target ever touched (past the state topic's record limit at the default lease cap).
 */
export function pruneCooldowns(lastChange: Record<string, number>, eventTime: number, longestCooldownMs: number): void {
  for (const [k, last] of Object.entries(lastChange)) if (eventTime >= last + longestCooldownMs) delete lastChange[k];
}

export const cooldown: Guardrail = {
  name: 'cooldown',
  check: (state, c, ctx) => {
    if (c.action !== 'set') return PASS;
    const last = state.lastChange[ctx.targetKey];
    if (last === undefined) return PASS;
    const waitMs = ctx.config.cooldownWindows * ctx.windowMs;
    const readyAt = last + waitMs;
    if (ctx.eventTime >= readyAt) return PASS;
    return {
      ok: false,
      reason: `last change at ${last}; cooling down until ${readyAt} (${ctx.config.cooldownWindows} windows)`,
    };
  },
  commit: (_state, c, ctx) => (c.action === 'renew' ? null : { lastChange: { [ctx.targetKey]: ctx.eventTime } }),
};
