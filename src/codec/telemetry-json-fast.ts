/**
 * The telemetry hot path for JSON: one pass over the bytes that reads, checks and validates
 * a plain telemetry object — the five fields once each in any order, ASCII strings without
 * escapes, JSON whitespace anywhere between tokens — instead of JSON.parse and then
 * validateTelemetry's checks and copy.
 *
 * As the Avro reader (telemetry-avro-fast.ts), it only answers "valid, here it is" or "not
 * sure": an escape, a non-ASCII byte, an unknown or repeated field, a tag that is not a
 * string, a number JSON.parse would read differently or refuse, anything out of the limits,
 * returns undefined, and the record takes the general path (decoder-core.ts), which accepts
 * or refuses it exactly as before. The record it gives is the one JSON.parse then
 * validateTelemetry give: same values, tags in the same key order
 * (test/unit/codec/telemetry-json-fast.test.ts compares both). Names are interned
 * (ascii-intern.ts); a source's tags, read after its name, are frozen and shared by its
 * records while their bytes stay the same (tags-memo.ts). Bounded: one step per byte, and at most `maxTags` tags.
 */
import type { Telemetry } from '../model/telemetry';
import { FNV_PRIME as PRIME, FNV_START as START, internHashed, lastIntern } from './ascii-intern';
import type { TelemetryLimits } from './limits';
import { createTagsMemo } from './tags-memo';

// Module-local copies of the hash's constants: read per byte, and an imported binding may be
// a getter call (esbuild's CommonJS output, which tsx runs).
const FNV_PRIME: number = PRIME;
const FNV_START: number = START;
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const BACKSLASH = 0x5c;

// Read state: synchronous and never re-entered (see telemetry-avro-fast.ts).
const EMPTY = Buffer.alloc(0);
let buf: Buffer = EMPTY;
let pos = 0;
/**
 * Where the value ends: it may lie inside a larger buffer (the fetch's). The loops stop here;
 * a byte compared at or past it can only move `pos` past it, and a record is accepted only
 * with `pos` at it, so what lies beyond never makes a record valid.
 */
let valueEnd = 0;
const memo = createTagsMemo();
const intern = lastIntern;

function skipWs(): void {
  while (pos < valueEnd) {
    const b = buf[pos];
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return;
    pos++;
  }
}

/** Skips whitespace, then the byte `b`; false when another byte (or the end) is there. */
function expect(b: number): boolean {
  skipWs();
  if (buf[pos] !== b) return false;
  pos++;
  return true;
}

/** A string of printable ASCII without escapes, at most `max` long; undefined otherwise. */
function readString(max: number): string | undefined {
  if (!expect(QUOTE)) return undefined;
  const start = pos;
  let h = FNV_START;
  while (pos < valueEnd) {
    const b = buf[pos];
    if (b === QUOTE) {
      const len = pos - start;
      pos++;
      return len <= max ? (len === 0 ? '' : internHashed(buf, start, len, h)) : undefined;
    }
    // Escapes, control characters (which JSON refuses) and non-ASCII: the general path.
    if (b === BACKSLASH || b < 0x20 || b >= 0x7f) return undefined;
    // fnvStep written out: a call per byte costs more than the byte's work.
    h = Math.imul(h ^ b, FNV_PRIME);
    pos++;
  }
  return undefined;
}

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

function skipDigits(): number {
  const start = pos;
  while (pos < valueEnd && isDigit(buf[pos])) pos++;
  return pos - start;
}

/**
 * Most significant digits of a number read here: the language leaves the rounding of longer
 * ones to the engine (ECMA-262 StringToNumber), so JSON.parse and Number() might differ.
 * Shortest round-trip output (JSON.stringify) never has more than 17.
 */
const MAX_SIGNIFICANT = 20;
/** Most characters of a number read here (a bound on the digit count). */
const MAX_NUMBER_TEXT = 32;

/** A number in JSON's grammar, as JSON.parse reads it; NaN when the text is not one (or too long). */
function readNumber(): number {
  skipWs();
  const start = pos;
  if (buf[pos] === MINUS) pos++;
  const int = skipDigits();
  // JSON allows no leading zero before more digits ("01").
  if (int === 0 || (int > 1 && buf[pos - int] === 0x30)) return NaN;
  const b = buf[pos];
  if (b !== 0x2e && b !== 0x65 && b !== 0x45 && int <= 15) return integerAt(start, pos);
  let mantissaEnd = pos;
  if (buf[pos] === 0x2e) {
    pos++;
    const frac = skipDigits();
    if (frac === 0) return NaN;
    mantissaEnd = pos;
    const e = buf[pos];
    if (e !== 0x65 && e !== 0x45 && int + frac <= 15) return decimalAt(start, pos, frac);
  }
  if (buf[pos] === 0x65 || buf[pos] === 0x45) {
    pos++;
    if (buf[pos] === 0x2b || buf[pos] === MINUS) pos++;
    if (skipDigits() === 0) return NaN;
  }
  if (pos - start > MAX_NUMBER_TEXT || significantDigits(start, mantissaEnd) > MAX_SIGNIFICANT) return NaN;
  // The grammar is checked: Number() now reads the text as JSON.parse does.
  return Number(buf.toString('latin1', start, pos));
}

