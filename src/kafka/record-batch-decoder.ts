/**
 * kafkajs's record batch decoder (src/protocol/recordBatch/v0/decoder.js, with its record and
 * header decoders), which a fetch response runs once per batch: the same batch object, the same
 * records, without its per-record costs — kafkajs builds each record's offset and timestamp
 * string through its BigInt-backed Long (`Long.fromValue(firstOffset).add(delta).toString()`,
 * a string parsed to a BigInt per record, twice), reads each timestamp delta as a varlong of
 * Longs, wraps each record in a new Decoder and rebuilds the headers object once per header.
 * Here the batch is read in place from the fetch buffer with plain numbers, and, for the topics
 * whose consumers opted in, each record's value is left there until asked for (fetched-record.ts:
 * no Buffer view per record): an offset or
 * timestamp is the batch's first one plus the record's delta when both are exact below 2^53
 * (`Number.isSafeInteger` of the sum is then its exact value), and varints are read by the same
 * expressions as kafkajs's Decoder, so a hostile varint reads as the same number.
 *
 * Anything unusual — a batch or record running past its bytes, a length below -1 or one kafkajs
 * would read as null where it then fails, an offset or timestamp past 2^53, a timestamp delta
 * longer than 7 bytes, a header named `__proto__`, a compression codec kafkajs does not implement,
 * records that do not decode from a codec's output — makes the fast path give up on the whole
 * batch, untouched, and kafkajs's own decoder runs on it: the same result or the same error (the
 * partial batch at the end of a fetch included), by construction. A codec's own error is thrown as
 * kafkajs throws it. One departure, on both paths: a forged header count (MAX_PHANTOM_HEADERS).
 * test/unit/kafka/record-batch-decoder.test.ts compares the two on random and damaged batches.
 */

import { InputError } from '../errors';
import { FetchedRecord, inPlaceRecords } from './fetched-record';

/** kafkajs's Decoder (src/protocol/decoder.js), as far as the batch decoder reads it. */
export interface KafkaDecoder {
  buffer: Buffer;
  offset: number;
}

export interface DecodedRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, unknown>;
  isControlRecord: boolean;
  batchContext: BatchContext & { magicByte: number };
}

export interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
}

export type DecodedBatch = BatchContext & { records: DecodedRecord[] };

export type RecordBatchDecoder = (decoder: KafkaDecoder) => Promise<DecodedBatch>;

