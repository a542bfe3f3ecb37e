/**
 * The record batch decoder of record-batch-decoder.ts must give exactly what kafkajs's own gives
 * for the same bytes: the same batch objects (every field, every record's offset and timestamp
 * strings, keys, values, headers, the batch context), the same error where kafkajs throws, and
 * the fetch decoder left at the same offset. Batches are random (offsets and timestamps near and
 * past 2^53 and 2^63, log-append time, control and transactional batches, gzip, duplicate and
 * inherited header names, null keys and values, several batches in one fetch) and damaged
 * (truncated, bytes flipped, record lengths and counts negative or huge, varints of ten bytes
 * and more, garbage in place of records).
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  fastRecordBatchDecoderFromKafkajs,
  isFastRecordBatchDecoder,
  type KafkaDecoder,
  type RecordBatchDecoder,
} from '../../../src/kafka/record-batch-decoder';
import { asKafkajsRecord, FetchedRecord, inPlaceRecords } from '../../../src/kafka/fetched-record';

// Under jest's module registry kafkajs's modules load as they are: the reference.
const load = (id: string): unknown => jest.requireActual(id);
const kafkajsDecode = load('kafkajs/src/protocol/recordBatch/v0/decoder') as RecordBatchDecoder;
const Decoder = load('kafkajs/src/protocol/decoder') as new (b: Buffer) => KafkaDecoder;
const fast = fastRecordBatchDecoderFromKafkajs(load);

// Loading the fast decoder guarded kafkajs's Decoder (its header count refused past the bound,
// record-batch-decoder.ts), as production does: the reference is kafkajs as homeostat runs it.

/** Protocol bytes written the way Kafka lays them out (zigzag varints, big-endian ints). */
class Bytes {
  private parts: number[] = [];
  int8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  int16(v: number): this {
    return this.int8(v >> 8).int8(v);
  }
  int32(v: number): this {
    return this.int16(v >> 16).int16(v);
  }
  int64(v: bigint): this {
    const u = BigInt.asUintN(64, v);
    for (let s = 56n; s >= 0n; s -= 8n) this.int8(Number((u >> s) & 0xffn));
    return this;
  }
  /** A zigzag varint of any width (a 64-bit value, or wider for hostile input). */
  varint(v: bigint): this {
    let u = v >= 0n ? v << 1n : (-v << 1n) - 1n;
    do {
      const b = Number(u & 0x7fn);
      u >>= 7n;
      this.int8(u > 0n ? b | 0x80 : b);
    } while (u > 0n);
    return this;
  }
  bytes(b: Buffer | null): this {
    if (b === null) return this.varint(-1n);
    this.varint(BigInt(b.length));
    for (const x of b) this.int8(x);
    return this;
  }
  raw(b: Buffer | Uint8Array): this {
    for (const x of b) this.int8(x);
    return this;
  }
  buffer(): Buffer {
    return Buffer.from(this.parts);
  }
}

interface Rec {
  attributes: number;
  timestampDelta: bigint;
  offsetDelta: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: [string | null, Buffer | null][];
  /** A declared length other than the record's (damage), or garbage instead of the record. */
  lengthDelta: number;
  garbage: Buffer | null;
}

function recordBytes(r: Rec): Buffer {
  if (r.garbage !== null) return r.garbage;
  const body = new Bytes()
    .int8(r.attributes)
    .varint(r.timestampDelta)
    .varint(r.offsetDelta)
    .bytes(r.key)
    .bytes(r.value);
  body.varint(BigInt(r.headers.length));
  for (const [k, v] of r.headers) body.bytes(k === null ? null : Buffer.from(k)).bytes(v);
  const b = body.buffer();
  return new Bytes()
    .varint(BigInt(b.length + r.lengthDelta))
    .raw(b)
    .buffer();
}

interface Batch {
  firstOffset: bigint;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
  attributes: number;
  gzip: boolean;
  lastOffsetDelta: number;
  producerId: bigint;
  producerEpoch: number;
  firstSequence: number;
  partitionLeaderEpoch: number;
  magic: number;
  countDelta: number;
  lengthDelta: number;
  records: Rec[];
}

function batchBytes(b: Batch): Buffer {
  const records = Buffer.concat(b.records.map(recordBytes));
  const count = b.records.length + b.countDelta;
  const body = new Bytes()
    .int32(b.partitionLeaderEpoch)
    .int8(b.magic)
    .int32(0) // kafkajs does not check the CRC
    .int16(b.attributes | (b.gzip ? 1 : 0))
    .int32(b.lastOffsetDelta)
    .int64(b.firstTimestamp)
    .int64(b.maxTimestamp)
    .int64(b.producerId)
    .int16(b.producerEpoch)
    .int32(b.firstSequence)
    .int32(count)
    .raw(b.gzip ? gzipSync(records) : records)
    .buffer();
  return new Bytes()
    .int64(b.firstOffset)
    .int32(body.length + b.lengthDelta)
    .raw(body)
    .buffer();
}

