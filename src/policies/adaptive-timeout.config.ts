/**
 * Config of `adaptive-timeout`. Every default is explained (with its source) in
 * docs/policies.md; the short reasons are next to each key.
 */
import { z } from 'zod';
import { baseFields } from './config-base';
import { baselineSchema, burnPairsSchema, hysteresisIssue, thresholdSchema } from './trigger.config';

/** A number (absolute), a ratio to the target's baseline or robust deviations above it (trigger.config.ts); null disables. */
const threshold = thresholdSchema.nullable();

/** A latency SLO: the share of queries over latencyMs must stay under 1 − objective; burn-rate pairs in windows. */
const latencySloSchema = z
  .object({
    latencyMs: z.number().positive(),
    objective: z.number().gt(0).lt(1, 'must be below 1: the error budget is 1 − objective'),
    pairs: burnPairsSchema,
  })
  .strict();

const thresholds = (queueDepth: number | null, inflight: number | null, latencyMs: number | null) =>
  z
    .object({
      /** queue.depth (gaugeStat of the window); null disables this signal. */
      queueDepth: threshold.default(queueDepth),
      /** inflight (gaugeStat of the window); null disables it. Set near the worker's concurrency limit. */
      inflight: threshold.default(inflight),
      /** query latency quantile (latencyQuantile), ms; null disables it. */
      latencyMs: threshold.default(latencyMs),
    })
    .strict()
    .default({});

export const adaptiveTimeoutParamsSchema = z
  .object({
    metrics: z
      .object({
        latency: z.string().min(1).default('query.latency_ms'),
        queueDepth: z.string().min(1).default('queue.depth'),
        inflight: z.string().min(1).default('inflight'),
      })
      .strict()
      .default({}),
    /** Quantile of query latency compared with the thresholds: the tail is what overload hurts first. */
    latencyQuantile: z.enum(['p50', 'p90', 'p99', 'p999']).default('p99'),
    /** Statistic of the queue.depth / inflight gauges over a window: the mean, so a single spike is not overload. */
    gaugeStat: z.enum(['mean', 'max', 'p50', 'p90', 'p99']).default('mean'),
    /** Overload when any enabled signal is above its high watermark. */
    high: thresholds(50, null, 1000),
    /** Calm when every enabled signal present is below its low watermark (gap = hysteresis). */
    low: thresholds(10, null, 300),
    /** N: consecutive overloaded windows before the first cut. */
    overloadWindows: z.number().int().min(1).default(3),
    /** M: consecutive calm windows before raising the timeout again. */
    calmWindows: z.number().int().min(1).default(3),
    /** The timeout to restore; null derives it from observed latency (see `derive`). */
    defaultTimeoutMs: z.number().positive().nullable().default(null),
    derive: z
      .object({
        /** Learned from non-overloaded windows without an active cut: quantile × headroom. */
        quantile: z.enum(['p99', 'p999']).default('p999'),
        headroom: z.number().min(1).default(2),
        /** EWMA weight of the newest window. */
        alpha: z.number().gt(0).max(1).default(0.2),
        /** Windows of learning before the derived default is trusted (until then: maxTimeoutMs). */
        minWindows: z.number().int().min(1).default(5),
      })
      .strict()
      .default({}),
    /** Multiplicative decrease per cut (TCP halves its window: RFC 5681 §3.1). */
    decreaseFactor: z.number().gt(0, 'must be above 0').lt(1, 'must be below 1: it multiplies the timeout at each cut (0.5 halves it)').default(0.5),
    /** Additive increase per calm window, ms. */
    increaseStepMs: z.number().positive().default(1000),
    minTimeoutMs: z.number().positive().default(100),
    maxTimeoutMs: z.number().positive().default(60_000),
    /** Forget a target's learned state after this many windows of silence (bounded memory). */
    forgetAfterWindows: z.number().int().min(1).default(60),
    /**
     * How relative thresholds learn each target's baseline. Optional without a default, so a
     * config with absolute thresholds only keeps its version (the defaults apply when absent).
     */
    baseline: baselineSchema.optional(),
    /** An SLO burn-rate trigger on latency, in addition to the thresholds; absent: none. */
    slo: latencySloSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const names = ['queueDepth', 'inflight', 'latencyMs'] as const;
    let enabled = 0;
    for (const n of names) {
      const hi = p.high[n];
      const lo = p.low[n];
      if ((hi === null) !== (lo === null)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [hi === null ? 'high' : 'low', n],
          message: `high.${n} and low.${n} must both be set or both be null; set ${hi === null ? 'high' : 'low'}.${n} or null the other`,
        });
      } else if (hi !== null && lo !== null) {
        enabled++;
        const issue = hysteresisIssue(n, hi, lo);
        if (issue !== null) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['low', n], message: issue });
      }
    }
    if (enabled === 0 && p.slo === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['high'], message: 'every signal is disabled; set at least one of queueDepth, inflight, latencyMs (or an slo)' });
    }
    if (p.minTimeoutMs >= p.maxTimeoutMs) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['minTimeoutMs'],
        message: `minTimeoutMs (${p.minTimeoutMs}) must be below maxTimeoutMs (${p.maxTimeoutMs})`,
      });
    }
    if (p.defaultTimeoutMs !== null && (p.defaultTimeoutMs < p.minTimeoutMs || p.defaultTimeoutMs > p.maxTimeoutMs)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['defaultTimeoutMs'],
        message: `defaultTimeoutMs must lie in [minTimeoutMs, maxTimeoutMs] = [${p.minTimeoutMs}, ${p.maxTimeoutMs}]; move it or widen the range`,
      });
    }
  });

export const adaptiveTimeoutConfigSchema = z
  .object({
    ...baseFields,
    type: z.literal('adaptive-timeout'),
    parameters: adaptiveTimeoutParamsSchema.default({}),
  })
  .strict();

export type AdaptiveTimeoutParams = z.infer<typeof adaptiveTimeoutParamsSchema>;
export type AdaptiveTimeoutConfig = z.infer<typeof adaptiveTimeoutConfigSchema>;
