/**
 * Config pieces every policy shares: name, type, mode, canary fraction, target selector
 * and guardrail overrides. The config loader (src/config/homeostat-config.ts) parses YAML
 * into plain objects; each policy type validates its own object with zod and gets a fully
 * defaulted config.
 */
import { z } from 'zod';
import { canonicalHash } from '../actions/hash';
import { guardrailsOverrideSchema } from '../guardrails/config';
import { DEFAULT_CANARY_FRACTION } from '../guardrails/modes';
import { selectorSchema } from './select';

export const POLICY_TYPES = ['adaptive-timeout', 'herd-control', 'watermark-quota', 'module'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export const policyNameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,62}$/,
    'use 1–63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

export const modeSchema = z.enum(['shadow', 'canary', 'enforce']);

/** Fields of every policy entry (spread into each type's object schema). */
export const baseFields = {
  name: policyNameSchema,
  /** Default shadow: a policy earns trust before it acts (docs/policies.md, "Modes"). */
  mode: modeSchema.default('shadow'),
  /** Highest mode a control record may set; unset: `mode` (docs/security.md). */
  maxControlMode: modeSchema.optional(),
  canary: z
    .object({
      fraction: z
        .number()
        .gt(0, 'must be above 0; use mode shadow for no enforcement')
        .max(1)
        .default(DEFAULT_CANARY_FRACTION),
    })
    .strict()
    .default({}),
  select: selectorSchema,
  guardrails: guardrailsOverrideSchema.default({}),
};

/**
 * The policy version: sha256 of the canonical JSON of the effective (defaulted) config,
 * 12 hex characters. `mode` and `canary` are left out on purpose: promoting a policy from
 * shadow to canary to enforce must not change its identity, or the track record it earned
 * in shadow would not carry over; `maxControlMode` likewise (it only bounds the mode).
 */
export function policyVersion(effective: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const { mode: _mode, canary: _canary, maxControlMode: _max, ...identity } = effective;
  return canonicalHash({ ...identity, ...extra }, 12);
}