const SAFE = 2n ** 53n;
const big = fc.oneof(
  fc.bigInt({ min: 0n, max: 10n ** 13n }),
  fc.bigInt({ min: SAFE - 1000n, max: SAFE + 1000n }),
  fc.bigInt({ min: -SAFE - 10n, max: -SAFE + 10n }),
  fc.constantFrom(-1n, 0n, 2n ** 63n - 1n, -(2n ** 63n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);
const delta = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: -100_000n, max: 100_000n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 50n), max: 2n ** 50n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }) }, // wider than kafkajs reads
);
const bytes = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => Buffer.from(s)),
);
const headerKey = fc.oneof(
  fc.constantFrom(null, 'a', 'a', 'b', 'toString', '__proto__', 'null', 'constructor', '1', '0'),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const smallDamage = fc.oneof(
  { weight: 12, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 5 }) },
);
const rec: fc.Arbitrary<Rec> = fc.record({
  attributes: fc.oneof(fc.constant(0), fc.integer({ min: -128, max: 127 })),
  timestampDelta: delta,
  offsetDelta: fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: -(2n ** 34n), max: 2n ** 34n })),
  key: bytes,
  value: bytes,
  headers: fc.array(fc.tuple(headerKey, bytes), { maxLength: 4 }),
  lengthDelta: smallDamage,
  garbage: fc.oneof(
    { weight: 20, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)) },
  ),
});
const batch: fc.Arbitrary<Batch> = fc.record({
  firstOffset: big,
  firstTimestamp: big,
  maxTimestamp: big,
  // timestamp type, transactional and control bits, and others kafkajs ignores
  attributes: fc.oneof(
    fc.constantFrom(0, 8, 16, 48, 56),
    fc.integer({ min: 0, max: 0xfff }).map((a) => a & ~7),
  ),
  gzip: fc.boolean(),
  lastOffsetDelta: fc.integer({ min: -1, max: 1000 }),
  producerId: big,
  producerEpoch: fc.integer({ min: -32768, max: 32767 }),
  firstSequence: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  partitionLeaderEpoch: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  magic: fc.oneof(fc.constant(2), fc.integer({ min: -128, max: 127 })),
  countDelta: fc.oneof(
    { weight: 10, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) },
  ),
  lengthDelta: smallDamage,
  records: fc.array(rec, { maxLength: 8 }),
});

/** Damage to a fetch's bytes: none, a truncation, bytes overwritten. */
const damage = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ cut: 0, flips: [] as [number, number][] }) },
  { weight: 1, arbitrary: fc.record({ cut: fc.nat(400), flips: fc.constant([] as [number, number][]) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      cut: fc.constant(0),
      flips: fc.array(fc.tuple(fc.nat(2000), fc.nat(255)), { maxLength: 4 }),
    }),
  },
);

/**
 * A value written out in full: keys in their order, Buffers as hex, functions by name (a header
 * named `constructor` holds one in kafkajs's object), holes and undefined apart.
 */
function canon(v: unknown): unknown {
  if (v instanceof FetchedRecord) return canon(asKafkajsRecord(v));
  if (Buffer.isBuffer(v)) return `buffer ${v.toString('hex')}`;
  if (typeof v === 'function') return `function ${v.name}`;
  if (Array.isArray(v)) return ['array', Array.from({ length: v.length }, (_, i) => (i in v ? canon(v[i]) : 'hole'))];
  if (v !== null && typeof v === 'object') {
    return ['object', Object.getPrototypeOf(v) === Object.prototype, Object.entries(v).map(([k, x]) => [k, canon(x)])];
  }
  return v === undefined ? 'undefined' : v;
}

/** What decoding a fetch's batches gives, as kafkajs's decodeMessages loops over them. */
async function decodeAll(decode: RecordBatchDecoder, buf: Buffer, at: number): Promise<unknown[]> {
  const d = new Decoder(buf);
  d.offset = at;
  const out: unknown[] = [];
  while (buf.length - d.offset >= 49) {
    try {
      out.push(canon(await decode(d)));
    } catch (err) {
      out.push(`threw ${(err as Error).name}: ${(err as Error).message}`);
      break;
    }
    out.push(d.offset);
  }
  out.push(d.offset);
  return out;
}

function fetchBytes(batches: Batch[], prefix: number, dmg: { cut: number; flips: [number, number][] }): Buffer {
  const buf = Buffer.concat([Buffer.alloc(prefix, 7), ...batches.map(batchBytes)]);
  for (const [at, v] of dmg.flips) if (buf.length > 0) buf[at % buf.length] = v;
  return buf.subarray(0, Math.max(0, buf.length - dmg.cut));
}

