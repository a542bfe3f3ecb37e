/**
 * The telemetry hot path for Avro: one bounded pass over the body that reads, checks and
 * validates a record written with homeostat's own telemetry schema, instead of three (the
 * guard's pre-scan, avsc's decode, then validateTelemetry's checks and copy).
 *
 * It only ever answers "valid, here it is" or "not sure": anything unusual — a field out of
 * the limits, a non-finite value, a truncated or overlong body, an odd tag key, a duplicate
 * key, an overlong varint — returns undefined, and the record takes the general path
 * (decoder-core.ts), which finds the same record valid or names the problem exactly as
 * before. So its result is, by construction, the one the general path gives: the same fields
 * in the same order, the tags a plain object filled in wire order as avsc fills it
 * (test/unit/codec/telemetry-avro-fast.test.ts compares both on valid and corrupt bodies) —
 * frozen, and shared by a source's records while its tag bytes stay the same (tags-memo.ts).
 *
 * Bounded: every length is checked against the bytes present before it is read, and the tag
 * loop ends after `maxTags` entries, so a hostile body costs O(min(size, maxTags)).
 * Encoding: https://avro.apache.org/docs/1.11.1/specification/#binary-encoding
 */
import type { Telemetry } from '../model/telemetry';
import { internAscii, lastIntern } from './ascii-intern';
import type { TelemetryLimits } from './limits';
import { createTagsMemo } from './tags-memo';

// Read state. The read is synchronous and never re-entered, so module-level state is safe
// and saves an allocation per record (as avro-guard.ts does).
const EMPTY = Buffer.alloc(0);
let buf: Buffer = EMPTY;
let pos = 0;
/** Where the body ends: the value's end, which may lie inside a larger buffer (the fetch's). */
let end = 0;
const memo = createTagsMemo();
const intern = lastIntern;

/** Zig-zag varint as a float (exact up to 2^53); NaN when truncated or longer than 10 bytes. */
function readLong(): number {
  if (pos >= end) return NaN;
  const first = buf[pos++];
  // One byte: every length and count of a usual record.
  if ((first & 0x80) === 0) return (first & 1) === 0 ? first >>> 1 : -((first + 1) >>> 1);
  let value = first & 0x7f;
  let scale = 128;
  for (let i = 1; i < 10 && pos < end; i++) {
    const b = buf[pos++];
    value += (b & 0x7f) * scale;
    // The sign is the first byte's low bit: `value % 2` on a double beyond 2^31 is a slow fmod.
    if ((b & 0x80) === 0) return (first & 1) === 0 ? value / 2 : -(value + 1) / 2;
    scale *= 128;
  }
  return NaN;
}

/** A non-empty string of at most `max` UTF-16 units, as avsc decodes it (UTF-8, interned); undefined otherwise. */
function readString(max: number): string | undefined {
  const len = readLong();
  // NaN fails both comparisons' negation below, so it is caught by the first test.
  if (!(len > 0) || len > end - pos) return undefined;
  const s = internAscii(buf, pos, len);
  pos += len;
  return s.length <= max ? s : undefined;
}

/** The tags map: blocks of (count[, byte size], entries), a zero count ends it. */
function readTags(limits: TelemetryLimits): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  let seen = 0;
  for (;;) {
    let count = readLong();
    if (Number.isNaN(count)) return undefined;
    if (count === 0) return tags;
    if (count < 0) {
      count = -count;
      if (!(readLong() >= 0)) return undefined;
    }
    seen += count;
    if (seen > limits.maxTags) return undefined;
    for (let i = 0; i < count; i++) {
      const key = readString(limits.maxTagKeyLength);
      // '__proto__' is not an own key once assigned, and a repeated key would be counted
      // once by validateTelemetry: both are for the general path to judge.
      if (key === undefined || key === '__proto__' || Object.hasOwn(tags, key)) return undefined;
      const value = readValueString(limits.maxTagValueLength);
      if (value === undefined) return undefined;
      tags[key] = value;
    }
  }
}

/** A tag value: may be empty, at most `max` UTF-16 units. */
function readValueString(max: number): string | undefined {
  const len = readLong();
  if (!(len >= 0) || len > end - pos) return undefined;
  const s = len === 0 ? '' : internAscii(buf, pos, len);
  pos += len;
  return s.length <= max ? s : undefined;
}

function readBody(limits: TelemetryLimits): Telemetry | undefined {
  const ts = readLong();
  if (!(ts >= limits.minTs && ts <= limits.maxTs)) return undefined;
  const source = readString(limits.maxSourceLength);
  if (source === undefined) return undefined;
  const sourceSlot = intern.slot;
  const metric = readString(limits.maxMetricLength);
  if (metric === undefined || end - pos < 8) return undefined;
  const value = buf.readDoubleLE(pos);
  pos += 8;
  if (!Number.isFinite(value)) return undefined;
  // The tags run to the end of the body: the same bytes as the source's last ones, the same tags.
  const start = pos;
  let tags: Record<string, string> | undefined;
  if (memo.recall(buf, start, end, source, sourceSlot, limits) === end) tags = memo.tags;
  else {
    tags = readTags(limits);
    if (tags === undefined || pos !== end) return undefined;
    tags = memo.remember(buf, start, pos, source, sourceSlot, limits, tags);
  }
  return { ts, source, metric, value, tags };
}

/**
 * The valid telemetry record in `bytes[start..]` (written with the reader's own schema), or
 * undefined when the general path must decide. Never throws.
 */
export function readTelemetryFast(
  bytes: Buffer,
  start: number,
  limits: TelemetryLimits,
  stop: number = bytes.length,
): Telemetry | undefined {
  buf = bytes;
  pos = start;
  end = stop;
  try {
    return readBody(limits);
  } finally {
    buf = EMPTY;
  }
}
