import { z } from 'zod';

/**
 * YAML shape of the engine settings (src/core/config.ts holds the defaults and the
 * cross-field rules; both are applied at start). Every key is optional: an absent key
 * takes the engine default documented in docs/config.md.
 */
export const engineSchema = z
  .object({
    window: z
      .object({
        sizeMs: z.number().int().positive().optional(),
        advanceMs: z.number().int().positive().optional(),
        graceMs: z.number().int().nonnegative().optional(),
      })
      .strict()
      .optional(),
    allowedOutOfOrdernessMs: z.number().int().nonnegative().optional(),
    /** A number of ms, or the string "never" for partitions that are never considered idle. */
    idleAfterMs: z.union([z.number().positive(), z.literal('never')]).optional(),
    maxSeries: z.number().int().positive().optional(),
    dimensionTags: z.array(z.string().min(1)).optional(),
    ewmaAlpha: z.number().gt(0).lte(1).optional(),
    trendWindows: z.number().int().min(2).optional(),
    zeroFillWindows: z.number().int().nonnegative().optional(),
    scopes: z
      .array(
        z
          .object({
            name: z.string().min(1),
            metrics: z.array(z.string().min(1)).min(1),
            groupBy: z.array(z.string()).default([]),
          })
          .strict(),
      )
      .optional(),
    sketch: z
      .object({ relativeAccuracy: z.number().gt(0).lt(1).optional(), maxBins: z.number().int().min(16).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .default({});

export const limitsSchema = z
  .object({
    minTs: z.number().int().optional(),
    maxTs: z.number().int().optional(),
    maxSourceLength: z.number().int().positive().optional(),
    maxMetricLength: z.number().int().positive().optional(),
    maxTags: z.number().int().nonnegative().optional(),
    maxTagKeyLength: z.number().int().positive().optional(),
    maxTagValueLength: z.number().int().positive().optional(),
    maxRecordBytes: z.number().int().positive().optional(),
    /** null: no check of event time against the Kafka timestamp. */
    maxAheadOfLogTimeMs: z
      .number()
      .int()
      .positive()
      .nullable()
      .optional()
      .transform((v) => (v === null ? Infinity : v)),
  })
  .strict()
  .default({});