describe('the fast record batch decoder', () => {
  it('decodes as kafkajs does: random and damaged batches, the same batches, errors and decoder offsets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batch, { minLength: 1, maxLength: 3 }),
        fc.nat(3),
        damage,
        fc.boolean(),
        async (batches, prefix, dmg, inPlace) => {
          const buf = fetchBytes(batches, prefix, dmg);
          // Both kinds of records: kafkajs's plain objects, and those with values in place
          // (written out as kafkajs's object they turn into, fetched-record.ts).
          inPlaceRecords.enabled = inPlace;
          let ours: unknown[];
          try {
            ours = await decodeAll(fast, buf, prefix);
          } finally {
            inPlaceRecords.enabled = false;
          }
          // A forged header count kafkajs would build headers from nothing for (until memory runs
          // out): refused instead, and not run through kafkajs here. The test below covers it.
          if (ours.some((x) => typeof x === 'string' && x.startsWith('threw InputError'))) return;
          expect(ours).toStrictEqual(await decodeAll(kafkajsDecode, buf, prefix));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('refuses a record claiming more headers than its bytes hold, as does kafkajs guarded (unguarded it would build them all from nothing)', async () => {
    const r = recordBytes({ ...plainRecord(), headers: [] });
    // The record's header count (its last byte, 0) replaced by 2^30 as a varint.
    const forged = Buffer.concat([r.subarray(0, r.length - 1), new Bytes().varint(2n ** 30n).buffer()]);
    forged[0] = new Bytes().varint(BigInt(forged.length - 1)).buffer()[0];
    const b = batchBytes({ ...plainBatch(), records: [] });
    const buf = Buffer.concat([b.subarray(0, 57), new Bytes().int32(1).raw(forged).buffer()]);
    buf.writeInt32BE(buf.length - 12, 8);
    const d = new Decoder(buf);
    await expect(fast(d)).rejects.toMatchObject({ code: 'BATCH_UNDECODABLE' });
    expect(d.offset).toBe(buf.length); // past the batch, as kafkajs leaves it
    // kafkajs's own decoder, guarded as homeostat runs it, refuses it the same way (where the fast
    // path hands it a damaged batch in which it reads such a count).
    const theirs = await decodeAll(kafkajsDecode, buf, 0);
    expect(theirs[0]).toMatch(/^threw InputError: a record claims 1073741824 headers/);
    expect(await decodeAll(fast, buf, 0)).toStrictEqual(theirs);
    // 1024 claimed headers (under the bound) are left to kafkajs: its result, read past the record.
    const few = Buffer.concat([r.subarray(0, r.length - 1), new Bytes().varint(1024n).buffer()]);
    few[0] = new Bytes().varint(BigInt(few.length - 1)).buffer()[0];
    const buf2 = Buffer.concat([b.subarray(0, 57), new Bytes().int32(1).raw(few).buffer()]);
    buf2.writeInt32BE(buf2.length - 12, 8);
    expect(await decodeAll(fast, buf2, 0)).toStrictEqual(await decodeAll(kafkajsDecode, buf2, 0));
  });

  it('decodes the common batch itself (not by handing it to kafkajs): a record with headers, offsets and timestamps below 2^53', async () => {
    const original = jest.fn(kafkajsDecode);
    const { fastRecordBatchDecoder } = jest.requireActual<typeof import('../../../src/kafka/record-batch-decoder')>(
      '../../../src/kafka/record-batch-decoder',
    );
    const compression = load('kafkajs/src/protocol/message/compression') as {
      lookupCodecByAttributes: (a: number) => null;
    };
    const ours = fastRecordBatchDecoder({ original, lookupCodecByAttributes: compression.lookupCodecByAttributes });
    const r = plainRecord();
    const b: Batch = { ...plainBatch(), records: [{ ...r, offsetDelta: 0n, timestampDelta: 0n, headers: [] }, r] };
    const buf = batchBytes(b);
    const got = await decodeAll(ours, buf, 0);
    expect(got).toStrictEqual(await decodeAll(kafkajsDecode, buf, 0));
    expect(original).not.toHaveBeenCalled();
    const records = (await ours(new Decoder(buf))).records;
    expect(records.map((x) => [x.offset, x.timestamp])).toEqual([
      ['41', '1765000000000'],
      ['42', '1765000000012'],
    ]);
    expect(records[1].headers).toEqual({ h: [Buffer.from('1'), Buffer.from('2')] });
    expect(isFastRecordBatchDecoder(ours)).toBe(true);
    expect(isFastRecordBatchDecoder(kafkajsDecode)).toBe(false);
  });
});

function plainRecord(): Rec {
  return {
    attributes: 0,
    timestampDelta: 12n,
    offsetDelta: 1n,
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    headers: [
      ['h', Buffer.from('1')],
      ['h', Buffer.from('2')],
    ],
    lengthDelta: 0,
    garbage: null,
  };
}

function plainBatch(): Batch {
  return {
    firstOffset: 41n,
    firstTimestamp: 1_765_000_000_000n,
    maxTimestamp: 1_765_000_000_012n,
    attributes: 16,
    gzip: false,
    lastOffsetDelta: 1,
    producerId: 7n,
    producerEpoch: 0,
    firstSequence: 0,
    partitionLeaderEpoch: 3,
    magic: 2,
    countDelta: 0,
    lengthDelta: 0,
    records: [],
  };
}
