/**
 * InfluxDB line protocol, as Telegraf's Kafka output writes it (data_format = "influx"):
 *
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp]
 *
 * Rules from the line protocol reference
 * (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/):
 * - a backslash escapes `,` and space in measurements; `,` `=` and space in tag keys, tag
 *   values and field keys; `"` and `\` in string field values. `\\` is one backslash;
 *   a backslash before any other character is literal (so Telegraf's `\n` stays `\n`);
 * - floats by default (`1`, `1.0`, `-1.2e+78`), integers with `i`, unsigned with `u`,
 *   booleans t/T/true/True/TRUE and f/F/false/False/FALSE, strings double-quoted;
 * - `#` starts a comment line; blank lines are ignored; the timestamp is optional.
 *
 * Mapping: each numeric or boolean field is a sample (booleans as 1/0); metric =
 * `<measurement>.<field>`, or just the measurement for a field named `value`; string
 * fields are skipped and counted (they are not measurements). Tags stay tags except the
 * one that becomes `source` (options.sourceTags, default `source` then `host`).
 * A record maps whole or not at all: a malformed line makes it an InputError naming the line.
 */
import { validateTelemetry, type TelemetryLimits } from '../codec';
import { InputError } from '../errors';
import type { Telemetry } from '../model/telemetry';
import type { InfluxIngestOptions, InfluxPrecision } from './options';

export type FieldValue =
  | { type: 'float' | 'integer' | 'uinteger'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'string'; value: string };

export interface InfluxPoint {
  measurement: string;
  tags: [string, string][];
  fields: [string, FieldValue][];
  /** The timestamp digits as written (precision not applied), or undefined. */
  timestamp: string | undefined;
  /** 1-based line number in the record. */
  line: number;
}

const SPACE = 0x20;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const HASH = 0x23;

class LineError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

interface Cursor {
  s: string;
  i: number;
  /** End of the current line (index of '\n' or s.length). */
  end: number;
  lineStart: number;
}

/**
 * Reads an escaped name up to an unescaped stop character. `escapable` are the characters a
 * backslash escapes here (besides the backslash itself).
 */
function readName(c: Cursor, stops: readonly number[], escapable: readonly number[], what: string): string {
  let out = '';
  let from = c.i;
  while (c.i < c.end) {
    const ch = c.s.charCodeAt(c.i);
    if (ch === BACKSLASH && c.i + 1 < c.end) {
      const next = c.s.charCodeAt(c.i + 1);
      if (next === BACKSLASH || escapable.includes(next)) {
        out += c.s.slice(from, c.i) + c.s[c.i + 1];
        c.i += 2;
        from = c.i;
        continue;
      }
    }
    if (stops.includes(ch)) break;
    c.i++;
  }
  out += c.s.slice(from, c.i);
  if (out === '') throw new LineError(`${what} is empty`, c.i - c.lineStart);
  if (out.length > MAX_NAME_LENGTH)
    throw new LineError(`${what} is ${out.length} characters long; at most ${MAX_NAME_LENGTH}`, c.i - c.lineStart);
  return out;
}

// A Map, not an object literal: `toString` or `constructor` must not read as a boolean.
const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['t', true],
  ['T', true],
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['f', false],
  ['F', false],
  ['false', false],
  ['False', false],
  ['FALSE', false],
]);
const INTEGER = /^[+-]?\d+i$/;
const UINTEGER = /^\d+u$/;
/**
 * Longest unquoted field value (a number or boolean). A float64 needs at most 24
 * characters in shortest form; writers that print 17 significant digits plus an exponent
 * stay under 40. Anything longer is refused before it is scanned further.
 */
export const MAX_NUMBER_TEXT = 64;
/** Longest measurement, tag key, tag value or field key, in UTF-16 code units (telemetry limits are tighter). */
export const MAX_NAME_LENGTH = 4096;
/** Longest quoted string field value: skipped anyway, but never buffered without bound. */
export const MAX_STRING_FIELD_LENGTH = 65536;

function isDigit(ch: number): boolean {
  return ch >= 0x30 && ch <= 0x39;
}