/** Significant digits of the mantissa in `[start, end)`: from the first non-zero digit to the last. */
function significantDigits(start: number, end: number): number {
  let n = 0;
  let upToLastNonZero = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (!isDigit(b) || (n === 0 && b === 0x30)) continue;
    n++;
    if (b !== 0x30) upToLastNonZero = n;
  }
  return upToLastNonZero;
}

/**
 * Powers of ten, exact as doubles up to 10^22
 * (https://www.exploringbinary.com/fast-path-decimal-to-floating-point-conversion/).
 */
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * A decimal `i.f` of at most 15 digits in all: its digits as an integer (exact, < 2^53)
 * divided by 10^frac (exact) is, by IEEE division's correct rounding, the correctly rounded
 * value JSON.parse gives (the fast path of Clinger's algorithm). `-0.0` is -0 as there.
 */
function decimalAt(start: number, end: number, frac: number): number {
  const negative = buf[start] === MINUS;
  let v = 0;
  for (let i = negative ? start + 1 : start; i < end; i++) {
    const b = buf[i];
    if (b !== 0x2e) v = v * 10 + (b - 0x30);
  }
  const x = v / POW10[frac];
  return negative ? -x : x;
}

/** An integer of at most 15 digits (so exact), as JSON.parse reads it: `-0` is -0. */
function integerAt(start: number, end: number): number {
  const negative = buf[start] === MINUS;
  let v = 0;
  for (let i = negative ? start + 1 : start; i < end; i++) v = v * 10 + (buf[i] - 0x30);
  return negative ? -v : v;
}

/** The tags object; undefined for anything validateTelemetry or JSON.parse could see otherwise. */
function readTags(limits: TelemetryLimits): Record<string, string> | undefined {
  if (!expect(OPEN)) return undefined;
  const tags: Record<string, string> = {};
  if (expect(CLOSE)) return tags;
  for (let n = 1; n <= limits.maxTags; n++) {
    const key = readString(limits.maxTagKeyLength);
    // '__proto__' and a repeated key are the general path's to judge (as in the Avro reader).
    if (key === undefined || key === '' || key === '__proto__' || Object.hasOwn(tags, key)) return undefined;
    if (!expect(COLON)) return undefined;
    const value = readString(limits.maxTagValueLength);
    if (value === undefined) return undefined;
    tags[key] = value;
    skipWs();
    if (buf[pos] === CLOSE) {
      pos++;
      return tags;
    }
    if (buf[pos++] !== COMMA) return undefined;
  }
  return undefined;
}

/**
 * The fields of the record being read, reset by each read: module state as `buf` and `pos`,
 * so that a record costs no object of its own besides the Telemetry it gives.
 */
let fTs = NaN;
let fSource: string | undefined;
/** The source's string-table slot (tags-memo.ts), -1 when unknown. */
let fSourceSlot = -1;
let fMetric: string | undefined;
let fValue = NaN;
let fTags: Record<string, string> | undefined;

/**
 * The tags of the record being read: when its source came first and these bytes are the ones
 * it sent last, the tags read from them then (tags-memo.ts), else read now and remembered.
 */
function readTagsOf(limits: TelemetryLimits): Record<string, string> | undefined {
  skipWs();
  const start = pos;
  const source = fSource;
  if (source === undefined) return readTags(limits);
  const after = memo.recall(buf, start, valueEnd, source, fSourceSlot, limits);
  if (after >= 0) {
    pos = after;
    return memo.tags;
  }
  const tags = readTags(limits);
  return tags === undefined ? undefined : memo.remember(buf, start, pos, source, fSourceSlot, limits, tags);
}

const TS = 0;
const SOURCE = 1;
const METRIC = 2;
const VALUE = 3;
const TAGS = 4;
/**
 * The field whose quoted name is next (after whitespace), with `pos` after its closing quote;
 * -1 otherwise. A key is matched on its bytes instead of read as a string: no hash, no
 * string-table look-up and no string compare for five names per record. Any other key (an
 * escape, another name, a prefix of one) matches none, as the string compare refused it
 * before, and the general path judges it. The bytes are compared as constants, the first one
 * telling the names apart (`t` is ts or tags).
 */
function readKey(): number {
  if (!expect(QUOTE)) return -1;
  const p = pos;
  // The compares read up to 7 bytes from p. A key fewer than 8 bytes from the end (at most a
  // `ts` of two digits or fewer fits there) leaves the record to the general path, which judges it.
  if (p + 8 > valueEnd) return -1;
  switch (buf[p]) {
    case 0x74: // t
      if (buf[p + 1] === 0x73 && buf[p + 2] === QUOTE) return keyOf(TS, 3);
      if (buf[p + 1] === 0x61 && buf[p + 2] === 0x67 && buf[p + 3] === 0x73 && buf[p + 4] === QUOTE)
        return keyOf(TAGS, 5);
      return -1;
    case 0x73: // source
      return buf[p + 1] === 0x6f &&
        buf[p + 2] === 0x75 &&
        buf[p + 3] === 0x72 &&
        buf[p + 4] === 0x63 &&
        buf[p + 5] === 0x65 &&
        buf[p + 6] === QUOTE
        ? keyOf(SOURCE, 7)
        : -1;
    case 0x6d: // metric
      return buf[p + 1] === 0x65 &&
        buf[p + 2] === 0x74 &&
        buf[p + 3] === 0x72 &&
        buf[p + 4] === 0x69 &&
        buf[p + 5] === 0x63 &&
        buf[p + 6] === QUOTE
        ? keyOf(METRIC, 7)
        : -1;
    case 0x76: // value
      return buf[p + 1] === 0x61 &&
        buf[p + 2] === 0x6c &&
        buf[p + 3] === 0x75 &&
        buf[p + 4] === 0x65 &&
        buf[p + 5] === QUOTE
        ? keyOf(VALUE, 6)
        : -1;
    default:
      return -1;
  }
}

/** Field `key`, whose name and quote took `n` bytes: moves past them. */
function keyOf(key: number, n: number): number {
  pos += n;
  return key;
}

/** Reads the value of field `key`; false when it is repeated or not valid. */
function readField(key: number, limits: TelemetryLimits): boolean {
  switch (key) {
    case TS:
      if (!Number.isNaN(fTs)) return false;
      fTs = readNumber();
      return Number.isInteger(fTs) && fTs >= limits.minTs && fTs <= limits.maxTs;
    case SOURCE:
      if (fSource !== undefined) return false;
      fSource = readString(limits.maxSourceLength);
      fSourceSlot = intern.slot;
      return fSource !== undefined && fSource !== '';
    case METRIC:
      if (fMetric !== undefined) return false;
      fMetric = readString(limits.maxMetricLength);
      return fMetric !== undefined && fMetric !== '';
    case VALUE:
      if (!Number.isNaN(fValue)) return false;
      fValue = readNumber();
      return Number.isFinite(fValue);
    case TAGS:
      if (fTags !== undefined) return false;
      fTags = readTagsOf(limits);
      return fTags !== undefined;
    default:
      return false;
  }
}

function readObject(limits: TelemetryLimits): Telemetry | undefined {
  if (!expect(OPEN)) return undefined;
  for (let n = 0; n < 5; n++) {
    const key = readKey();
    if (key < 0 || !expect(COLON) || !readField(key, limits)) return undefined;
    skipWs();
    if (buf[pos] === CLOSE) break;
    if (buf[pos++] !== COMMA) return undefined;
  }
  if (!expect(CLOSE)) return undefined;
  skipWs();
  if (pos !== valueEnd || fSource === undefined || fMetric === undefined) return undefined;
  if (Number.isNaN(fTs) || Number.isNaN(fValue)) return undefined;
  // Absent tags are {} after validateTelemetry, as here.
  return { ts: fTs, source: fSource, metric: fMetric, value: fValue, tags: fTags ?? {} };
}

/**
 * The valid telemetry record in `bytes[start..]` (`start` at its first non-whitespace byte),
 * or undefined when the general path must decide. Never throws.
 */
export function readTelemetryJsonFast(
  bytes: Buffer,
  start: number,
  limits: TelemetryLimits,
  stop: number = bytes.length,
): Telemetry | undefined {
  buf = bytes;
  pos = start;
  valueEnd = stop;
  fTs = NaN;
  fSource = undefined;
  fSourceSlot = -1;
  fMetric = undefined;
  fValue = NaN;
  fTags = undefined;
  try {
    return readObject(limits);
  } finally {
    // Nothing of this record is retained between reads.
    buf = EMPTY;
    fSource = fMetric = undefined;
    fTags = undefined;
  }
}
