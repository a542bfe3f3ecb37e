/**
 * A bounded pre-scan of an Avro body against its writer schema, run before avsc decodes it.
 *
 * Why: avsc reads as far as a block count says, even past the end of the buffer (reads
 * there return zeros and only the final position is checked). A 10-byte body whose map
 * block count says 2^50 would keep the consumer busy forever. This scan walks the same
 * structure with every count and length checked against the bytes that are actually
 * there and a work budget proportional to the body size, so a hostile or corrupt record
 * costs O(size) and ends up in the DLQ. Encoding: https://avro.apache.org/docs/1.11.1/specification/#binary-encoding
 */
import { Type, types } from 'avsc';

export type GuardFailure = 'truncated' | 'negative-length' | 'bad-index' | 'too-complex' | 'bad-varint';

export interface GuardResult {
  /** Offset just past the value, or -1 on failure. */
  end: number;
  failure: GuardFailure | undefined;
  /** Byte offset where the failure was detected. */
  at: number;
}

/** Nesting deeper than this is not a telemetry or command record; stops recursive schemas too. */
const MAX_DEPTH = 64;

// Scan state. The scan is synchronous and never re-entered, so module-level state is
// safe and saves an allocation per record on the hot path.
const EMPTY = Buffer.alloc(0);
let buf: Buffer = EMPTY;
let pos = 0;
let budget = 0;
let failure: GuardFailure | undefined;

/**
 * Check that `bytes[start..]` holds one value of `writer`. Never throws for any input.
 * The budget allows four visited values per byte (plus slack): a value of non-zero size
 * consumes at least one byte, so only schemas full of zero-size values could exceed it.
 */
export function guardAvro(writer: Type, bytes: Buffer, start: number): GuardResult {
  buf = bytes;
  pos = start;
  budget = 4 * (bytes.length - start) + 256;
  failure = undefined;
  const ok = skip(writer, 0);
  const result: GuardResult = ok
    ? { end: pos, failure: undefined, at: pos }
    : { end: -1, failure: failure ?? 'truncated', at: Math.min(pos, bytes.length) };
  buf = EMPTY;
  return result;
}

function fail(reason: GuardFailure): false {
  failure = reason;
  return false;
}

/** Zig-zag varint as a float (exact up to 2^53; larger values only need to compare as huge). */
function readVarint(): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) {
      failure = 'truncated';
      return NaN;
    }
    const b = buf[pos++];
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      // zig-zag: 0, -1, 1, -2, ... (https://protobuf.dev/programming-guides/encoding/#signed-ints)
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    scale *= 128;
  }
  failure = 'bad-varint';
  return NaN;
}

function skipBytes(n: number): boolean {
  if (n > buf.length - pos) return fail('truncated');
  pos += n;
  return true;
}

function skipLengthPrefixed(): boolean {
  const len = readVarint();
  if (Number.isNaN(len)) return false;
  if (len < 0) return fail('negative-length');
  return skipBytes(len);
}

function skip(type: Type, depth: number): boolean {
  if (--budget < 0) return fail('too-complex');
  if (depth > MAX_DEPTH) return fail('too-complex');
  switch (type.typeName) {
    case 'null':
      return true;
    case 'boolean':
      return skipBytes(1);
    case 'int':
    case 'long':
      return !Number.isNaN(readVarint());
    case 'float':
      return skipBytes(4);
    case 'double':
      return skipBytes(8);
    case 'string':
    case 'bytes':
      return skipLengthPrefixed();
    default:
      return skipComplex(type, depth);
  }
}

function skipComplex(type: Type, depth: number): boolean {
  if (type instanceof types.RecordType) {
    for (const field of type.fields) {
      if (!skip(field.type, depth + 1)) return false;
    }
    return true;
  }
  if (type instanceof types.FixedType) return skipBytes(type.size);
  if (type instanceof types.EnumType) return skipIndex(type.symbols.length);
  if (type instanceof types.UnwrappedUnionType || type instanceof types.WrappedUnionType) {
    const index = readVarint();
    if (Number.isNaN(index)) return false;
    if (index < 0 || index >= type.types.length) return fail('bad-index');
    return skip(type.types[index], depth + 1);
  }
  if (type instanceof types.ArrayType) return skipBlocks(type.itemsType, undefined, depth);
  if (type instanceof types.MapType) return skipBlocks(type.valuesType as Type, true, depth);
  if (type instanceof types.LogicalType) return skip(type.underlyingType, depth);
  // A type this scan does not know: let avsc decide (it still checks the end position).
  return true;
}

function skipIndex(count: number): boolean {
  const index = readVarint();
  if (Number.isNaN(index)) return false;
  if (index < 0 || index >= count) return fail('bad-index');
  return true;
}

/** Array and map blocks: count, (byte size if count < 0), items; a zero count ends. */
function skipBlocks(items: Type, withKeys: true | undefined, depth: number): boolean {
  for (;;) {
    let count = readVarint();
    if (Number.isNaN(count)) return false;
    if (count === 0) return true;
    if (count < 0) {
      count = -count;
      const size = readVarint();
      if (Number.isNaN(size)) return false;
      if (size < 0) return fail('negative-length');
    }
    // Each item visit costs budget, so a huge count fails fast instead of looping.
    if (count > budget) return fail('too-complex');
    for (let i = 0; i < count; i++) {
      if (withKeys && !skipLengthPrefixed()) return false;
      if (!skip(items, depth + 1)) return false;
    }
  }
}
