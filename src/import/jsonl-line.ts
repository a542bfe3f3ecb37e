/**
 * One JSONL line → a Telemetry record: an object with the telemetry record's field names
 * (`ts`, `source`, `metric`, `value`, `tags`), `ts` as epoch ms or an ISO date-time string.
 * Fields missing from the line are taken from the mapping; other keys are ignored.
 */
import type { Telemetry } from '../model/telemetry';
import { parseTimestamp, TIMESTAMP_SHAPES } from './timestamp';
import type { CsvRowError } from './csv-layout';

export interface JsonlDefaults {
  source: string | undefined;
  metric: string | undefined;
  tags: Record<string, string>;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one JSONL line (before any value scaling or time shift). */
export function parseJsonlLine(text: string, defaults: JsonlDefaults): Telemetry | CsvRowError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { reason: `not valid JSON (${err instanceof Error ? err.message : String(err)})`, code: 'INVALID_JSON' };
  }
  if (!isPlainObject(parsed)) return { reason: `expected a JSON object, found ${show(parsed)}`, code: 'INVALID_JSON' };

  const rawTs = parsed.ts;
  let ts: number;
  if (typeof rawTs === 'number') {
    if (!Number.isSafeInteger(rawTs))
      return { reason: `ts ${show(rawTs)} is not an integer epoch ms`, code: 'INVALID_FIELD' };
    ts = rawTs;
  } else if (typeof rawTs === 'string') {
    ts = parseTimestamp(rawTs, 'ms');
    if (Number.isNaN(ts))
      return { reason: `ts ${show(rawTs)} is not a date-time (expected ${TIMESTAMP_SHAPES})`, code: 'INVALID_FIELD' };
  } else if (rawTs === undefined) {
    return { reason: 'ts is missing', code: 'MISSING_FIELD' };
  } else {
    return { reason: `ts ${show(rawTs)} is neither epoch ms nor an ISO date-time string`, code: 'INVALID_FIELD' };
  }

  const source = parsed.source ?? defaults.source;
  if (source === undefined)
    return { reason: 'source is missing (give it on the line or with --source)', code: 'MISSING_FIELD' };
  if (typeof source !== 'string' || source === '')
    return { reason: `source ${show(source)} is not a non-empty string`, code: 'INVALID_FIELD' };

  const metric = parsed.metric ?? defaults.metric;
  if (metric === undefined)
    return { reason: 'metric is missing (give it on the line or with --metric)', code: 'MISSING_FIELD' };
  if (typeof metric !== 'string' || metric === '')
    return { reason: `metric ${show(metric)} is not a non-empty string`, code: 'INVALID_FIELD' };

  const value = parsed.value;
  if (value === undefined) return { reason: 'value is missing', code: 'MISSING_FIELD' };
  if (typeof value !== 'number') return { reason: `value ${show(value)} is not a number`, code: 'INVALID_FIELD' };
  // JSON.parse turns 1e999 into Infinity.
  if (!Number.isFinite(value)) return { reason: `value ${String(value)} is not finite`, code: 'NON_FINITE_VALUE' };

  const tags: Record<string, string> = { ...defaults.tags };
  const rawTags = parsed.tags;
  if (rawTags !== undefined && rawTags !== null) {
    if (!isPlainObject(rawTags))
      return { reason: `tags ${show(rawTags)} is not an object of strings`, code: 'INVALID_FIELD' };
    for (const key of Object.keys(rawTags)) {
      const v = rawTags[key];
      // Assigning '__proto__' would silently drop the tag (or swap the prototype), so refuse it.
      if (key === '__proto__') return { reason: "tag key '__proto__' is not allowed", code: 'INVALID_FIELD' };
      if (typeof v !== 'string') return { reason: `tag '${key}' is ${show(v)}, not a string`, code: 'INVALID_FIELD' };
      tags[key] = v;
    }
  }
  return { ts, source, metric, value, tags };
}
