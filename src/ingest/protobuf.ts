/**
 * A minimal protobuf wire-format reader: just what decoding OTLP metrics needs.
 * https://protobuf.dev/programming-guides/encoding/
 *
 * Every read is bounds-checked against the enclosing message and failures throw an
 * InputError (TRUNCATED or NOT_DECODABLE) that the OTLP decoder returns as a value; a
 * reader never reads past `end`, never allocates from a length it has not checked
 * against the bytes that are actually there, and never recurses deeper than MAX_DEPTH.
 */
import { isUtf8 } from 'node:buffer';
import { InputError } from '../errors';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Nesting bound for AnyValue arrays/kvlists: OTLP metrics need ~8 levels; this stops stack abuse. */
export const MAX_DEPTH = 32;

export interface ProtoReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  /** Message path for error messages, e.g. `resourceMetrics[0].scopeMetrics[1]`. */
  readonly path: string;
  readonly depth: number;
}

export function createProtoReader(buf: Buffer, start = 0, end = buf.length, path = 'request', depth = 0): ProtoReader {
  return { buf, pos: start, end, path, depth };
}

function truncated(r: ProtoReader, what: string): InputError {
  return new InputError(
    'TRUNCATED',
    `protobuf ${r.path}: ${what} runs past the end of its message (byte ${r.pos} of ${r.end})`,
  );
}

export function malformed(r: ProtoReader, what: string): InputError {
  return new InputError('NOT_DECODABLE', `protobuf ${r.path}: ${what} (byte ${r.pos})`);
}

/**
 * Reads a varint. Exact up to 2^53; longer varints (up to 10 bytes, 64 bits) go through
 * BigInt and are returned as the nearest double (`signed` reads two's complement int64).
 */
export function readVarint(r: ProtoReader, signed = false): number {
  const { buf, end } = r;
  let value = 0;
  let scale = 1;
  const start = r.pos;
  for (let i = 0; i < 7; i++) {
    if (r.pos >= end) throw truncated(r, 'a varint');
    const b = buf[r.pos++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
  // 8 to 10 bytes: values ≥ 2^49 (or negative int64), rare in metrics; exact through BigInt.
  r.pos = start;
  let big = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= end) throw truncated(r, 'a varint');
    const b = buf[r.pos++];
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) {
      const u = BigInt.asUintN(64, big);
      return Number(signed ? BigInt.asIntN(64, u) : u);
    }
    shift += 7n;
  }
  throw malformed(r, 'a varint is longer than 10 bytes');
}

/** An int64 varint as exact decimal text (attribute values: ids must not be rounded). */
export function readInt64Text(r: ProtoReader): string {
  const start = r.pos;
  const v = readVarint(r, true);
  if (r.pos - start < 8) return String(v);
  r.pos = start;
  let big = 0n;
  let shift = 0n;
  for (;;) {
    const b = r.buf[r.pos++];
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7n;
  }
  return BigInt.asIntN(64, big).toString();
}

/** A varint that must fit a non-negative safe integer (counts, lengths). */
export function readUint53(r: ProtoReader, what: string): number {
  const v = readVarint(r);
  if (!Number.isSafeInteger(v)) throw malformed(r, `${what} ${v} exceeds 2^53`);
  return v;
}

/** sint32/sint64, zigzag-encoded. */
export function readSint(r: ProtoReader): number {
  const v = readVarint(r);
  // (n >>> 1) ^ -(n & 1), in double arithmetic so it works beyond 32 bits.
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
}

export function readTag(r: ProtoReader): { field: number; wire: number } {
  const key = readVarint(r);
  const field = Math.floor(key / 8);
  const wire = key % 8;
  if (field === 0) throw malformed(r, 'field number 0 is not valid');
  return { field, wire };
}

export function readDouble(r: ProtoReader): number {
  if (r.pos + 8 > r.end) throw truncated(r, 'a 64-bit value');
  const v = r.buf.readDoubleLE(r.pos);
  r.pos += 8;
  return v;
}

/** fixed64 as an unsigned BigInt (exact). */
export function readFixed64Big(r: ProtoReader): bigint {
  if (r.pos + 8 > r.end) throw truncated(r, 'a 64-bit value');
  const v = r.buf.readBigUInt64LE(r.pos);
  r.pos += 8;
  return v;
}

