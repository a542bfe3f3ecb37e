/**
 * Blast-radius cap: at most `fraction` of a policy's known targets (those it observed in
 * this window or holds a lease on) may be under its action at once, and never fewer than
 * `min` (so a fleet of three can still be helped). A wrong policy then hurts a tenth of the
 * fleet, not all of it; acting again on a target already under action does not widen it.
 */
import type { Guardrail } from './types';

export function blastRadiusLimit(knownTargets: number, fraction: number, min: number): number {
  return Math.max(min, Math.floor(fraction * knownTargets));
}

export const blastRadius: Guardrail = {
  name: 'blast_radius',
  check: (_state, c, ctx) => {
    if (c.action !== 'set' || ctx.targetUnderAction) return { ok: true };
    const { fraction, min } = ctx.config.blastRadius;
    const limit = blastRadiusLimit(ctx.knownTargets, fraction, min);
    if (ctx.targetsUnderAction + 1 <= limit) return { ok: true };
    return {
      ok: false,
      reason: `${ctx.targetsUnderAction} of ${ctx.knownTargets} known targets already under action; the cap is ${limit} (fraction ${fraction}, min ${min})`,
    };
  },
};
