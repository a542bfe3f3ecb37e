/**
 * Telemetry validation beyond types: presence, finiteness, ranges and sizes. Returns the
 * error as a value (no throw on the hot path): a bad record is routed to the DLQ.
 */
import { InputError } from '../errors';
import type { Telemetry } from '../model/telemetry';
import { parseIsoTimestamp } from './iso-time';
import type { TelemetryLimits } from './limits';

const NON_FINITE_TEXT = /^\s*[+-]?(nan|inf|infinity)\s*$/i;
const REQUIRED = 'telemetry needs ts (epoch ms), source, metric and value';

/** Short rendering of an offending value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function isoOf(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : 'beyond the Date range';
}

function missing(field: string, value: null | undefined): InputError {
  const what = value === null ? 'is null' : 'is missing';
  return new InputError('MISSING_FIELD', `field '${field}' ${what}; ${REQUIRED}`, { field });
}

function checkTs(raw: unknown, limits: TelemetryLimits): number | InputError {
  let ts: number;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) {
      return new InputError(
        'INVALID_FIELD',
        `field 'ts' must be an integer number of epoch milliseconds, got ${describeValue(raw)}`,
        { field: 'ts' },
      );
    }
    ts = raw;
  } else if (typeof raw === 'string') {
    const parsed = parseIsoTimestamp(raw);
    if (parsed === undefined) {
      return new InputError(
        'INVALID_FIELD',
        `field 'ts' must be epoch milliseconds or an ISO-8601 date-time with a zone (e.g. 2024-05-01T12:00:00Z), got ${describeValue(raw)}`,
        { field: 'ts' },
      );
    }
    ts = parsed;
  } else if (raw === undefined || raw === null) {
    return missing('ts', raw);
  } else {
    return new InputError(
      'INVALID_FIELD',
      `field 'ts' must be a number (epoch ms) or an ISO-8601 string, got ${describeValue(raw)}`,
      { field: 'ts' },
    );
  }
  if (ts < limits.minTs || ts > limits.maxTs) {
    const seconds = ts * 1000 >= limits.minTs && ts * 1000 <= limits.maxTs;
    return new InputError(
      'TS_OUT_OF_RANGE',
      `field 'ts' is ${ts} (${isoOf(ts)}), outside the accepted range [${isoOf(limits.minTs)}, ${isoOf(limits.maxTs)}]` +
        (seconds ? '; it looks like epoch seconds, send milliseconds' : ''),
      { field: 'ts' },
    );
  }
  return ts;
}

function checkName(field: 'source' | 'metric', raw: unknown, max: number): string | InputError {
  if (typeof raw !== 'string') {
    if (raw === undefined || raw === null) return missing(field, raw);
    return new InputError('INVALID_FIELD', `field '${field}' must be a non-empty string, got ${describeValue(raw)}`, {
      field,
    });
  }
  if (raw.length === 0) {
    return new InputError('INVALID_FIELD', `field '${field}' must be a non-empty string, got ""`, { field });
  }
  if (raw.length > max) {
    return new InputError('INVALID_FIELD', `field '${field}' is ${raw.length} characters long, the limit is ${max}`, {
      field,
    });
  }
  return raw;
}

function checkValue(raw: unknown): number | InputError {
  if (typeof raw === 'number') {
    if (Number.isFinite(raw)) return raw;
    return new InputError('NON_FINITE_VALUE', `field 'value' must be a finite number, got ${describeValue(raw)}`, {
      field: 'value',
    });
  }
  if (raw === undefined || raw === null) return missing('value', raw);
  const code = typeof raw === 'string' && NON_FINITE_TEXT.test(raw) ? 'NON_FINITE_VALUE' : 'INVALID_FIELD';
  return new InputError(code, `field 'value' must be a finite number, got ${describeValue(raw)}`, { field: 'value' });
}

function tagField(key: string): string {
  return `tags.${key.length > 40 ? `${key.slice(0, 40)}…` : key}`;
}

function checkTags(raw: unknown, limits: TelemetryLimits): Record<string, string> | InputError {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return new InputError(
      'INVALID_FIELD',
      `field 'tags' must be an object of string values, got ${describeValue(raw)}`,
      { field: 'tags' },
    );
  }
  const tags = raw as Record<string, unknown>;
  const keys = Object.keys(tags);
  if (keys.length > limits.maxTags) {
    return new InputError('TOO_MANY_TAGS', `record has ${keys.length} tags, the limit is ${limits.maxTags}`, {
      field: 'tags',
    });
  }
  for (const key of keys) {
    if (key.length === 0 || key === '__proto__') {
      return new InputError(
        'INVALID_FIELD',
        `tag key ${JSON.stringify(key)} is not allowed; tag keys must be non-empty names`,
        { field: 'tags' },
      );
    }
    if (key.length > limits.maxTagKeyLength) {
      return new InputError(
        'TAG_TOO_LARGE',
        `tag key '${tagField(key).slice(5)}' is ${key.length} characters long, the limit is ${limits.maxTagKeyLength}`,
        { field: tagField(key) },
      );
    }
    const value = tags[key];
    if (typeof value !== 'string') {
      return new InputError('INVALID_FIELD', `tag '${key}' must be a string, got ${describeValue(value)}`, {
        field: tagField(key),
      });
    }
    if (value.length > limits.maxTagValueLength) {
      return new InputError(
        'TAG_TOO_LARGE',
        `tag '${key}' value is ${value.length} characters long, the limit is ${limits.maxTagValueLength}`,
        { field: tagField(key) },
      );
    }
  }
  return tags as Record<string, string>;
}

/**
 * Validate a decoded object (from JSON or Avro) and return a fresh Telemetry with fields
 * in schema order, or the first problem found as an InputError. Unknown fields are
 * ignored, so producers may add fields before the schema does.
 */
export function validateTelemetry(raw: Record<string, unknown>, limits: TelemetryLimits): Telemetry | InputError {
  const ts = checkTs(raw.ts, limits);
  if (typeof ts !== 'number') return ts;
  const source = checkName('source', raw.source, limits.maxSourceLength);
  if (typeof source !== 'string') return source;
  const metric = checkName('metric', raw.metric, limits.maxMetricLength);
  if (typeof metric !== 'string') return metric;
  const value = checkValue(raw.value);
  if (typeof value !== 'number') return value;
  const tags = checkTags(raw.tags, limits);
  if (tags instanceof InputError) return tags;
  return { ts, source, metric, value, tags };
}
