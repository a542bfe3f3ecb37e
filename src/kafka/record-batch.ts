/**
 * A produce request's record batch (Kafka's v2 batch format, magic 2) for one partition,
 * written straight into one buffer — the bytes kafkajs 2.2.x writes for the same messages
 * (its src/protocol/requests/produce/v3/request.js with recordBatch/{v0,record/v0,header/v0}),
 * without its per-record costs: kafkajs builds each record through a new Encoder (a 512-byte
 * buffer each), each header through another, encodes the timestamp delta through its
 * BigInt-backed Long (several allocations per record), writes every varint through a
 * `Buffer.from(array)`, copies each record's bytes into the batch and the batch into the
 * request, and computes the CRC-32C a byte at a time. Here: two passes over the messages
 * (sizes, then bytes), plain-number varints, one buffer, CRC-32C by slicing-by-8.
 *
 * Timestamps: the batch's first and max timestamps are written through kafkajs's own Long
 * (exact for any value kafkajs takes, strings past 2^53 included); each record's delta is the
 * same JavaScript expression kafkajs evaluates, `(timestamp || now) - firstTimestamp`, written
 * as a varlong from the number when it is an integer of magnitude below 2^52 (its zigzag form
 * is then below 2^53, so exact). Anything else — a delta past that, or not an integer; a key,
 * value or header value neither a string, a Buffer nor absent; headers not a plain object; a
 * timestamp neither a string nor a number — makes `encodePartition` answer `undefined`, and
 * the caller hands the whole request to kafkajs's own encoder (which writes, or throws, as it
 * always did). test/unit/kafka/record-batch.test.ts compares the bytes with kafkajs's over
 * random messages.
 */
import { crc32c } from './crc32c';

/** A message as kafkajs's producer passes it to the request encoder (any shape a caller sent). */
export interface BatchMessage {
  key?: unknown;
  value?: unknown;
  headers?: unknown;
  timestamp?: unknown;
}

/** kafkajs's Long (src/utils/long.js): only what the batch header needs. */
export interface KafkaLong {
  getHighBits(): number;
  getLowBits(): number;
}
export interface LongClass {
  fromValue(v: unknown): KafkaLong;
}

/** What the encoder needs of kafkajs: its Long, and the codec a compressed batch goes through. */
export interface BatchDeps {
  Long: LongClass;
  /** Compresses the records' bytes as kafkajs's `codec.compress(encoder)` would (compression ≠ None). */
  compress(compression: number, records: Buffer): Promise<Buffer>;
}

export interface PartitionArgs {
  partition: number;
  messages: readonly BatchMessage[];
  firstSequence?: number;
  producerId: unknown;
  producerEpoch: number;
  transactional: boolean;
  compression: number;
}

const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
const COMPRESSION_CODEC_MASK = 0x07;
/** partition + size (the request's) and the batch header up to and including the record count. */
const ENTRY_HEADER = 8 + 61;
/** Where the CRC'd part of the batch starts, from the entry's start (attributes onwards). */
const CRC_FROM = 8 + 21;
const TWO_52 = 2 ** 52;

/**
 * Byte lengths of the strings and buffers of the messages, in writing order (pass 1 → pass 2;
 * both passes run without yielding, so one array serves every encoding). Grown for a large
 * send and let go of after it (`releaseLens`), so a one-off burst does not keep its size.
 */
const LENS_KEPT = 4096;
let lens = new Int32Array(LENS_KEPT);
let nLens = 0;
function releaseLens(): void {
  if (lens.length > 64 * LENS_KEPT) lens = new Int32Array(LENS_KEPT);
}
function pushLen(n: number): void {
  if (nLens === lens.length) {
    const grown = new Int32Array(lens.length * 2);
    grown.set(lens);
    lens = grown;
  }
  lens[nLens++] = n;
}

/** kafkajs's `Encoder.sizeOfVarInt` (32-bit zigzag). */
function sizeOfVarInt(v: number): number {
  let z = (v << 1) ^ (v >> 31);
  let bytes = 1;
  while ((z & 0xffffff80) !== 0) {
    bytes++;
    z >>>= 7;
  }
  return bytes;
}