interface Codec {
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** The parts of kafkajs the fast decoder falls back on. */
export interface DecoderParts {
  /** kafkajs's own batch decoder: decodes (or refuses) whatever the fast path gives up on. */
  original: RecordBatchDecoder;
  /** kafkajs's `lookupCodecByAttributes` (message/compression): the codec registered now, or null. */
  lookupCodecByAttributes(attributes: number): Codec | null;
}

/**
 * A header count past the record's bytes (each header takes at least two) and past this is refused
 * rather than handed to kafkajs: its header decoder reads past a record's end as empty keys and
 * values without failing, so it would build every one of up to 2^31 headers — each through a copy
 * of the headers object so far — and exhaust the process's memory on one forged record. A broker
 * validates the records it accepts, so only a hostile broker (or a damaged response) sends this.
 */
export const MAX_PHANTOM_HEADERS = 1024;

/** Whether `count` headers cannot be in `bytesLeft` bytes of a record and are more than kafkajs should build. */
function phantomHeaders(count: number, bytesLeft: number): boolean {
  return count > MAX_PHANTOM_HEADERS && count > bytesLeft / 2;
}

function phantomHeadersError(count: number, bytesLeft: number): InputError {
  return new InputError(
    'BATCH_UNDECODABLE',
    `a record claims ${count} headers in ${bytesLeft} bytes: a forged fetch response`,
  );
}

interface HeaderArrayReader {
  buffer: Buffer;
  offset: number;
  readVarInt(): number;
  readVarIntArray(reader: (d: unknown) => unknown): unknown[];
}

const GUARDED = Symbol.for('homeostat.guardedHeaderCount');

/**
 * kafkajs's Decoder with the same refusal where kafkajs reads a record's headers itself (a batch
 * the fast path hands to it): its `readVarIntArray`, whose only caller is the record decoder's
 * headers, throws the error above for a count past the bound instead of building the headers.
 */
export function guardHeaderCounts(DecoderClass: { prototype: HeaderArrayReader }): void {
  const proto = DecoderClass.prototype as HeaderArrayReader & Record<symbol, unknown>;
  if (proto[GUARDED] === true) return;
  const readVarIntArray = proto.readVarIntArray;
  proto.readVarIntArray = function guarded(this: HeaderArrayReader, reader) {
    const at = this.offset;
    const count = this.readVarInt();
    const left = this.buffer.length - this.offset;
    if (phantomHeaders(count, left)) throw phantomHeadersError(count, left);
    this.offset = at;
    return readVarIntArray.call(this, reader);
  };
  proto[GUARDED] = true;
}

/** Bytes from the first offset to the records' count: the batch header kafkajs reads before its records. */
const HEADER_BYTES = 61;
const LOG_APPEND_TIME = 1;
const TIMESTAMP_TYPE_MASK = 0x8;
const TRANSACTIONAL_MASK = 0x10;
const CONTROL_MASK = 0x20;
const TWO_32 = 4294967296;
/** |hi| below this: the int64 hi·2^32 + lo is below 2^53 in magnitude, so exact as a number. */
const SAFE_HI = 0x200000;

/** A reading position, shared by the readers below (one decode at a time: they are synchronous). */
let pos = 0;

/** kafkajs's readVarInt, expression for expression, or NaN when it would read past `end`. */
function varInt(buf: Buffer, end: number): number {
  let result = 0;
  let i = 0;
  let b: number;
  do {
    if (pos >= end) return NaN;
    b = buf[pos++];
    result += (b & 0x7f) << i;
    i += 7;
  } while (b >= 0x80);
  return (result >>> 1) ^ -(result & 1);
}

/** kafkajs's readVarLong as a number when at most 7 bytes long (below 2^49, exact), else NaN. */
function varLong(buf: Buffer, end: number): number {
  let u = 0;
  let scale = 1;
  for (let n = 0; n < 7; n++) {
    if (pos >= end) return NaN;
    const b = buf[pos++];
    u += (b & 0x7f) * scale;
    if (b < 0x80) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    scale *= 128;
  }
  return NaN;
}

/** A value kafkajs's readVarIntBytes would give and then carry on: null (-1), a slice, or undefined to give up. */
function varIntBytes(buf: Buffer, end: number): Buffer | null | undefined {
  const n = varInt(buf, end);
  if (n === -1) return null;
  if (!(n >= 0) || pos + n > end) return undefined;
  const out = buf.subarray(pos, pos + n);
  pos += n;
  return out;
}

/** An int64 as kafkajs's `readInt64().toString()`. */
function int64String(buf: Buffer, at: number): string {
  const hi = buf.readInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);
  if (hi >= -SAFE_HI && hi < SAFE_HI) return String(hi * TWO_32 + lo);
  return ((BigInt(hi) << 32n) + BigInt(lo)).toString();
}

/** An int64 as an exact number, or NaN when past 2^53 in magnitude. */
function int64Number(buf: Buffer, at: number): number {
  const hi = buf.readInt32BE(at);
  return hi >= -SAFE_HI && hi < SAFE_HI ? hi * TWO_32 + buf.readUInt32BE(at + 4) : NaN;
}

/**
 * kafkajs's headers object: `reduce` of the headers into `{ ...obj, [key]: … }`, a repeated key's
 * values into an array (a key read through `obj[key]`, so inherited names such as `toString`
 * count as present, as in kafkajs). Undefined to give up.
 */
function readHeaders(buf: Buffer, end: number): Record<string, unknown> | undefined {
  const count = varInt(buf, end);
  const headers: Record<string, unknown> = {};
  if (count === -1) return headers;
  if (!(count >= 0)) return undefined;
  if (phantomHeaders(count, end - pos)) throw phantomHeadersError(count, end - pos);
  for (let h = 0; h < count; h++) {
    const keyLength = varInt(buf, end);
    let key: string | null = null;
    if (keyLength !== -1) {
      if (!(keyLength >= 0) || pos + keyLength > end) return undefined;
      key = buf.toString('utf8', pos, pos + keyLength);
      pos += keyLength;
    }
    const value = varIntBytes(buf, end);
    if (value === undefined || key === '__proto__') return undefined;
    const k = key as string; // null is the key "null", as in kafkajs's computed key
    const prev = headers[k];
    headers[k] = prev === undefined ? value : Array.isArray(prev) ? prev.concat([value]) : [prev, value];
  }
  return headers;
}

