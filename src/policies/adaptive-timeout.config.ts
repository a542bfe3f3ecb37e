/**
 * Config of `adaptive-timeout`. Every default is explained (with its source) in
 * docs/policies.md; the short reasons are next to each key.
 */
import { z } from 'zod';
import { baseFields } from './config-base';
import type { Trigger } from '../signals/levels';
import type { Threshold } from '../signals/trigger';
import { baselineSchema, burnPairsSchema, hysteresisIssue, thresholdSchema, triggerSchema } from './trigger.config';

/** A number (absolute), a ratio to the target's baseline or robust deviations above it (trigger.config.ts); null disables. */
const threshold = thresholdSchema.nullable();
/** A high watermark may also be levels: severe acts at once, moderate after persisting (signals/levels.ts). */
const trigger = triggerSchema.nullable();

/** A latency SLO: the share of queries over latencyMs must stay under 1 − objective; burn-rate pairs in windows. */
const latencySloSchema = z
  .object({
    latencyMs: z.number().positive(),
    objective: z.number().gt(0).lt(1, 'must be below 1: the error budget is 1 − objective'),
    pairs: burnPairsSchema,
  })
  .strict();

const thresholds = <T extends Trigger>(
  schema: z.ZodType<T | null, z.ZodTypeDef, unknown>,
  queueDepth: T | null,
  inflight: T | null,
  latencyMs: T | null,
) =>
  z
    .object({
      /** queue.depth (gaugeStat of the window); null disables this signal. */
      queueDepth: schema.default(queueDepth),
      /** inflight (gaugeStat of the window); null disables it. Set near the worker's concurrency limit. */
      inflight: schema.default(inflight),
      /** query latency quantile (latencyQuantile), ms, or relative to the worker's own; null disables it. */
      latencyMs: schema.default(latencyMs),
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
        /** A gauge of the timeout the worker has in force, ms: the reference a cut starts from (absent: none reported). */
        timeout: z.string().min(1).default('query.timeout_ms'),
      })
      .strict()
      .default({}),
    /** Quantile of query latency compared with the thresholds: the tail is what overload hurts first. */
    latencyQuantile: z.enum(['p50', 'p90', 'p99', 'p999']).default('p99'),
    /** Statistic of the queue.depth / inflight gauges over a window: the mean, so a single spike is not overload. */
    gaugeStat: z.enum(['mean', 'max', 'p50', 'p90', 'p99']).default('mean'),
    /**
     * Overload when any enabled signal is above its high watermark. Latency is relative to the
     * worker's own baseline by default (its tail tripled): no fixed number of milliseconds is
     * right for every service — 1 s fires on a healthy batch backend and waits through a 50×
     * degradation of a 20 ms API (docs/policies.md).
     */
    high: thresholds<Trigger>(trigger, 50, null, { ratio: 3, of: 'median', atLeast: 0 }),
    /** Calm when every enabled signal present is below its low watermark (gap = hysteresis). */
    low: thresholds<Threshold>(threshold, 10, null, { ratio: 1.5, of: 'median', atLeast: 0 }),
    /** N: consecutive overloaded windows before the first cut. */
    overloadWindows: z.number().int().min(1).default(3),
    /**
     * Do not start cutting a worker while its queue (gaugeStat of queueDepth) is shorter than in the
     * window before: a short burst's backlog drains by itself, though its completed queries still
     * report their wait for a few windows. Once a cut is in force, cuts follow the overload as usual.
     */
    holdWhileDraining: z.boolean().default(true),
    /** M: consecutive calm windows before raising the timeout again. */
    calmWindows: z.number().int().min(1).default(3),
    /**
     * The worker's own timeout when it does not report one (`metrics.timeout`): cuts start from
     * it, recovery restores it. null: only a reported timeout is used (no report, no action);
     * 'derive': guess it from healthy latency (see `derive`) — a guess can sit above the real one.
     */
    defaultTimeoutMs: z
      .union([z.number().positive(), z.literal('derive')])
      .nullable()
      .default(null),
    derive: z
      .object({
        /** Learned from non-overloaded windows without an active cut: quantile × headroom. */
        quantile: z.enum(['p99', 'p999']).default('p999'),
        headroom: z.number().min(1).default(2),
        /** EWMA weight of the newest window. */
        alpha: z.number().gt(0).max(1).default(0.2),
        /** Windows of learning before the derived default is trusted (until then: no action). */
        minWindows: z.number().int().min(1).default(5),
      })
      .strict()
      .default({}),
    /** Multiplicative decrease per cut (TCP halves its window: RFC 5681 §3.1). */
    decreaseFactor: z
      .number()
      .gt(0, 'must be above 0')
      .lt(1, 'must be below 1: it multiplies the timeout at each cut (0.5 halves it)')
      .default(0.5),
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
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['high'],
        message: 'every signal is disabled; set at least one of queueDepth, inflight, latencyMs (or an slo)',
      });
    }
    if (p.minTimeoutMs >= p.maxTimeoutMs) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['minTimeoutMs'],
        message: `minTimeoutMs (${p.minTimeoutMs}) must be below maxTimeoutMs (${p.maxTimeoutMs})`,
      });
    }
    if (
      typeof p.defaultTimeoutMs === 'number' &&
      (p.defaultTimeoutMs < p.minTimeoutMs || p.defaultTimeoutMs > p.maxTimeoutMs)
    ) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['defaultTimeoutMs'],
        message:
          `defaultTimeoutMs must lie in [minTimeoutMs, maxTimeoutMs] = [${p.minTimeoutMs}, ${p.maxTimeoutMs}]; move it or widen ` +
          `the range`,
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
