/**
 * Compressed record batches, bounded. kafkajs inflates a fetched batch whole before homeostat
 * sees any record, and ships GZIP only: its Snappy, LZ4 and ZSTD codecs throw. What that did
 * (measured on the real broker, docs/security.md): a batch in a codec kafkajs lacks made the
 * whole fetch fail — every partition of that broker, not only the batch's — the consumer
 * crashed and was restarted, fetched the same batch, and crashed again, for ever; a gzip
 * bomb was inflated whole (about 1,000x its size on the wire).
 *
 * So every codec homeostat's clients use (installed once, process-wide, through kafkajs's
 * CompressionCodecs) decompresses within a bound, and a batch it cannot inflate — an unknown
 * codec, a bomb, corrupt bytes — is handed to kafkajs as that many placeholder records (the
 * batch's own record count, at the batch's own offsets), each with no key and no value and a
 * header saying why (UNDECODABLE_HEADER). The consumer then reads on, and the batch decoder
 * dead-letters each placeholder with the reason (BATCH_UNDECODABLE): the batch's offsets are
 * skipped past, counted, and named in the DLQ; no partition stalls, no honest record is lost.
 *
 * The batch's record count and first offset are read from the batch header, which kafkajs has
 * just parsed from the same buffer (the compressed bytes are a view of the fetch response,
 * 61 bytes past the batch's start). If they cannot be read — kafkajs changed its buffers, or
 * the count is past MAX_PLACEHOLDERS — the failure is reported to kafkajs as a partial batch,
 * which it treats as the end of that partition's fetch: the partition then waits at that
 * batch (the one case left, see docs/security.md), while the other partitions read on.
 */
import './kafkajs-patches'; // before kafkajs loads: its producer's grouping, fixed (kafkajs-patches.ts)
import { promisify } from 'node:util';
import { gzip as gzipCb, unzip as unzipCb, type InputType, type ZlibOptions } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';

const gzip = promisify(gzipCb);
const unzip = promisify(unzipCb) as (buf: InputType, options: ZlibOptions) => Promise<Buffer>;

/** Header on a placeholder record: why its batch could not be read. */
export const UNDECODABLE_HEADER = 'homeostat.batch.undecodable';
/** A batch may inflate to at most this many times its compressed size… */
export const MAX_INFLATE_RATIO = 128;
/** …and never less than this (small batches of repetitive JSON legitimately reach high ratios)… */
export const MIN_INFLATE_BYTES = 1024 * 1024;
/** …and never more than this. */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
/** Most placeholder records one batch becomes (a header may claim up to 2^31). */
export const MAX_PLACEHOLDERS = 100_000;

/** Bytes from a batch's start to its first record (v2 batch header, records count included). */
const BATCH_HEADER_BYTES = 61;
const MAGIC_V2 = 2;

/** Most bytes the records of a batch compressed to `compressed` bytes may inflate to. */
export function inflateBound(compressed: number): number {
  return Math.min(MAX_INFLATED_BYTES, Math.max(MIN_INFLATE_BYTES, MAX_INFLATE_RATIO * compressed));
}

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** Registers the bounded codecs with kafkajs (idempotent; every client of the process uses them). */
export function installBoundedCodecs(): void {
  const codecs = CompressionCodecs as unknown as Record<number, () => Codec>;
  codecs[CompressionTypes.GZIP] = () => GZIP;
  for (const [type, name] of [
    [CompressionTypes.Snappy, 'snappy'],
    [CompressionTypes.LZ4, 'lz4'],
    [CompressionTypes.ZSTD, 'zstd'],
  ] as const) {
    codecs[type] = () => unsupported(name);
  }
}

const GZIP: Codec = {
  compress: (encoder) => gzip(encoder.buffer),
  async decompress(buffer) {
    const bound = inflateBound(buffer.length);
    try {
      return await unzip(buffer, { maxOutputLength: bound });
    } catch (err) {
      const code = (err as { code?: string }).code;
      const reason =
        code === 'ERR_BUFFER_TOO_LARGE'
          ? `a gzip batch of ${buffer.length} bytes inflates past ${bound} bytes ` +
            `(${MAX_INFLATE_RATIO}x its size, at least ${MIN_INFLATE_BYTES}, at most ${MAX_INFLATED_BYTES}): a decompression bomb`
          : `a gzip batch does not inflate: ${(err as Error).message}`;
      return placeholders(buffer, reason);
    }
  },
};

function unsupported(name: string): Codec {
  const reason = `a ${name}-compressed batch: the processor's Kafka client has no ${name} codec; produce with gzip or none`;
  return {
    compress: () =>
      Promise.reject(new Error(`homeostat does not produce ${name}-compressed batches; use gzip or none`)),
    // In an executor, so that a throw (PartialBatch) reaches kafkajs as a rejection.
    decompress: (buffer) => new Promise((resolve) => resolve(placeholders(buffer, reason))),
  };
}

/** The error kafkajs takes for the cut-off tail of a fetch: it ends the partition's fetch there, without failing the others. */
class PartialBatch extends Error {
  override name = 'KafkaJSPartialMessageError';
}

/**
 * The decompressed form of an unreadable batch: as many placeholder records as its header
 * claims, offset deltas 0…n−1, each with the reason in a header. Throws PartialBatch when the
 * header cannot be found in the buffer kafkajs handed over, or claims too many records.
 */
export function placeholders(compressed: Buffer, reason: string): Buffer {
  const header = batchHeaderOf(compressed);
  if (header === undefined) throw new PartialBatch(`${reason}; its batch header could not be read`);
  const { count, firstOffset, lastOffsetDelta } = header;
  if (count < 0 || count > MAX_PLACEHOLDERS)
    throw new PartialBatch(`${reason}; its header claims ${count} records (at most ${MAX_PLACEHOLDERS})`);
  const last = firstOffset + BigInt(lastOffsetDelta);
  const text = Buffer.from(`${reason} (batch at offsets ${firstOffset}–${last}, ${count} records)`.slice(0, 1024));
  const key = Buffer.from(UNDECODABLE_HEADER);
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body = Buffer.concat([
      Buffer.from([0]), // attributes
      varint(0), // timestamp delta: the batch's first timestamp
      varint(i === count - 1 ? lastOffsetDelta : i), // offset delta: the last placeholder covers the batch's last offset
      varint(-1), // key: null
      varint(-1), // value: null
      varint(1), // one header
      varint(key.length),
      key,
      varint(text.length),
      text,
    ]);
    parts.push(varint(body.length), body);
  }
  return Buffer.concat(parts);
}

/** The v2 batch header before `records` in the same memory, when it is there and consistent. */
function batchHeaderOf(records: Buffer): { firstOffset: bigint; lastOffsetDelta: number; count: number } | undefined {
  if (records.byteOffset < BATCH_HEADER_BYTES) return undefined;
  const h = Buffer.from(records.buffer, records.byteOffset - BATCH_HEADER_BYTES, BATCH_HEADER_BYTES);
  const length = h.readInt32BE(8);
  const compression = h.readInt16BE(21) & 0x07;
  if (h.readInt8(16) !== MAGIC_V2 || compression === 0 || length !== BATCH_HEADER_BYTES - 12 + records.length)
    return undefined;
  return { firstOffset: h.readBigInt64BE(0), lastOffsetDelta: h.readInt32BE(23), count: h.readInt32BE(57) };
}

/** A zigzag varint, as Kafka's record format encodes signed ints. */
function varint(n: number): Buffer {
  let z = (n << 1) ^ (n >> 31);
  const out: number[] = [];
  while ((z & ~0x7f) !== 0) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
  return Buffer.from(out);
}
