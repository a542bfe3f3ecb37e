/**
 * Config of baseline-relative triggers, shared by the built-in policies (and usable by module
 * policies through `parseTriggerConfig`): a threshold is a number (absolute, as before), or
 * `{ ratio, of }` (× the series' own baseline), or `{ deviations, spread }` (robust deviations
 * above its trailing median); `baseline` says how the baseline is kept; `slo` adds an SLO
 * burn-rate trigger with the SRE workbook's multi-window pairs. Reasons in docs/policies.md.
 */
import { z } from 'zod';
import { ConfigError } from '../errors';
import { describeIssues } from '../guardrails/validate';
import { MAX_BASELINE_WINDOWS, type BaselineSpec } from '../signals/baseline';
import { isLevelled, type LevelledTrigger, type Trigger } from '../signals/levels';
import type { Threshold } from '../signals/trigger';

const ratioSchema = z
  .object({
    /** Multiplies the baseline statistic; > 0. */
    ratio: z.number().gt(0, 'must be above 0: the threshold is ratio × baseline'),
    /** The baseline statistic: EWMA, or a trailing quantile of the last `baseline.windows` windows. */
    of: z.enum(['ewma', 'median', 'p75', 'p90', 'p95', 'p99']).default('median'),
    /** Floor of the resolved threshold, absolute (a series at 0 would otherwise trigger on any value). */
    atLeast: z.number().min(0).default(0),
  })
  .strict();

const deviationSchema = z
  .object({
    /** Robust deviations (σ estimates) above the trailing median. */
    deviations: z.number().gt(0, 'must be above 0: the threshold is median + deviations × spread'),
    spread: z.enum(['mad', 'iqr']).default('mad'),
    /** The spread is never taken below this fraction of the median: a flat series has a MAD of 0. */
    minSpreadRatio: z.number().min(0).default(0.05),
    /** What minSpreadRatio is a fraction of; an upper quantile keeps a floor on a sparse series (median 0). Absent: the median. */
    minSpreadOf: z.enum(['median', 'p75', 'p90', 'p95']).optional(),
    atLeast: z.number().min(0).default(0),
  })
  .strict();

/** number | { ratio, of?, atLeast? } | { deviations, spread?, minSpreadRatio?, atLeast? } */
export const thresholdSchema: z.ZodType<Threshold, z.ZodTypeDef, unknown> = z.union([
  z.number().nonnegative(),
  ratioSchema,
  deviationSchema,
]);

/** Consecutive windows a level must be exceeded before it fires (1: on the window itself). */
const levelWindows = z.number().int().min(1).max(MAX_BASELINE_WINDOWS).default(1);

/**
 * `{ levels: [...] }`: a severe deviation acts at once, a moderate one after it persisted
 * (signals/levels.ts); each level is a ratio or a deviation threshold plus `windows`.
 */
export const levelsSchema: z.ZodType<LevelledTrigger, z.ZodTypeDef, unknown> = z
  .object({
    levels: z
      .array(
        z.union([ratioSchema.extend({ windows: levelWindows }), deviationSchema.extend({ windows: levelWindows })]),
      )
      .min(1, 'give at least one level, e.g. [{ deviations: 8 }, { deviations: 4, windows: 3 }]')
      .max(4),
  })
  .strict();

/** A high watermark: a threshold, or levels of relative thresholds with their persistence. */
export const triggerSchema: z.ZodType<Trigger, z.ZodTypeDef, unknown> = z.union([thresholdSchema, levelsSchema]);

export const baselineSchema = z
  .object({
    /** Trailing windows kept per target (median, quantiles, spread). */
    windows: z.number().int().min(3).max(MAX_BASELINE_WINDOWS).default(96),
    /** No relative verdict (so no action) before the baseline has learned this many windows. */
    warmupWindows: z.number().int().min(1).default(24),
    /** EWMA weight for `of: ewma`: a long horizon (memory ≈ 2/alpha − 1 ≈ 39 windows). */
    alpha: z.number().gt(0).max(1).default(0.05),
    /** Frozen (acting, or over the trigger) this many windows in a row, the baseline learns again; null = `warmupWindows`. */
    maxFrozenWindows: z.number().int().min(1).nullable().default(null),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.warmupWindows > b.windows) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['warmupWindows'],
        message: `warmupWindows (${b.warmupWindows}) must not exceed windows (${b.windows}); lower it or keep more windows`,
      });
    }
  });

