/**
 * Guardrail configuration: one schema with every default documented (and justified in
 * docs/policies.md), a global section, and per-policy overrides of any per-policy key.
 * Time-like settings are counted in windows and converted to event-time milliseconds
 * with the observed window length, so defaults stay sensible whatever the window size.
 */
import { z } from 'zod';
import { parseConfig } from './validate';

const range = (min: number, max: number) =>
  z
    .object({ min: z.number().finite().default(min), max: z.number().finite().default(max) })
    .strict()
    .default({})
    .superRefine((r, ctx) => {
      if (r.min > r.max) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `min (${r.min}) is above max (${r.max}); swap them or widen the range`,
        });
      }
    });

const bucketSchema = (burst: number, perWindow: number) =>
  z
    .object({
      /** Tokens when full: how many actions may happen back to back. */
      burst: z.number().int().min(1).default(burst),
      /** Tokens added per window of event time (fractions accumulate). */
      perWindow: z.number().positive().default(perWindow),
    })
    .strict()
    .default({});

/** Guardrails that apply per policy (each policy may override any of these keys). */
export const policyGuardrailsSchema = z
  .object({
    /**
     * Floor on the consecutive windows a condition must hold before a tightening action,
     * whatever the policy says: 2 means a single-window blip never acts.
     */
    minConsecutiveWindows: z.number().int().min(1).default(2),
    /** Per target: windows to wait after any change before the next tightening. */
    cooldownWindows: z.number().min(0).default(2),
    /** Token bucket on tightening actions of this policy (event-time refill). */
    rateLimit: bucketSchema(10, 2),
    blastRadius: z
      .object({
        /** Largest fraction of the policy's known targets under action at once. */
        fraction: z.number().gt(0).max(1).default(0.1),
        /** …but always allow at least this many, so small fleets can be helped. */
        min: z.number().int().min(1).default(1),
        /**
         * The number of targets the policy may act on, as the operator knows it: the cap is then
         * fraction × fleetSize and telemetry cannot move it. `observed` (or unset, in shadow
         * mode) counts the targets observed in the window and those under lease, which any
         * telemetry producer can inflate with made-up sources; `homeostat run` refuses a policy
         * in canary or enforce mode without one or the other (docs/security.md).
         */
        fleetSize: z.union([z.number().int().min(1), z.literal('observed')]).optional(),
      })
      .strict()
      .default({}),
    bounds: z
      .object({
        /** `clamp` moves an out-of-range parameter to the bound (and says so); `block` refuses the action. */
        onViolation: z.enum(['clamp', 'block']).default('clamp'),
        timeoutMs: range(10, 600_000),
        retryBaseMs: range(1, 60_000),
        retryCapMs: range(1, 3_600_000),
        retryMaxAttempts: range(1, 10),
        retryBudgetRatio: range(0, 1),
        retryBudgetFloorPerSec: range(0, 1_000_000),
        quotaBytesPerSec: range(1024, Number.MAX_SAFE_INTEGER),
        quotaRequestsPerSec: range(1, Number.MAX_SAFE_INTEGER),
      })
      .strict()
      .default({}),
    circuitBreaker: z
      .object({
        /** Tightening actions on one target without a recovery (relax, revert, lapse) before escalating. */
        maxActionsWithoutRecovery: z.number().int().min(1).default(5),
      })
      .strict()
      .default({}),
    /** Cap on this policy's leases in force at once. */
    maxActiveLeases: z.number().int().min(1).default(1000),
    lease: z
      .object({
        /** Lease length in windows: expiresAt = issuedAt + windows × window length. */
        windows: z.number().int().min(2).default(3),
        /** Renew a held action when its lease has at most this many windows left. */
        renewBeforeWindows: z.number().int().min(1).default(1),
      })
      .strict()
      .default({})
      .superRefine((l, ctx) => {
        if (l.renewBeforeWindows >= l.windows) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['renewBeforeWindows'],
            message:
              `renewBeforeWindows (${l.renewBeforeWindows}) must be below lease.windows (${l.windows}), or every window renews; ` +
              `use ${l.windows - 1} or less`,
          });
        }
      }),
  })
  .strict();

export const globalGuardrailsSchema = z
  .object({
    /** Token bucket shared by every policy's tightening actions. */
    rateLimit: bucketSchema(50, 10),
    /** Cap on leases in force across all policies. */
    maxActiveLeases: z.number().int().min(1).default(10_000),
  })
  .strict()
  .default({});

export const guardrailsSchema = policyGuardrailsSchema.extend({ global: globalGuardrailsSchema });

export type PolicyGuardrails = z.infer<typeof policyGuardrailsSchema>;
export type GlobalGuardrails = z.infer<typeof globalGuardrailsSchema>;
export type GuardrailsConfig = z.infer<typeof guardrailsSchema>;

/** A deep-partial object of policy guardrail keys, as it appears under `policies[].guardrails`. */
export type GuardrailsOverride = { [K in keyof PolicyGuardrails]?: unknown };

/** Per-policy overrides: any per-policy key (not `global`); validated after merging. */
export const guardrailsOverrideSchema = z.record(z.string(), z.unknown()).superRefine((o, ctx) => {
  const allowed = Object.keys(policyGuardrailsSchema.shape);
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [k],
        message:
          `'${k}' is not a per-policy guardrail; use one of ` +
          `${allowed.join(', ')}${k === 'global' ? ' (global limits belong to the top-level guardrails section)' : ''}`,
      });
    }
  }
});

/** The fully defaulted global configuration (all defaults when called with {}). */
export function defaultGuardrails(): GuardrailsConfig {
  return guardrailsSchema.parse({});
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge of plain objects, override wins; arrays and scalars are replaced. */
export function mergeDeep(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = mergeDeep(out[k], v);
  return out;
}

/**
 * The effective guardrails of one policy: the global section's per-policy keys, deep-merged
 * with the policy's overrides and validated (errors name `policies.<name>.guardrails.<key>`).
 */
export function resolvePolicyGuardrails(
  global: GuardrailsConfig,
  override: GuardrailsOverride,
  policyName: string,
): PolicyGuardrails {
  const { global: _global, ...perPolicy } = global;
  return parseConfig(policyGuardrailsSchema, mergeDeep(perPolicy, override), `policies.${policyName}.guardrails`);
}

/** The fully defaulted, validated global guardrails from a plain object (the `guardrails:` YAML section). */
export function parseGuardrails(input: unknown): GuardrailsConfig {
  return parseConfig(guardrailsSchema, input ?? {}, 'guardrails');
}