/** Index after a run of digits from `i`. */
function skipDigits(s: string, i: number): number {
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/**
 * True when `s` is a line-protocol float: [+-] (digits [. digits?] | . digits) [(e|E) [+-] digits].
 * One left-to-right pass, no backtracking: linear in the length of `s` (a regular expression
 * with nested optional digit runs was quadratic on a long run of digits).
 */
export function isFloatText(s: string): boolean {
  let i = 0;
  if (s.charCodeAt(i) === 0x2b || s.charCodeAt(i) === 0x2d) i++;
  const intEnd = skipDigits(s, i);
  let mantissaDigits = intEnd - i;
  i = intEnd;
  if (s.charCodeAt(i) === 0x2e) {
    const fracEnd = skipDigits(s, i + 1);
    mantissaDigits += fracEnd - (i + 1);
    i = fracEnd;
  }
  if (mantissaDigits === 0) return false;
  if (s.charCodeAt(i) === 0x65 || s.charCodeAt(i) === 0x45) {
    i++;
    if (s.charCodeAt(i) === 0x2b || s.charCodeAt(i) === 0x2d) i++;
    const expEnd = skipDigits(s, i);
    if (expEnd === i) return false;
    i = expEnd;
  }
  return i === s.length;
}
const INT64_MAX = 9223372036854775807n;
const UINT64_MAX = 18446744073709551615n;

function readFieldValue(c: Cursor): FieldValue {
  const col = c.i - c.lineStart;
  if (c.s.charCodeAt(c.i) === QUOTE) {
    c.i++;
    let out = '';
    let from = c.i;
    // A quoted string may span lines (the reference forbids it, InfluxDB's parser allows it).
    const opened = c.i;
    while (c.i < c.s.length) {
      if (c.i - opened > MAX_STRING_FIELD_LENGTH)
        throw new LineError(`string field value is longer than ${MAX_STRING_FIELD_LENGTH} characters`, col);
      const ch = c.s.charCodeAt(c.i);
      if (
        ch === BACKSLASH &&
        c.i + 1 < c.s.length &&
        (c.s.charCodeAt(c.i + 1) === QUOTE || c.s.charCodeAt(c.i + 1) === BACKSLASH)
      ) {
        out += c.s.slice(from, c.i) + c.s[c.i + 1];
        c.i += 2;
        from = c.i;
        continue;
      }
      if (ch === QUOTE) {
        out += c.s.slice(from, c.i);
        c.i++;
        if (c.i > c.end) c.end = lineEnd(c.s, c.i);
        return { type: 'string', value: out };
      }
      c.i++;
    }
    throw new LineError('string field value has no closing double quote', col);
  }
  const start = c.i;
  while (c.i < c.end) {
    const ch = c.s.charCodeAt(c.i);
    if (ch === COMMA || ch === SPACE) break;
    c.i++;
  }
  const text = c.s.slice(start, c.i);
  if (text === '') throw new LineError('field value is empty', col);
  if (text.length > MAX_NUMBER_TEXT)
    throw new LineError(
      `field value is ${text.length} characters long; a number or boolean is at most ${MAX_NUMBER_TEXT}`,
      col,
    );
  const bool = BOOLEANS.get(text);
  if (bool !== undefined) return { type: 'boolean', value: bool };
  if (INTEGER.test(text)) {
    const big = BigInt(text.slice(0, -1));
    if (big > INT64_MAX || big < -INT64_MAX - 1n)
      throw new LineError(`integer ${text} is outside the int64 range`, col);
    return { type: 'integer', value: Number(big) };
  }
  if (UINTEGER.test(text)) {
    const big = BigInt(text.slice(0, -1));
    if (big > UINT64_MAX) throw new LineError(`unsigned integer ${text} is outside the uint64 range`, col);
    return { type: 'uinteger', value: Number(big) };
  }
  if (isFloatText(text)) {
    const value = Number(text);
    if (!Number.isFinite(value)) throw new LineError(`float ${text} is out of range`, col);
    return { type: 'float', value };
  }
  throw new LineError(
    `field value ${JSON.stringify(text.slice(0, 40))} is not a number, integer (1i), unsigned (1u), boolean or quoted string`,
    col,
  );
}

function lineEnd(s: string, from: number): number {
  const n = s.indexOf('\n', from);
  return n < 0 ? s.length : n;
}

function parseLine(c: Cursor, lineNo: number): InfluxPoint {
  const measurement = readName(c, [COMMA, SPACE], [COMMA, SPACE], 'measurement');
  const tags: [string, string][] = [];
  while (c.i < c.end && c.s.charCodeAt(c.i) === COMMA) {
    c.i++;
    const key = readName(c, [EQUALS, COMMA, SPACE], [COMMA, EQUALS, SPACE], 'tag key');
    if (c.s.charCodeAt(c.i) !== EQUALS || c.i >= c.end)
      throw new LineError(`tag ${JSON.stringify(key)} has no '=value'`, c.i - c.lineStart);
    c.i++;
    // An unescaped '=' in a tag value is read literally, as InfluxDB's own parser does.
    tags.push([key, readName(c, [COMMA, SPACE], [COMMA, EQUALS, SPACE], `value of tag ${JSON.stringify(key)}`)]);
  }
  if (c.i >= c.end || c.s.charCodeAt(c.i) !== SPACE)
    throw new LineError('no field set: a line needs at least one field after a space', c.i - c.lineStart);
  while (c.i < c.end && c.s.charCodeAt(c.i) === SPACE) c.i++;
  const fields: [string, FieldValue][] = [];
  for (;;) {
    const key = readName(c, [EQUALS, COMMA, SPACE], [COMMA, EQUALS, SPACE], 'field key');
    if (c.i >= c.end || c.s.charCodeAt(c.i) !== EQUALS)
      throw new LineError(`field ${JSON.stringify(key)} has no '=value'`, c.i - c.lineStart);
    c.i++;
    if (c.i >= c.end) throw new LineError(`field ${JSON.stringify(key)} has no value`, c.i - c.lineStart);
    fields.push([key, readFieldValue(c)]);
    if (c.i < c.end && c.s.charCodeAt(c.i) === COMMA) {
      c.i++;
      continue;
    }
    break;
  }
  let timestamp: string | undefined;
  if (c.i < c.end) {
    if (c.s.charCodeAt(c.i) !== SPACE)
      throw new LineError(`unexpected ${JSON.stringify(c.s[c.i])} after the field set`, c.i - c.lineStart);
    while (c.i < c.end && c.s.charCodeAt(c.i) === SPACE) c.i++;
    const start = c.i;
    while (c.i < c.end && c.s.charCodeAt(c.i) !== SPACE && c.s.charCodeAt(c.i) !== CR) c.i++;
    const text = c.s.slice(start, c.i);
    if (text !== '') {
      if (!/^-?\d{1,19}$/.test(text))
        throw new LineError(`timestamp ${JSON.stringify(text.slice(0, 40))} is not an integer`, start - c.lineStart);
      timestamp = text;
    }
    while (c.i < c.end && (c.s.charCodeAt(c.i) === SPACE || c.s.charCodeAt(c.i) === CR)) c.i++;
    if (c.i < c.end) throw new LineError('unexpected text after the timestamp', c.i - c.lineStart);
  }
  return { measurement, tags, fields, timestamp, line: lineNo };
}

/** Parses every line of `text`. Throws nothing: a malformed line is returned as an InputError. */
export function parseLineProtocol(text: string): InfluxPoint[] | InputError {
  const points: InfluxPoint[] = [];
  const c: Cursor = { s: text, i: 0, end: 0, lineStart: 0 };
  let lineNo = 0;
  while (c.i < text.length) {
    lineNo++;
    c.lineStart = c.i;
    c.end = lineEnd(text, c.i);
    let end = c.end;
    if (end > c.i && text.charCodeAt(end - 1) === CR) end--; // CRLF line endings
    c.end = end;
    while (c.i < c.end && (text.charCodeAt(c.i) === SPACE || text.charCodeAt(c.i) === TAB)) c.i++;
    if (c.i < c.end && text.charCodeAt(c.i) !== HASH) {
      try {
        points.push(parseLine(c, lineNo));
      } catch (err) {
        if (!(err instanceof LineError)) throw err;
        const line = text.slice(c.lineStart, lineEnd(text, c.lineStart));
        const shown = line.length > 120 ? `${line.slice(0, 120)}…` : line;
        return new InputError(
          'NOT_DECODABLE',
          `line protocol line ${lineNo}, column ${err.column + 1}: ${err.message}: ${JSON.stringify(shown)}`,
        );
      }
    }
    // Next line: after the '\n' that ends this one (a quoted string may have moved it).
    const nl = lineEnd(text, Math.max(c.i, c.end));
    c.i = nl + 1;
  }
  return points;
}

const PRECISION_DIGITS: Record<InfluxPrecision, number> = { ns: 6, us: 3, ms: 0, s: -3 };

/** Timestamp digits in `precision` → epoch ms (truncated toward zero), exact for any 19-digit value. */
export function timestampToMs(text: string, precision: InfluxPrecision): number {
  const neg = text.startsWith('-');
  const digits = neg ? text.slice(1) : text;
  const drop = PRECISION_DIGITS[precision];
  let ms: number;
  if (drop > 0) ms = digits.length <= drop ? 0 : Number(digits.slice(0, digits.length - drop));
  else ms = Number(digits) * 10 ** -drop;
  return neg ? -ms : ms;
}

export interface InfluxMapResult {
  values: Telemetry[];
  /** String fields skipped. */
  skipped: number;
}

/**
 * Maps parsed lines to samples. `recordTimestamp` (the Kafka record's timestamp, ms) stands
 * in for a missing line timestamp; without it such a line is an InputError.
 */
export function mapInfluxPoints(
  points: readonly InfluxPoint[],
  options: InfluxIngestOptions,
  limits: TelemetryLimits,
  maxSamples: number,
  recordTimestamp?: number,
): InfluxMapResult | InputError {
  const values: Telemetry[] = [];
  let skipped = 0;
  for (const p of points) {
    const where = `line protocol line ${p.line}`;
    let source = options.defaultSource;
    let sourceTag: string | undefined;
    for (const name of options.sourceTags) {
      const hit = p.tags.find(([k]) => k === name);
      if (hit) {
        source = hit[1];
        sourceTag = name;
        break;
      }
    }
    if (source === undefined) {
      return new InputError(
        'MISSING_FIELD',
        `${where}: no source: none of the tags ${options.sourceTags.join(', ')} is present and influx.defaultSource is not set`,
        { field: 'source' },
      );
    }
    const tags: Record<string, string> = {};
    for (const [k, v] of p.tags) if (k !== sourceTag && k !== '__proto__') tags[k] = v;
    let ts: number;
    if (p.timestamp !== undefined) ts = timestampToMs(p.timestamp, options.precision);
    else if (recordTimestamp !== undefined && Number.isFinite(recordTimestamp)) ts = recordTimestamp;
    else
      return new InputError(
        'MISSING_FIELD',
        `${where}: the line has no timestamp and no Kafka record timestamp was given`,
        { field: 'ts' },
      );
    for (const [field, fv] of p.fields) {
      if (fv.type === 'string') {
        skipped++;
        continue;
      }
      if (values.length >= maxSamples)
        return new InputError(
          'RECORD_TOO_LARGE',
          `${where}: the record maps to more than maxSamplesPerRecord (${maxSamples}) samples`,
        );
      const value = fv.type === 'boolean' ? (fv.value ? 1 : 0) : fv.value;
      const metric = field === 'value' ? p.measurement : `${p.measurement}.${field}`;
      const t = validateTelemetry({ ts, source, metric, value, tags }, limits);
      if (t instanceof InputError) return new InputError(t.code, `${where}: ${t.message}`, { field: t.field });
      values.push(t);
    }
  }
  return { values, skipped };
}

/** True when `b` is a byte a line-protocol record can start with (after blank lines). */
export function looksLikeLineProtocol(buf: Buffer): boolean {
  let i = 0;
  while (i < buf.length && (buf[i] === SPACE || buf[i] === TAB || buf[i] === NEWLINE || buf[i] === CR)) i++;
  if (i >= buf.length) return false;
  const b = buf[i];
  // Printable ASCII or a UTF-8 lead byte: measurement names are text.
  return (b > 0x20 && b < 0x7f && b !== QUOTE && b !== COMMA && b !== EQUALS) || (b >= 0xc2 && b <= 0xf4);
}
