/**
 * Limits applied to every telemetry record beyond its types. Bad records are routed to
 * the DLQ, so the limits protect memory and state cardinality, not correctness.
 */
import { ConfigError } from '../errors';

export interface TelemetryLimits {
  /**
   * Smallest accepted `ts`, epoch ms. Default 1e12 (2001-09-09T01:46:40Z): a smaller value
   * is almost always epoch *seconds* or a zero. No wall clock is used: the core is
   * deterministic, so the bounds are fixed numbers.
   */
  minTs: number;
  /** Largest accepted `ts`, epoch ms (inclusive). Default 4102444800000 (2100-01-01T00:00:00Z). */
  maxTs: number;
  /** Maximum length of `source`, in UTF-16 code units. Default 256. */
  maxSourceLength: number;
  /** Maximum length of `metric`, in UTF-16 code units. Default 256. */
  maxMetricLength: number;
  /** Maximum number of tags. Default 32. */
  maxTags: number;
  /** Maximum length of a tag key, in UTF-16 code units. Default 256. */
  maxTagKeyLength: number;
  /** Maximum length of a tag value, in UTF-16 code units. Default 256. */
  maxTagValueLength: number;
  /** Maximum size of a whole Kafka record value, bytes (header included). Default 65536. */
  maxRecordBytes: number;
  /**
   * Most that `ts` may run ahead of the record's Kafka timestamp (the time the producer's
   * client or, with message.timestamp.type=LogAppendTime, the broker stamped it). Further
   * ahead, the producer's clock is wrong, and admitting it would move the watermark for
   * everyone: the record is dead-lettered as TS_OUT_OF_RANGE. The Kafka timestamp is stored
   * with the record, so a replay of the topic decides the same; the processor's edge also
   * bounds the Kafka timestamp by its arrival clock (log-time.ts). Default 2000 (2 s, the
   * engine's default allowedOutOfOrdernessMs): kept at or below allowedOutOfOrdernessMs, no
   * window can close past the processor's own clock, so no command carries a future
   * issuedAt, and one source can run event time at most this far ahead — far below
   * idleAfterMs, so it cannot make the other partitions idle. Infinity (config `null`)
   * turns the check off.
   */
  maxAheadOfLogTimeMs: number;
}

export const DEFAULT_TELEMETRY_LIMITS: Readonly<TelemetryLimits> = Object.freeze({
  minTs: 1e12,
  maxTs: 4102444800000,
  maxSourceLength: 256,
  maxMetricLength: 256,
  maxTags: 32,
  maxTagKeyLength: 256,
  maxTagValueLength: 256,
  maxRecordBytes: 64 * 1024,
  maxAheadOfLogTimeMs: 2_000,
});

/** Largest epoch ms a JS Date can represent (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

/**
 * Fill defaults and check a partial limits object. Throws ConfigError naming every bad
 * key, its value and the fix. `path` prefixes key names (e.g. `telemetry.limits`).
 */
export function resolveTelemetryLimits(partial: Partial<TelemetryLimits> = {}, path = 'limits'): TelemetryLimits {
  const limits: TelemetryLimits = { ...DEFAULT_TELEMETRY_LIMITS, ...stripUndefined(partial) };
  const issues: string[] = [];
  for (const key of ['minTs', 'maxTs'] as const) {
    const v = limits[key];
    if (!Number.isSafeInteger(v) || Math.abs(v) > MAX_DATE_MS) {
      issues.push(`${path}.${key} must be an integer epoch-ms within ±${MAX_DATE_MS}, got ${String(v)}`);
    }
  }
  if (issues.length === 0 && limits.minTs >= limits.maxTs) {
    issues.push(`${path}.minTs (${limits.minTs}) must be lower than ${path}.maxTs (${limits.maxTs}); widen the range`);
  }
  const positive = [
    'maxSourceLength',
    'maxMetricLength',
    'maxTags',
    'maxTagKeyLength',
    'maxTagValueLength',
    'maxRecordBytes',
  ] as const;
  for (const key of positive) {
    const v = limits[key];
    if (!Number.isSafeInteger(v) || v < 1) {
      issues.push(
        `${path}.${key} must be a positive integer, got ${String(v)}; the default is ${DEFAULT_TELEMETRY_LIMITS[key]}`,
      );
    }
  }
  const ahead = limits.maxAheadOfLogTimeMs;
  if (!(ahead === Infinity || (Number.isSafeInteger(ahead) && ahead > 0))) {
    issues.push(
      `${path}.maxAheadOfLogTimeMs must be a positive integer (ms), or null to turn the check off, got ${String(ahead)}`,
    );
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return limits;
}

function stripUndefined(partial: Partial<TelemetryLimits>): Partial<TelemetryLimits> {
  const out: Partial<TelemetryLimits> = {};
  for (const [k, v] of Object.entries(partial) as [keyof TelemetryLimits, number | undefined][]) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}
