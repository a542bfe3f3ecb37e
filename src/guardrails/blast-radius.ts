/**
 * Blast-radius cap: at most `fraction` of a policy's fleet may be under its action at once,
 * and never fewer than `min` (so a fleet of three can still be helped). A wrong policy then
 * hurts a tenth of the fleet, not all of it; acting again on a target already under action
 * does not widen it. The fleet is `fleetSize` when the operator configures a number — one
 * no telemetry producer can change — else (`observed`, or unset in shadow mode) the targets
 * observed in this window or under lease, which fake sources can inflate; `homeostat run`
 * refuses an acting policy that has neither (src/config/fleet-size.ts).
 */
import type { Guardrail } from './types';
import { PASS } from './types';

export function blastRadiusLimit(knownTargets: number, fraction: number, min: number): number {
  return Math.max(min, Math.floor(fraction * knownTargets));
}

export const blastRadius: Guardrail = {
  name: 'blast_radius',
  check: (_state, c, ctx) => {
    if (c.action !== 'set' || ctx.targetUnderAction) return PASS;
    const { fraction, min, fleetSize } = ctx.config.blastRadius;
    const configured = typeof fleetSize === 'number';
    const limit = blastRadiusLimit(configured ? fleetSize : ctx.knownTargets, fraction, min);
    if (ctx.targetsUnderAction + 1 <= limit) return PASS;
    const counted = configured ? `a configured fleet of ${fleetSize}` : `${ctx.knownTargets} known targets`;
    return {
      ok: false,
      reason: `${ctx.targetsUnderAction} of ${counted} already under action; the cap is ${limit} (fraction ${fraction}, min ${min})`,
    };
  },
};