export type BaselineConfig = z.infer<typeof baselineSchema>;

export const burnPairSchema = z
  .object({
    long: z.number().int().min(1),
    short: z.number().int().min(1),
    factor: z.number().gt(0),
  })
  .strict()
  .refine((p) => p.short <= p.long, {
    message: 'short must not exceed long: the short span confirms the burn is still going on',
  });

export const burnPairsSchema = z
  .array(burnPairSchema)
  .min(1)
  .max(8)
  // The workbook's pairs for a 30-day SLO, in windows of 5 minutes: 1 h / 5 min at 14.4×, 6 h / 30 min at 6×.
  .default([
    { long: 12, short: 1, factor: 14.4 },
    { long: 72, short: 6, factor: 6 },
  ]);

export function baselineSpec(b: BaselineConfig): BaselineSpec {
  return {
    windows: b.windows,
    warmupWindows: b.warmupWindows,
    alpha: b.alpha,
    maxFrozenWindows: b.maxFrozenWindows ?? b.warmupWindows,
  };
}

/**
 * For `low` and `high` of one signal: the low threshold must sit below the high one when the
 * two can be compared (both absolute, both ratios of one statistic, both deviations of one
 * spread) — with levels, below each level it can be compared with; a message naming both,
 * otherwise null.
 */
export function hysteresisIssue(name: string, high: Trigger, lo: Threshold): string | null {
  if (isLevelled(high)) {
    for (const level of high.levels) {
      const issue = hysteresisIssue(name, level, lo);
      if (issue !== null) return issue;
    }
    return null;
  }
  const hi = high;
  const msg = (a: number, b: number) =>
    `low.${name} (${a}) must be below high.${name} (${b}) — the gap is the hysteresis; lower it or raise the high watermark`;
  if (typeof hi === 'number' && typeof lo === 'number') return lo >= hi ? msg(lo, hi) : null;
  if (typeof hi === 'object' && typeof lo === 'object') {
    if ('ratio' in hi && 'ratio' in lo && hi.of === lo.of) return lo.ratio >= hi.ratio ? msg(lo.ratio, hi.ratio) : null;
    if ('deviations' in hi && 'deviations' in lo && hi.spread === lo.spread)
      return lo.deviations >= hi.deviations ? msg(lo.deviations, hi.deviations) : null;
  }
  return null;
}

const moduleTriggerSchema = z.object({ threshold: thresholdSchema, baseline: baselineSchema.default({}) }).strict();
const moduleLevelledSchema = z.object({ trigger: triggerSchema, baseline: baselineSchema.default({}) }).strict();

/** Parses with the messages built-ins give (key, value and fix), or throws a ConfigError. */
function parseModule<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, input: unknown, path: string): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new ConfigError(describeIssues(r.error, input, path));
  return r.data;
}

/** For module policies: validates `{ threshold, baseline? }` from their parameters, with the messages built-ins give. */
export function parseTriggerConfig(
  input: unknown,
  path = 'parameters.trigger',
): { threshold: Threshold; baseline: BaselineSpec } {
  const { threshold, baseline } = parseModule(moduleTriggerSchema, input, path);
  return { threshold, baseline: baselineSpec(baseline) };
}

/**
 * For module policies whose trigger may have levels: validates `{ trigger, baseline? }`; judge it
 * with `judgeLevels` (signals/levels.ts), keeping the returned run in the policy's state.
 */
export function parseLevelledTrigger(
  input: unknown,
  path = 'parameters',
): { trigger: Trigger; baseline: BaselineSpec } {
  const { trigger, baseline } = parseModule(moduleLevelledSchema, input, path);
  return { trigger, baseline: baselineSpec(baseline) };
}