interface RecordsContext {
  firstOffset: number;
  firstTimestamp: number;
  logAppendTime: boolean;
  maxTimestamp: string;
  batchContext: BatchContext & { magicByte: number };
  /**
   * The last record's timestamp and its string: a producer stamps a whole batch with one clock
   * reading when it sets none per record (kafkajs's `Date.now()` for the batch), so most records
   * repeat it and share one string instead of each formatting its own (equal strings either way).
   */
  lastTimestamp: number;
  lastTimestampText: string;
}

/** The record's timestamp as kafkajs's string, the previous record's string when they are equal. */
function timestampText(ctx: RecordsContext, timestamp: number): string {
  if (timestamp !== ctx.lastTimestamp) {
    ctx.lastTimestamp = timestamp;
    ctx.lastTimestampText = String(timestamp);
  }
  return ctx.lastTimestampText;
}

/** One record from `pos` (its varint length first), as kafkajs's record decoder builds it; undefined to give up. */
function readRecord(buf: Buffer, end: number, ctx: RecordsContext): DecodedRecord | undefined {
  const length = varInt(buf, end);
  if (!(length >= 1) || pos + length > end) return undefined;
  const recordEnd = pos + length;
  const attributes = (buf[pos++] << 24) >> 24;
  const timestampDelta = varLong(buf, recordEnd);
  const offsetDelta = varInt(buf, recordEnd);
  if (Number.isNaN(timestampDelta) || Number.isNaN(offsetDelta)) return undefined;
  const offset = ctx.firstOffset + offsetDelta;
  const timestamp = ctx.firstTimestamp + timestampDelta;
  if (!Number.isSafeInteger(offset) || (!ctx.logAppendTime && !Number.isSafeInteger(timestamp))) return undefined;
  const key = varIntBytes(buf, recordEnd);
  if (key === undefined) return undefined;
  // The value as kafkajs's readVarIntBytes bounds it; a view of it made only for kafkajs's records.
  const valueLength = varInt(buf, recordEnd);
  let valueStart = -1;
  if (valueLength !== -1) {
    if (!(valueLength >= 0) || pos + valueLength > recordEnd) return undefined;
    valueStart = pos;
    pos += valueLength;
  }
  const valueEnd = valueStart < 0 ? -1 : pos;
  const headers = readHeaders(buf, recordEnd);
  if (headers === undefined) return undefined;
  pos = recordEnd;
  const { batchContext } = ctx;
  const time = ctx.logAppendTime ? ctx.maxTimestamp : timestampText(ctx, timestamp);
  if (inPlaceRecords.enabled) {
    const c = batchContext;
    return new FetchedRecord(
      c.magicByte,
      attributes,
      time,
      String(offset),
      key,
      buf,
      valueStart,
      valueEnd,
      headers,
      c.isControlBatch,
      c,
    );
  }
  return {
    magicByte: batchContext.magicByte,
    attributes,
    timestamp: time,
    offset: String(offset),
    key,
    value: valueStart < 0 ? null : buf.subarray(valueStart, valueEnd),
    headers,
    isControlRecord: batchContext.isControlBatch,
    batchContext,
  };
}

/** `count` records from `buf[at..end)`, or undefined to give up. */
function readRecords(
  buf: Buffer,
  at: number,
  end: number,
  count: number,
  ctx: RecordsContext,
): DecodedRecord[] | undefined {
  if (count < 0) return undefined; // kafkajs's `new Array(count)` throws
  const records: DecodedRecord[] = [];
  pos = at;
  for (let i = 0; i < count; i++) {
    const r = readRecord(buf, end, ctx);
    if (r === undefined) return undefined;
    records.push(r);
  }
  return records;
}

/** The batch header at `s`: kafkajs's recordContext, its keys in its order (then `magicByte`, or `records`). */
function readContext<T extends object>(buf: Buffer, s: number, last: T): BatchContext & T {
  const b = s + 12;
  const attributes = buf.readInt16BE(b + 9);
  // Object literals, not spreads: kafkajs's objects have these keys in this order either way.
  return {
    firstOffset: int64String(buf, s),
    firstTimestamp: int64String(buf, b + 15),
    partitionLeaderEpoch: buf.readInt32BE(b),
    inTransaction: (attributes & TRANSACTIONAL_MASK) > 0,
    isControlBatch: (attributes & CONTROL_MASK) > 0,
    lastOffsetDelta: buf.readInt32BE(b + 11),
    producerId: int64String(buf, b + 31),
    producerEpoch: buf.readInt16BE(b + 39),
    firstSequence: buf.readInt32BE(b + 41),
    maxTimestamp: int64String(buf, b + 23),
    timestampType: (attributes & TIMESTAMP_TYPE_MASK) > 0 ? LOG_APPEND_TIME : 0,
    ...last,
  };
}