/** fixed64 that must be a safe integer (counts). */
export function readFixed64Uint53(r: ProtoReader, what: string): number {
  if (r.pos + 8 > r.end) throw truncated(r, 'a 64-bit value');
  const lo = r.buf.readUInt32LE(r.pos);
  const hi = r.buf.readUInt32LE(r.pos + 4);
  r.pos += 8;
  if (hi >= 0x200000) throw malformed(r, `${what} exceeds 2^53`);
  return hi * 0x100000000 + lo;
}

/** sfixed64 as the nearest double. */
export function readSfixed64(r: ProtoReader): number {
  if (r.pos + 8 > r.end) throw truncated(r, 'a 64-bit value');
  const v = r.buf.readBigInt64LE(r.pos);
  r.pos += 8;
  return Number(v);
}

/** Unix nanoseconds (fixed64) → epoch milliseconds, floor, exact. 0 stays 0 ("unset"). */
export function readTimeMs(r: ProtoReader): number {
  return Number(readFixed64Big(r) / 1_000_000n);
}

/** Bounds of a length-delimited field's payload; advances past it. */
export function readLength(r: ProtoReader): { start: number; end: number } {
  const len = readVarint(r);
  const start = r.pos;
  if (len > r.end - start) throw truncated(r, `a ${len}-byte field`);
  r.pos = start + len;
  return { start, end: start + len };
}

/** A sub-reader over a length-delimited embedded message. */
export function readMessage(r: ProtoReader, path: string): ProtoReader {
  if (r.depth >= MAX_DEPTH) throw malformed(r, `messages nest deeper than ${MAX_DEPTH} levels`);
  const { start, end } = readLength(r);
  return { buf: r.buf, pos: start, end, path, depth: r.depth + 1 };
}

/** A UTF-8 string field; protobuf requires valid UTF-8 in `string` fields. */
export function readString(r: ProtoReader, what: string): string {
  const { start, end } = readLength(r);
  const bytes = r.buf.subarray(start, end);
  if (!isUtf8(bytes)) throw new InputError('INVALID_UTF8', `protobuf ${r.path}: ${what} is not valid UTF-8`);
  return bytes.toString('utf8');
}

export function readBytes(r: ProtoReader): Buffer {
  const { start, end } = readLength(r);
  return r.buf.subarray(start, end);
}

/** Skips a field of an unknown number (forward compatibility), by wire type. */
export function skipField(r: ProtoReader, wire: number): void {
  switch (wire) {
    case WIRE_VARINT:
      readVarint(r);
      return;
    case WIRE_I64:
      if (r.pos + 8 > r.end) throw truncated(r, 'a 64-bit value');
      r.pos += 8;
      return;
    case WIRE_LEN:
      readLength(r);
      return;
    case WIRE_I32:
      if (r.pos + 4 > r.end) throw truncated(r, 'a 32-bit value');
      r.pos += 4;
      return;
    default:
      // 3 and 4 are the deprecated groups, which proto3 never writes; 6 and 7 do not exist.
      throw malformed(r, `wire type ${wire} is not supported`);
  }
}

/** Throws when `wire` is not what field `name` needs. */
export function expectWire(r: ProtoReader, wire: number, expected: number, name: string): void {
  if (wire !== expected) throw malformed(r, `field ${name} has wire type ${wire}, expected ${expected}`);
}

/**
 * Reads a repeated scalar field that may come packed (one LEN payload) or unpacked
 * (one element per tag): parsers must accept both (protobuf encoding guide, "Packed
 * Repeated Fields").
 */
export function readRepeated(
  r: ProtoReader,
  wire: number,
  scalarWire: number,
  read: (r: ProtoReader) => number,
  out: number[],
  name: string,
): void {
  if (wire === WIRE_LEN) {
    const { start, end } = readLength(r);
    const sub: ProtoReader = { buf: r.buf, pos: start, end, path: `${r.path}.${name}`, depth: r.depth + 1 };
    while (sub.pos < sub.end) out.push(read(sub));
    return;
  }
  expectWire(r, wire, scalarWire, name);
  out.push(read(r));
}