/** Size of a varlong of an integer of magnitude below 2^52. */
function sizeOfVarLong(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let bytes = 1;
  while (z >= 128) {
    bytes++;
    z = Math.floor(z / 128);
  }
  return bytes;
}

function writeVarInt(buf: Buffer, at: number, v: number): number {
  let z = (v << 1) ^ (v >> 31);
  while ((z & 0xffffff80) !== 0) {
    buf[at++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[at++] = z & 0x7f;
  return at;
}

function writeVarLong(buf: Buffer, at: number, v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 128) {
    buf[at++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[at++] = z;
  return at;
}

/** Bytes of a key, value or header value (-1 absent), or NaN for a type the fast path leaves to kafkajs. */
function bytesLength(v: unknown): number {
  if (v === null || v === undefined) return -1;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Buffer.isBuffer(v)) return v.length;
  return NaN;
}

/** varint length + bytes of one key/value/header value, recorded for pass 2; NaN when unsupported. */
function sizeOfBytes(v: unknown): number {
  const n = bytesLength(v);
  if (n !== n) return NaN;
  pushLen(n);
  return n < 0 ? 1 : sizeOfVarInt(n) + n;
}

function writeBytes(buf: Buffer, at: number, v: unknown, n: number): number {
  at = writeVarInt(buf, at, n);
  if (n <= 0) return at;
  if (typeof v === 'string') buf.write(v, at, n, 'utf8');
  else (v as Buffer).copy(buf, at);
  return at + n;
}

/** Size of a record's headers (count + entries), NaN when the fast path leaves them to kafkajs. */
function sizeOfHeaders(headers: unknown): number {
  if (headers === undefined) {
    pushLen(0);
    return 1;
  }
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) return NaN;
  const h = headers as Record<string, unknown>;
  const countAt = nLens;
  pushLen(0); // the header count, filled in below
  let size = 0;
  let count = 0;
  for (const key of Object.keys(h)) {
    const v = h[key];
    const values = Array.isArray(v) ? (v as unknown[]) : [v];
    for (const one of values) {
      if (one === null || one === undefined) return NaN; // kafkajs throws on these: let it
      const keyLen = Buffer.byteLength(key, 'utf8');
      pushLen(keyLen);
      size += sizeOfVarInt(keyLen) + keyLen + sizeOfBytes(one);
      count++;
    }
  }
  lens[countAt] = count;
  return size + sizeOfVarInt(count);
}

function writeHeaders(buf: Buffer, at: number, headers: unknown): number {
  const count = lens[nLens++];
  at = writeVarInt(buf, at, count);
  if (count === 0) return at;
  const h = headers as Record<string, unknown>;
  for (const key of Object.keys(h)) {
    const v = h[key];
    const values = Array.isArray(v) ? (v as unknown[]) : [v];
    for (const one of values) {
      const keyLen = lens[nLens++];
      at = writeVarInt(buf, at, keyLen);
      buf.write(key, at, keyLen, 'utf8');
      at += keyLen;
      at = writeBytes(buf, at, one, lens[nLens++]);
    }
  }
  return at;
}

/** First and max timestamp as kafkajs picks them: `.sort()` of the present ones (string order). */
function batchTimestamps(messages: readonly BatchMessage[], now: number): { first: unknown; max: unknown } | undefined {
  let first: unknown;
  let max: unknown;
  let firstS = '';
  let maxS = '';
  let any = false;
  for (const m of messages) {
    const t = m.timestamp;
    if (t === null || t === undefined) continue;
    if (typeof t !== 'string' && typeof t !== 'number') return undefined;
    const s = String(t);
    // Stable sort: among equal strings the first stays first and the last is last.
    if (!any || s < firstS) {
      first = t;
      firstS = s;
    }
    if (!any || s >= maxS) {
      max = t;
      maxS = s;
    }
    any = true;
  }
  return any ? { first, max } : { first: now, max: now };
}

function writeInt64(buf: Buffer, at: number, long: KafkaLong): void {
  buf.writeInt32BE(long.getHighBits(), at);
  buf.writeInt32BE(long.getLowBits(), at + 4);
}

/** Pass 1: each record's body size and the deltas; the records' total bytes, or NaN to leave it to kafkajs. */
function sizeRecords(
  messages: readonly BatchMessage[],
  first: unknown,
  now: number,
  bodies: number[],
  deltas: number[],
): number {
  let total = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    // The expression kafkajs evaluates (strings are subtracted as numbers).
    const delta = ((m.timestamp || now) as number) - (first as number);
    if (!Number.isInteger(delta) || Math.abs(delta) >= TWO_52) return NaN;
    const body =
      1 + sizeOfVarLong(delta) + sizeOfVarInt(i) + sizeOfBytes(m.key) + sizeOfBytes(m.value) + sizeOfHeaders(m.headers);
    if (body !== body) return NaN;
    bodies.push(body);
    deltas.push(delta);
    total += sizeOfVarInt(body) + body;
  }
  return total;
}

