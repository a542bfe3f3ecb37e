/**
 * A policy that can act for real (canary or enforce) must say how its blast-radius cap counts
 * the fleet. Counted from telemetry, the cap is fraction × the targets observed, and any
 * producer that invents sources raises it: a thousand fake workers let a wrong policy act on
 * a hundred real ones. So `homeostat run` refuses such a policy unless its
 * `guardrails.blastRadius.fleetSize` is a number (the operator's count) or the explicit
 * `observed` (the operator accepts a telemetry-counted fleet). A policy counts as acting when
 * its mode, `mode` / `--mode`, or the `maxControlMode` the control topic may raise it to is
 * canary or enforce. Shadow policies act on nothing and are not checked; replays, reports and the simulator never act on a real
 * target, so only the processor's start applies this (docs/security.md).
 */
import { z } from 'zod';
import { ConfigError } from '../errors';
import type { HomeostatConfig } from './homeostat-config';

const modeSchema = z.enum(['shadow', 'canary', 'enforce']);
type Mode = z.infer<typeof modeSchema>;

/** `guardrails.blastRadius.fleetSize` of a guardrails section, whatever else it holds (the guardrails module validates it). */
const fleetSizeOf = z
  .unknown()
  .transform(
    (g) => z.object({ blastRadius: z.object({ fleetSize: z.unknown() }) }).safeParse(g).data?.blastRadius.fleetSize,
  );

/** Just what the check reads of a policy; the policies module validates the rest. */
const policyShape = z.object({
  name: z.string().optional(),
  mode: modeSchema.optional(),
  maxControlMode: modeSchema.optional(),
  guardrails: fleetSizeOf,
});

const RANK = { shadow: 0, canary: 1, enforce: 2 } as const;

/** The highest mode a policy can run in: `mode` / `--mode` wins over all; else the control topic may raise it to its maxControlMode. */
function highestMode(override: Mode | undefined, p: z.infer<typeof policyShape>): Mode {
  if (override !== undefined) return override;
  const own = p.mode ?? 'shadow';
  const ceiling = p.maxControlMode ?? own;
  return RANK[ceiling] > RANK[own] ? ceiling : own;
}

const fleetConfigSchema = z
  .object({ mode: modeSchema.optional(), guardrails: fleetSizeOf, policies: z.array(z.unknown()) })
  .superRefine((c, ctx) => {
    c.policies.forEach((raw, i) => {
      const p = policyShape.safeParse(raw);
      if (!p.success) return; // the policies module names what is wrong with it
      const mode = highestMode(c.mode, p.data);
      if (mode === 'shadow' || (p.data.guardrails ?? c.guardrails) !== undefined) return;
      const name = p.data.name ?? `#${i}`;
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['policies', i, 'guardrails', 'blastRadius', 'fleetSize'],
        message:
          `got nothing: policy ${name} can run in ${mode} mode with a blast-radius cap counted from observed targets, ` +
          'which any telemetry producer can inflate; set fleetSize to the number of targets it may act on ' +
          '(here or in the top-level guardrails.blastRadius), or to "observed" to accept a telemetry-counted fleet ' +
          '(docs/security.md)',
      });
    });
  });

/** Throws a ConfigError naming each policy in canary or enforce mode that has no fleet size and no explicit `observed`. */
export function requireFleetSizes(config: Pick<HomeostatConfig, 'mode' | 'guardrails' | 'policies'>): void {
  const result = fleetConfigSchema.safeParse(config);
  if (result.success) return;
  throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
}
