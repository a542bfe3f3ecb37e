/**
 * Config of `watermark-quota`. Defaults and their sources are in docs/policies.md; the
 * short reasons are next to each key.
 */
import { z } from 'zod';
import { baseFields } from './config-base';

export const watermarkQuotaParamsSchema = z
  .object({
    metrics: z
      .object({
        /** Per-tenant ingress, bytes; its ratePerSec is the tenant's demand in bytes/s. */
        demand: z.string().min(1).default('tenant.bytes_in'),
        /** Cluster ingress capacity gauge, bytes/s. */
        capacity: z.string().min(1).default('cluster.capacity_bytes'),
      })
      .strict()
      .default({}),
    /** Scope of the demand signals: `tenant` = the final two-stage tenant aggregates; `series` sums per-source series. */
    demandScope: z.string().min(1).default('tenant'),
    tenantTag: z.string().min(1).default('tenant'),
    /** A fixed capacity in bytes/s; when set it wins over the capacity metric. */
    capacityBytesPerSec: z.number().positive().nullable().default(null),
    /** Window statistic of the capacity gauge. */
    capacityStat: z.enum(['mean', 'min', 'max', 'p50']).default('mean'),
    /** How several capacity signals combine: `max` (one cluster-wide gauge, reported by several hosts) or `sum` (per-broker capacities). */
    capacityCombine: z.enum(['max', 'sum']).default('max'),
    /** Throttle when utilization is above this (Elasticsearch-style watermarks, see docs). */
    highWatermark: z.number().gt(0).max(1).default(0.85),
    /** Release when utilization is below this; between the two: hold (hysteresis). */
    lowWatermark: z.number().gt(0).lt(1).default(0.7),
    /** Utilization the fair shares add up to; null = midway between the watermarks, so throttled load sits inside the band. */
    targetUtilization: z.number().gt(0).max(1).nullable().default(null),
    /** Per-tenant weights for the fair shares; tenants not listed get defaultWeight. */
    weights: z.record(z.string(), z.number().positive()).default({}),
    defaultWeight: z.number().positive().default(1),
    /** Consecutive windows above the high watermark before throttling. */
    overWindows: z.number().int().min(1).default(2),
    /** Consecutive windows below the low watermark before each release step. */
    underWindows: z.number().int().min(1).default(2),
    /** Additive release per window, as a fraction of capacity. */
    relaxStepFraction: z.number().gt(0).max(1).default(0.05),
    /** Event time a tightened quota is held before any release. */
    minHoldMs: z.number().min(0).default(60_000),
    /** Never throttle a tenant below this, bytes/s (0 would black-hole it). */
    minQuotaBytesPerSec: z.number().min(0).default(1024),
    /**
     * A backlog queued above capacity is paid back within this many windows by the tenants over their share (their
     * quotas cut below it until the estimate is 0, then restored); null: quotas at the share, the backlog drains at the headroom.
     */
    drainWindows: z.number().positive().nullable().default(1),
    /** Ignore a tightening of less than this fraction of the quota in force (no churn for noise). */
    tightenTolerance: z.number().min(0).lt(1).default(0.05),
  })
  .strict()
  .superRefine((p, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    if (p.lowWatermark >= p.highWatermark) {
      issue(
        ['lowWatermark'],
        `lowWatermark (${p.lowWatermark}) must be below highWatermark (${p.highWatermark}); the gap is the hysteresis band`,
      );
    } else if (
      p.targetUtilization !== null &&
      (p.targetUtilization < p.lowWatermark || p.targetUtilization > p.highWatermark)
    ) {
      issue(
        ['targetUtilization'],
        `targetUtilization (${p.targetUtilization}) must lie between lowWatermark (${p.lowWatermark}) and highWatermark ` +
          `(${p.highWatermark}), or throttled load would itself trip a watermark`,
      );
    }
  });

export const watermarkQuotaConfigSchema = z
  .object({
    ...baseFields,
    type: z.literal('watermark-quota'),
    parameters: watermarkQuotaParamsSchema.default({}),
  })
  .strict();

export type WatermarkQuotaParams = z.infer<typeof watermarkQuotaParamsSchema>;
export type WatermarkQuotaConfig = z.infer<typeof watermarkQuotaConfigSchema>;
