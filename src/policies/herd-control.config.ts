/**
 * Config of `herd-control`. Defaults and their sources are in docs/policies.md; the short
 * reasons are next to each key.
 */
import { z } from 'zod';
import { MAX_BASELINE_WINDOWS } from '../signals/baseline';
import { baseFields } from './config-base';
import { burnPairsSchema, thresholdSchema } from './trigger.config';
import { shareHysteresisIssue } from './herd-shares';

/** The escalation's shape (docs/policies.md, herd-control: "delay before drop"); exported for the study's experiments. */
export const DELAY_DEFAULTS = { backoffFactor: 8, delayLevels: 2, delayAttempts: 0 } as const;

export const herdControlParamsSchema = z
  .object({
    metrics: z
      .object({
        requests: z.string().min(1).default('requests'),
        retries: z.string().min(1).default('retries'),
        errors: z.string().min(1).default('errors'),
      })
      .strict()
      .default({}),
    /** The target is this tag of the signal (a service), else the signal's source. */
    targetTag: z.string().min(1).default('service'),
    storm: z
      .object({
        /** Request rate above baseline × rateFactor is a surge: with 3 attempts per call, a full retry storm triples load. */
        rateFactor: z.number().gt(1).default(3),
        /**
         * retries / requests above this is a storm: twice the service's own median share, and never below what a 20%
         * retry budget (Finagle, Envoy) allows. A number is absolute; `{ ratio, of, atLeast }` or `{ deviations, … }` relative.
         */
        retryShare: thresholdSchema.default({ ratio: 2, of: 'median', atLeast: 0.2 }),
        /** errors / requests above this also counts; null (default) leaves errors as evidence only. */
        errorShare: z.number().gt(0).max(1).nullable().default(null),
      })
      .strict()
      .default({}),
    calm: z
      .object({
        /** Calm needs the rate back under baseline × rateFactor … */
        rateFactor: z.number().gt(0).default(1.5),
        /** … and retries under this share (1.25× the service's own median, at least 5%); errors too, against theirs, under a lease. */
        retryShare: thresholdSchema.default({ ratio: 1.25, of: 'median', atLeast: 0.05 }),
      })
      .strict()
      .default({}),
    baseline: z
      .object({
        /** EWMA weight of the newest non-storm window's request rate. */
        alpha: z.number().gt(0).max(1).default(0.1),
        /** Windows before the baselines are trusted (until then neither a surge nor a relative retry share is a storm). */
        minWindows: z.number().int().min(1).default(5),
        /** Trailing windows of the retry and error shares kept per service (their medians); frozen this long, they learn again. */
        windows: z.number().int().min(3).max(MAX_BASELINE_WINDOWS).default(60),
      })
      .strict()
      .default({}),
    /**
     * N: consecutive storm windows before acting. 3: a single spike's retries echo into the window after it (two
     * windows over), a herd outlasts three.
     */
    stormWindows: z.number().int().min(1).default(3),
    /** Consecutive calm windows before relaxing one level. */
    relaxWindows: z.number().int().min(1).default(2),
    /** M: consecutive calm windows at the base level before reverting. */
    calmWindows: z.number().int().min(1).default(3),
    /** Level 0: the clients' own policy, escalated from — AWS/Finagle defaults, the retry library's (see src/client/policy.ts). */
    initial: z
      .object({
        strategy: z.enum(['none', 'full', 'equal', 'decorrelated']).default('full'),
        baseMs: z.number().positive().default(100),
        capMs: z.number().positive().default(20_000),
        maxAttempts: z.number().int().min(1).default(3),
        /** Above 1 the budget never binds (a client without one: the retry library accepts up to 1000). */
        budgetRatio: z.number().gt(0).max(1000).default(0.2),
        budgetFloorPerSec: z.number().min(0).default(10),
      })
      .strict()
      .default({}),
    /** Each level multiplies base and cap by this (capped exponential backoff of the backoff itself). */
    backoffFactor: z.number().gt(1).max(16).default(DELAY_DEFAULTS.backoffFactor),
    /**
     * The first levels delay rather than drop: they lengthen the backoff and add attempts, and leave the clients' budget
     * as they run it, so the retries of requests failing late in an outage still land after it. The budget binds above them.
     */
    delayLevels: z.number().int().min(0).max(10).default(DELAY_DEFAULTS.delayLevels),
    /** Attempts added at each delay level (within limits.maxAttempts; the client's own deadline still bounds them). */
    delayAttempts: z.number().int().min(0).max(10).default(DELAY_DEFAULTS.delayAttempts),
    /**
     * Each level multiplies base and cap by backoffFactor; the first level above the delay levels makes a budget bind
     * (the floor to stormBudgetFloorPerSec, the ratio at most stormBudgetRatio), each level above halves the ratio; within these bounds.
     */
    limits: z
      .object({
        maxBaseMs: z.number().positive().default(2_000),
        maxCapMs: z.number().positive().default(60_000),
        maxAttempts: z.number().int().min(1).max(100).default(10),
        /** The ratio the first budget level enforces when the clients' own is higher (or no budget at all): Finagle's 20%. */
        stormBudgetRatio: z.number().gt(0).max(1).default(0.2),
        minBudgetRatio: z.number().gt(0).max(1).default(0.02),
        /** Per-client retries/s always allowed from level 1 on: 0, so the ratio binds (a floor summed over a fleet is no budget). */
        stormBudgetFloorPerSec: z.number().min(0).default(0),
      })
      .strict()
      .default({}),
    forgetAfterWindows: z.number().int().min(1).default(60),
    /**
     * An error-ratio SLO as a storm trigger: errors / requests must stay under 1 − objective; burn-rate
     * pairs in windows (SRE workbook). Optional without a default, so existing configs keep their version.
     */
    slo: z
      .object({
        objective: z.number().gt(0).lt(1, 'must be below 1: the error budget is 1 − objective'),
        pairs: burnPairsSchema,
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    if (p.calm.rateFactor >= p.storm.rateFactor) {
      issue(
        ['calm', 'rateFactor'],
        `calm.rateFactor (${p.calm.rateFactor}) must be below storm.rateFactor (${p.storm.rateFactor}) so there is a hysteresis gap`,
      );
    }
    for (const [key, t] of [
      ['storm', p.storm.retryShare],
      ['calm', p.calm.retryShare],
    ] as const) {
      if (typeof t === 'number' && t > 1)
        issue([key, 'retryShare'], `${key}.retryShare (${t}) is a share of requests: use a number in [0, 1]`);
    }
    if (typeof p.storm.retryShare === 'number' && p.storm.retryShare === 0)
      issue(['storm', 'retryShare'], 'storm.retryShare must be above 0: every retry would be a storm');
    const shareGap = shareHysteresisIssue(p.storm.retryShare, p.calm.retryShare);
    if (shareGap !== null) issue(['calm', 'retryShare'], shareGap);
    if (p.baseline.minWindows > p.baseline.windows)
      issue(
        ['baseline', 'minWindows'],
        `baseline.minWindows (${p.baseline.minWindows}) must not exceed baseline.windows (${p.baseline.windows}); ` +
          'lower it or keep more windows',
      );
    if (p.initial.baseMs > p.initial.capMs)
      issue(
        ['initial', 'baseMs'],
        `initial.baseMs (${p.initial.baseMs}) must not exceed initial.capMs (${p.initial.capMs})`,
      );
    if (p.limits.maxBaseMs < p.initial.baseMs)
      issue(
        ['limits', 'maxBaseMs'],
        `limits.maxBaseMs (${p.limits.maxBaseMs}) must be at least initial.baseMs (${p.initial.baseMs})`,
      );
    if (p.limits.maxCapMs < p.initial.capMs)
      issue(
        ['limits', 'maxCapMs'],
        `limits.maxCapMs (${p.limits.maxCapMs}) must be at least initial.capMs (${p.initial.capMs})`,
      );
    const bindingRatio = Math.min(p.initial.budgetRatio, p.limits.stormBudgetRatio);
    if (p.limits.minBudgetRatio > bindingRatio) {
      issue(
        ['limits', 'minBudgetRatio'],
        `limits.minBudgetRatio (${p.limits.minBudgetRatio}) must not exceed initial.budgetRatio (${p.initial.budgetRatio}) ` +
          `or limits.stormBudgetRatio (${p.limits.stormBudgetRatio}), the ratio the first budget level enforces`,
      );
    }
    if (p.limits.maxAttempts < p.initial.maxAttempts)
      issue(
        ['limits', 'maxAttempts'],
        `limits.maxAttempts (${p.limits.maxAttempts}) must be at least initial.maxAttempts (${p.initial.maxAttempts})`,
      );
  });

export const herdControlConfigSchema = z
  .object({
    ...baseFields,
    type: z.literal('herd-control'),
    parameters: herdControlParamsSchema.default({}),
  })
  .strict();

export type HerdControlParams = z.infer<typeof herdControlParamsSchema>;
export type HerdControlConfig = z.infer<typeof herdControlConfigSchema>;