/** Pass 2: the records' bytes from `at`. */
function writeRecords(
  buf: Buffer,
  at: number,
  messages: readonly BatchMessage[],
  bodies: number[],
  deltas: number[],
): number {
  nLens = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    at = writeVarInt(buf, at, bodies[i]);
    buf[at++] = 0; // record attributes: none used
    at = writeVarLong(buf, at, deltas[i]);
    at = writeVarInt(buf, at, i);
    at = writeBytes(buf, at, m.key, lens[nLens++]);
    at = writeBytes(buf, at, m.value, lens[nLens++]);
    at = writeHeaders(buf, at, m.headers);
  }
  return at;
}

/**
 * One partition's entry of a produce request (partition, record set size, record batch), as
 * kafkajs's partitionsEncoder writes it; `undefined` when a message is outside the fast path.
 */
export async function encodePartition(args: PartitionArgs, deps: BatchDeps): Promise<Buffer | undefined> {
  const { messages } = args;
  const now = Date.now(); // once per partition, as kafkajs
  const ts = batchTimestamps(messages, now);
  if (ts === undefined) return undefined;
  const bodies: number[] = [];
  const deltas: number[] = [];
  nLens = 0;
  const recordsSize = sizeRecords(messages, ts.first, now, bodies, deltas);
  if (recordsSize !== recordsSize) {
    releaseLens();
    return undefined;
  }
  let entry: Buffer;
  if (args.compression === 0) {
    entry = Buffer.allocUnsafe(ENTRY_HEADER + recordsSize);
    writeRecords(entry, ENTRY_HEADER, messages, bodies, deltas);
    releaseLens();
  } else {
    const records = Buffer.allocUnsafe(recordsSize);
    writeRecords(records, 0, messages, bodies, deltas);
    releaseLens();
    const packed = await deps.compress(args.compression, records);
    entry = Buffer.allocUnsafe(ENTRY_HEADER + packed.length);
    packed.copy(entry, ENTRY_HEADER);
  }
  writeBatchHeader(entry, args, ts, deps.Long);
  return entry;
}

function writeBatchHeader(
  entry: Buffer,
  args: PartitionArgs,
  ts: { first: unknown; max: unknown },
  Long: LongClass,
): void {
  const batchSize = entry.length - 8;
  const attributes = (args.compression & COMPRESSION_CODEC_MASK) | (args.transactional ? TRANSACTIONAL_MASK : 0);
  entry.writeInt32BE(args.partition, 0);
  entry.writeInt32BE(batchSize, 4);
  writeInt64(entry, 8, Long.fromValue(0)); // first offset
  entry.writeInt32BE(batchSize - 12, 16); // batch length: what follows it
  entry.writeInt32BE(0, 20); // partition leader epoch
  entry.writeInt8(MAGIC_BYTE, 24);
  entry.writeInt16BE(attributes, 29);
  entry.writeInt32BE(args.messages.length - 1, 31); // last offset delta
  writeInt64(entry, 35, Long.fromValue(ts.first));
  writeInt64(entry, 43, Long.fromValue(ts.max));
  writeInt64(entry, 51, Long.fromValue(args.producerId));
  entry.writeInt16BE(args.producerEpoch, 59);
  entry.writeInt32BE(args.firstSequence as number, 61);
  entry.writeInt32BE(args.messages.length, 65);
  entry.writeUInt32BE(crc32c(entry, CRC_FROM, entry.length), 25);
}
