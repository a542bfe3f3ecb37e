/**
 * Verification config: one zod schema with every default (justified in
 * docs/verification.md). The edge parses YAML into a plain object; `parseVerifierConfig`
 * validates it and returns a fully defaulted config, or throws a ConfigError whose lines
 * name the key, the value and the fix.
 */
import { z } from 'zod';
import { parseConfig } from '../guardrails/validate';
import type { CommandFamily } from '../model/command';

/** Statistics of a WindowSignal a probe can read (as src/policies/signals.ts). */
export const PROBE_STATS = ['mean', 'max', 'min', 'p50', 'p90', 'p99', 'p999', 'ratePerSec', 'sum', 'ewma'] as const;

/**
 * How a target's signals of one metric combine: `worst` = the largest (overload of any
 * series is overload of the target, as adaptive-timeout reads it); `total` = the sum, with
 * two-stage scope aggregates used alone when present (as herd-control and watermark-quota).
 */
export const COMBINES = ['worst', 'total'] as const;

/**
 * Which signals belong to a target: `source` = per-source series whose source is the
 * target (workers); `tag` = signals whose `tag` equals the target (tenants);
 * `tag-or-source` = the tag, else the series' source (services, as herd-control);
 * `global` = every signal, whatever the target (cluster-wide load).
 */
export const MATCHES = ['source', 'tag', 'tag-or-source', 'global'] as const;

const signalRefShape = {
  metric: z.string().min(1),
  stat: z.enum(PROBE_STATS),
  combine: z.enum(COMBINES).default('worst'),
  /** Only signals of this scope (`series`, `tenant`, …); null: any (with `total`'s preference for scope aggregates). */
  scope: z.string().min(1).nullable().default(null),
};

const signalRefSchema = z.object(signalRefShape).strict();

const probeSchema = z
  .object({
    /** The name in outcomes; a probe is "the trigger" when the command's evidence names it. */
    signal: z.string().min(1),
    ...signalRefShape,
    /** Denominator: a constant (e.g. a configured capacity) or another signal; null: none. */
    per: z.union([z.number().finite().positive(), signalRefSchema]).nullable().default(null),
    match: z.enum(MATCHES).default('source'),
    /** The tag for `tag` and `tag-or-source` matches. */
    tag: z.string().min(1).nullable().default(null),
    /**
     * Healthy when value <= healthyMax — used only when the command's evidence does not
     * carry this signal's threshold; null: healthy when `threshold` below the "before" value.
     */
    healthyMax: z.number().finite().nullable().default(null),
  })
  .strict()
  .superRefine((p, ctx) => {
    if ((p.match === 'tag' || p.match === 'tag-or-source') && p.tag === null) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['tag'],
        message: `match '${p.match}' needs the tag that names the target, e.g. tag: tenant`,
      });
    }
  });

export type ProbeInput = z.input<typeof probeSchema>;
export type Probe = z.output<typeof probeSchema>;
export type SignalRef = z.output<typeof signalRefSchema>;

/**
 * Default key signals, in preference order, named exactly as the built-in policies name
 * their evidence (docs/policies.md) so the policy's own trigger threshold becomes the
 * recovery threshold. `healthyMax` defaults are those policies' default high watermarks.
 */
export const DEFAULT_PROBES: Readonly<Record<CommandFamily, readonly ProbeInput[]>> = {
  query_timeout: [
    {
      signal: 'queue.depth:mean',
      metric: 'queue.depth',
      stat: 'mean',
      combine: 'worst',
      match: 'source',
      healthyMax: 50,
    },
    {
      signal: 'query.latency_ms:p99',
      metric: 'query.latency_ms',
      stat: 'p99',
      combine: 'worst',
      match: 'source',
      healthyMax: 1000,
    },
    { signal: 'inflight:mean', metric: 'inflight', stat: 'mean', combine: 'worst', match: 'source' },
  ],
  retry_policy: [
    {
      signal: 'retry.share',
      metric: 'retries',
      stat: 'ratePerSec',
      combine: 'total',
      per: { metric: 'requests', stat: 'ratePerSec', combine: 'total' },
      match: 'tag-or-source',
      tag: 'service',
      healthyMax: 0.2,
    },
    {
      signal: 'requests:ratePerSec',
      metric: 'requests',
      stat: 'ratePerSec',
      combine: 'total',
      match: 'tag-or-source',
      tag: 'service',
    },
  ],
  quota: [
    {
      signal: 'cluster.utilization',
      metric: 'tenant.bytes_in',
      stat: 'ratePerSec',
      combine: 'total',
      scope: 'tenant',
      per: { metric: 'cluster.capacity_bytes', stat: 'mean', combine: 'worst' },
      match: 'global',
      healthyMax: 0.85,
    },
    {
      signal: 'tenant.bytes_in:ratePerSec',
      metric: 'tenant.bytes_in',
      stat: 'ratePerSec',
      combine: 'total',
      scope: 'tenant',
      match: 'tag',
      tag: 'tenant',
    },
  ],
};

const familySchema = (family: CommandFamily) =>
  z
    .object({
      /** Verification windows for this family; null: the global `windows`. */
      windows: z.number().int().min(1).max(10_000).nullable().default(null),
      probes: z
        .array(probeSchema)
        .min(1, 'give at least one probe, or leave probes out for the defaults')
        .default(DEFAULT_PROBES[family] as ProbeInput[])
        .superRefine((ps, ctx) => {
          const names = ps.map((p) => p.signal);
          const dup = names.find((n, i) => names.indexOf(n) !== i);
          if (dup !== undefined)
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              message: `probe signal '${dup}' appears twice; give each probe a distinct name`,
            });
        }),
    })
    .strict()
    .default({});

export const verifierConfigSchema = z
  .object({
    /** N: windows of event time after issuedAt over which an action's effect is judged. */
    windows: z.number().int().min(1).max(10_000).default(5),
    /** X: the relative move of the key signal that counts as improved / worsened. */
    threshold: z.number().gt(0).lt(1, 'must be below 1: a signal cannot fall by 100% or more').default(0.2),
    /** Verifications in flight; beyond it the oldest is dropped with an inconclusive outcome. */
    maxPending: z.number().int().min(1).default(1000),
    /** Recoveries kept per policy for the median time to recovery. */
    recoveryReservoir: z.number().int().min(1).default(256),
    /** Track records kept (one per policy name and version); the least recently updated goes first. */
    maxTrackRecords: z.number().int().min(1).default(64),
    /** Emit outcomes (mode shadow) for the canary's control group too; they never count in track records. */
    controlOutcomes: z.boolean().default(true),
    canary: z
      .object({
        /** Control and treated observations match when their issuedAt differ by at most this many windows; null: `windows`. */
        matchWindows: z.number().min(0).nullable().default(null),
        /** Observations kept per group (treated, control) per policy. */
        maxObservations: z.number().int().min(1).default(256),
      })
      .strict()
      .default({}),
    families: z
      .object({
        query_timeout: familySchema('query_timeout'),
        retry_policy: familySchema('retry_policy'),
        quota: familySchema('quota'),
      })
      .strict()
      .default({}),
  })
  .strict();

export type VerifierConfigInput = z.input<typeof verifierConfigSchema>;
export type VerifierConfig = z.output<typeof verifierConfigSchema>;

/** The fully defaulted config, or a ConfigError naming every bad key (prefix `verification`). */
export function parseVerifierConfig(input: unknown = {}, prefix = 'verification'): VerifierConfig {
  return parseConfig(verifierConfigSchema, input ?? {}, prefix);
}