/** The batch object kafkajs returns: its context's fields (a copy) and the records. */
function batchOf(c: BatchContext, records: DecodedRecord[]): DecodedBatch {
  return {
    firstOffset: c.firstOffset,
    firstTimestamp: c.firstTimestamp,
    partitionLeaderEpoch: c.partitionLeaderEpoch,
    inTransaction: c.inTransaction,
    isControlBatch: c.isControlBatch,
    lastOffsetDelta: c.lastOffsetDelta,
    producerId: c.producerId,
    producerEpoch: c.producerEpoch,
    firstSequence: c.firstSequence,
    maxTimestamp: c.maxTimestamp,
    timestampType: c.timestampType,
    records,
  };
}

type Outcome = { batch: DecodedBatch; end: number } | undefined;

/** The batch at the decoder's offset, or undefined to leave it to kafkajs (nothing read is kept). */
async function fastBatch(d: KafkaDecoder, parts: DecoderParts): Promise<Outcome> {
  const buf = d.buffer;
  const s = d.offset;
  if (!Buffer.isBuffer(buf) || !Number.isInteger(s) || s < 0 || s + HEADER_BYTES > buf.length) return undefined;
  const length = buf.readInt32BE(s + 8);
  const end = s + 12 + length;
  if (length < HEADER_BYTES - 12 || end > buf.length) return undefined;
  // An error from here on leaves the decoder past the batch, as kafkajs's does (giving up resets it).
  d.offset = end;
  const context = readContext(buf, s, { magicByte: buf.readInt8(s + 16) });
  let codec: Codec | null;
  try {
    codec = parts.lookupCodecByAttributes(buf.readInt16BE(s + 21));
  } catch {
    return undefined; // a codec kafkajs does not implement: its error, from its decoder
  }
  const ctx: RecordsContext = {
    firstOffset: int64Number(buf, s),
    firstTimestamp: int64Number(buf, s + 27),
    logAppendTime: context.timestampType === LOG_APPEND_TIME,
    maxTimestamp: context.maxTimestamp,
    batchContext: context,
    lastTimestamp: NaN,
    lastTimestampText: '',
  };
  const count = buf.readInt32BE(s + HEADER_BYTES - 4);
  const at = s + HEADER_BYTES;
  let records: DecodedRecord[] | undefined;
  if (codec === null) records = count === -1 ? [] : readRecords(buf, at, end, count, ctx);
  else if (count <= 0) records = [];
  else {
    // The view kafkajs hands its codec (homeostat's codecs.ts reads the batch header around it).
    const inflated = await codec.decompress(buf.subarray(at, end));
    if (!Buffer.isBuffer(inflated)) return undefined;
    records = readRecords(inflated, 0, inflated.length, count, ctx);
  }
  return records === undefined ? undefined : { batch: batchOf(context, records), end };
}

const FAST = Symbol.for('homeostat.fastRecordBatchDecoder');

/** Whether `f` is a decoder built by `fastRecordBatchDecoder`. */
export function isFastRecordBatchDecoder(f: unknown): boolean {
  return typeof f === 'function' && (f as unknown as Record<symbol, unknown>)[FAST] === true;
}

/** kafkajs's record batch decoder, with the batches on the fast path read here. */
export function fastRecordBatchDecoder(parts: DecoderParts): RecordBatchDecoder {
  const decode = async (d: KafkaDecoder): Promise<DecodedBatch> => {
    const start = d.offset;
    const fast = await fastBatch(d, parts);
    if (fast === undefined) {
      d.offset = start;
      return parts.original(d);
    }
    d.offset = fast.end;
    return fast.batch;
  };
  (decode as unknown as Record<symbol, unknown>)[FAST] = true;
  return decode;
}

/** The fast decoder over kafkajs's own modules, resolved by `load` (Node's require, or jest's). */
export function fastRecordBatchDecoderFromKafkajs(load: (id: string) => unknown): RecordBatchDecoder {
  const base = 'kafkajs/src/protocol';
  const compression = load(`${base}/message/compression`) as Pick<DecoderParts, 'lookupCodecByAttributes'>;
  guardHeaderCounts(load(`${base}/decoder`) as { prototype: HeaderArrayReader });
  return fastRecordBatchDecoder({
    original: load(`${base}/recordBatch/v0/decoder`) as RecordBatchDecoder,
    lookupCodecByAttributes: compression.lookupCodecByAttributes,
  });
}
