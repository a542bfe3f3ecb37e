import { gzipSync } from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import {
  MAX_INFLATED_BYTES,
  MIN_INFLATE_BYTES,
  UNDECODABLE_HEADER,
  inflateBound,
  installBoundedCodecs,
} from '../../../src/kafka/codecs';

// kafkajs's own record decoder: the placeholders must read as the records of the batch.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => { readVarIntBytes(): Buffer };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  d: unknown,
  ctx: object,
) => { offset: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> };

interface Codec {
  decompress(b: Buffer): Promise<Buffer>;
}
const codec = (type: number): Codec => (CompressionCodecs as unknown as Record<number, () => Codec>)[type]();

/** The compressed records of a v2 batch, as kafkajs hands them to a codec: a view 61 bytes past the batch start. */
function inBatch(records: Buffer, o: { firstOffset: bigint; count: number; lastOffsetDelta: number; codec: number }) {
  const batch = Buffer.alloc(61 + records.length);
  batch.writeBigInt64BE(o.firstOffset, 0);
  batch.writeInt32BE(49 + records.length, 8);
  batch.writeInt8(2, 16);
  batch.writeInt16BE(o.codec, 21);
  batch.writeInt32BE(o.lastOffsetDelta, 23);
  batch.writeInt32BE(o.count, 57);
  records.copy(batch, 61);
  return batch.subarray(61);
}

function readAll(buf: Buffer, count: number, firstOffset: string) {
  const d = new Decoder(buf);
  return Array.from({ length: count }, () =>
    decodeRecord(new Decoder(d.readVarIntBytes()), { firstOffset, firstTimestamp: '0', timestampType: 0 }),
  );
}

beforeAll(() => installBoundedCodecs());

describe('bounded codecs', () => {
  it('inflates honest gzip as before', async () => {
    const json = Buffer.from(JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ i }))));
    expect((await codec(CompressionTypes.GZIP).decompress(gzipSync(json))).equals(json)).toBe(true);
  });

  it('bounds inflation by the batch size, within a floor and a ceiling', () => {
    expect(inflateBound(100)).toBe(MIN_INFLATE_BYTES);
    expect(inflateBound(100_000)).toBe(12_800_000);
    expect(inflateBound(10_000_000)).toBe(MAX_INFLATED_BYTES);
  });

  it('turns a gzip bomb into one placeholder per record, at the batch offsets, with the reason', async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    const view = inBatch(bomb, { firstOffset: 500n, count: 3, lastOffsetDelta: 2, codec: 1 });
    const records = readAll(await codec(CompressionTypes.GZIP).decompress(view), 3, '500');
    expect(records.map((r) => r.offset)).toEqual(['500', '501', '502']);
    for (const r of records) {
      expect(r.value).toBeNull();
      expect(r.headers[UNDECODABLE_HEADER].toString()).toMatch(
        /inflates past .* decompression bomb \(batch at offsets 500–502, 3 records\)/,
      );
    }
  });

  it('turns a batch in a codec the client lacks into placeholders; the last covers the batch end', async () => {
    const view = inBatch(Buffer.from('zstd bytes'), { firstOffset: 7n, count: 2, lastOffsetDelta: 4, codec: 4 });
    const records = readAll(await codec(CompressionTypes.ZSTD).decompress(view), 2, '7');
    expect(records.map((r) => r.offset)).toEqual(['7', '11']);
    expect(records[0].headers[UNDECODABLE_HEADER].toString()).toMatch(/a zstd-compressed batch/);
  });

  it('reports a batch whose header cannot be read, or claims too many records, as a cut-off tail', async () => {
    await expect(codec(CompressionTypes.Snappy).decompress(Buffer.from('no header before me'))).rejects.toMatchObject({
      name: 'KafkaJSPartialMessageError',
    });
    const huge = inBatch(Buffer.from('x'), { firstOffset: 0n, count: 2 ** 30, lastOffsetDelta: 0, codec: 2 });
    await expect(codec(CompressionTypes.Snappy).decompress(huge)).rejects.toThrow(/claims 1073741824 records/);
  });
});
