/**
 * The producer's sample check: the same rules as the processor's validateTelemetry (a
 * sample it would dead-letter is refused when recorded), without building a record object
 * per call — record() is a hot path. The unit tests check that both agree on every input.
 */
import type { TelemetryLimits } from '../codec';

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function isoOf(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : 'beyond the Date range';
}

/**
 * Why (metric, value, ts, defaults ∪ extra) is not valid telemetry, or undefined when it is.
 * `defaults` were checked once at construction; `extra` overrides them.
 */
export function sampleProblem(
  metric: unknown,
  value: unknown,
  ts: unknown,
  defaults: Record<string, string>,
  defaultCount: number,
  extra: Record<string, string> | undefined,
  limits: TelemetryLimits,
): string | undefined {
  if (typeof metric !== 'string' || metric.length === 0)
    return `metric must be a non-empty string, got ${typeof metric === 'string' ? '""' : typeof metric}`;
  if (metric.length > limits.maxMetricLength)
    return `metric is ${metric.length} characters long, the limit is ${limits.maxMetricLength}`;
  if (typeof value !== 'number' || !Number.isFinite(value))
    return `${metric}: value must be a finite number, got ${String(value)}`;
  if (typeof ts !== 'number' || !Number.isInteger(ts))
    return `${metric}: ts must be an integer number of epoch milliseconds, got ${String(ts)}`;
  if (ts < limits.minTs || ts > limits.maxTs) {
    const seconds = ts * 1000 >= limits.minTs && ts * 1000 <= limits.maxTs;
    const hint = seconds ? '; it looks like epoch seconds, send milliseconds' : '';
    return `${metric}: ts ${ts} (${isoOf(ts)}) is outside [${isoOf(limits.minTs)}, ${isoOf(limits.maxTs)}]${hint}`;
  }
  if (extra === undefined || extra === defaults)
    return defaultCount > limits.maxTags ? `${defaultCount} tags, the limit is ${limits.maxTags}` : undefined;
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra))
    return `${metric}: tags must be an object of string values`;
  let count = defaultCount;
  for (const k of Object.keys(extra)) {
    if (k.length === 0 || k === '__proto__')
      return `${metric}: tag key ${JSON.stringify(k)} is not allowed; tag keys must be non-empty names`;
    if (k.length > limits.maxTagKeyLength)
      return `${metric}: tag key is ${k.length} characters long, the limit is ${limits.maxTagKeyLength}`;
    const v: unknown = extra[k];
    if (typeof v !== 'string') return `${metric}: tag '${k}' must be a string, got ${v === null ? 'null' : typeof v}`;
    if (v.length > limits.maxTagValueLength)
      return `${metric}: tag '${k}' value is ${v.length} characters long, the limit is ${limits.maxTagValueLength}`;
    if (!hasOwn(defaults, k)) count++;
  }
  return count > limits.maxTags ? `${metric}: ${count} tags, the limit is ${limits.maxTags}` : undefined;
}

/** defaults ∪ extra (extra wins), sharing `defaults` or `extra` when one side is empty. */
export function mergeTags(
  defaults: Record<string, string>,
  defaultCount: number,
  extra: Record<string, string>,
): Record<string, string> {
  if (extra === defaults || defaultCount === 0) return extra;
  for (const _ in extra) return { ...defaults, ...extra };
  return defaults;
}
