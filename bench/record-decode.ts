/**
 * Decoding fetched record batches: kafkajs 2.2.x's own decoder (src/protocol/recordBatch/v0/decoder.js:
 * a Decoder per record, each offset and timestamp string through its BigInt-backed Long, the
 * timestamp delta as a varlong of Longs) against src/kafka/record-batch-decoder.ts, on the same
 * bytes, in the same process, alternating which goes first:
 *
 *   npx tsx bench/record-decode.ts [--rounds 15]
 *
 * The bytes are what a fetch response carries for a partition: record batches as kafkajs's
 * producer writes them (its RecordBatch encoder, uncompressed, transactional, offsets in the
 * millions and real timestamps), of the processor's telemetry shape (a ~40-byte key, a ~130-byte
 * Avro value, no headers) and of stage records (one header), 1, 100 and 1 000 records a batch,
 * 10 000 records a fetch, decoded batch after batch as kafkajs's fetch (decodeMessages.js) does.
 * Both decoders' output is compared first. Each figure is the median of --rounds, in µs per
 * record. Writes bench/results/record-decode/<ISO time>.json.
 */
import { randomBytes } from 'node:crypto';
import { fastRecordBatchDecoder, type KafkaDecoder, type RecordBatchDecoder } from '../src/kafka/record-batch-decoder';
import { kafkajsModule, kafkajsModuleShared } from './lib/kafkajs-module';
import { argNumber, round, writeResult } from './lib/results';

const ROUNDS = argNumber('rounds', 15);
const PER_FETCH = 10_000;
const BATCH_SIZES = [1, 100, 1_000];

const kafkajsDecode = kafkajsModule('kafkajs/src/protocol/recordBatch/v0/decoder') as RecordBatchDecoder;
const Decoder = kafkajsModuleShared('kafkajs/src/protocol/decoder') as new (b: Buffer) => KafkaDecoder;
const Long = kafkajsModuleShared('kafkajs/src/utils/long') as { fromValue(v: unknown): unknown };
const { RecordBatch } = kafkajsModuleShared('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch(args: object): Promise<{ buffer: Buffer }>;
};
const Record = kafkajsModuleShared('kafkajs/src/protocol/recordBatch/record/v0') as (r: object) => unknown;
const compression = kafkajsModuleShared('kafkajs/src/protocol/message/compression') as {
  lookupCodecByAttributes(a: number): null;
};
const fast = fastRecordBatchDecoder({
  original: kafkajsDecode,
  lookupCodecByAttributes: compression.lookupCodecByAttributes,
});

/** A fetch's bytes for one partition: `PER_FETCH` records in batches of `perBatch`. */
async function fetchOf(perBatch: number, withHeader: boolean): Promise<Buffer> {
  const batches: Buffer[] = [];
  const t0 = 1_765_000_000_000;
  for (let first = 0; first < PER_FETCH; first += perBatch) {
    const records = Array.from({ length: perBatch }, (_, i) =>
      Record({
        offsetDelta: i,
        timestampDelta: i * 3,
        key: Buffer.from(`checkout-${String((first + i) % 100_000).padStart(6, '0')}|requests|region=eu-west-1`),
        value: randomBytes(120 + (i % 20)),
        ...(withHeader ? { headers: { 'homeostat.stage.kind': 'signal' } } : {}),
      }),
    );
    const batch = await RecordBatch({
      firstOffset: Long.fromValue(12_345_678 + first),
      firstTimestamp: t0 + first * 3,
      maxTimestamp: t0 + (first + perBatch - 1) * 3,
      lastOffsetDelta: perBatch - 1,
      transactional: true,
      producerId: Long.fromValue(4242),
      records,
    });
    batches.push(batch.buffer);
  }
  return Buffer.concat(batches);
}

/** Every batch of the fetch, as kafkajs's decodeMessages loops over them; the record count. */
async function decodeFetch(decode: RecordBatchDecoder, bytes: Buffer, out?: unknown[]): Promise<number> {
  const d = new Decoder(bytes);
  let n = 0;
  while (bytes.length - d.offset >= 49) {
    const batch = await decode(d);
    n += batch.records.length;
    out?.push(batch);
  }
  return n;
}

/** µs per record of decoding the fetch: enough repetitions for about 50 ms. */
async function usPerRecord(decode: RecordBatchDecoder, bytes: Buffer): Promise<number> {
  const reps = 5;
  const started = performance.now();
  let n = 0;
  for (let r = 0; r < reps; r++) n += await decodeFetch(decode, bytes);
  return ((performance.now() - started) * 1000) / n;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Row {
  shape: string;
  recordsPerBatch: number;
  kafkajsUs: number;
  fastUs: number;
  ratio: number;
}

async function measure(shape: string, perBatch: number, withHeader: boolean): Promise<Row> {
  const bytes = await fetchOf(perBatch, withHeader);
  const theirs: unknown[] = [];
  const ours: unknown[] = [];
  await decodeFetch(kafkajsDecode, bytes, theirs);
  await decodeFetch(fast, bytes, ours);
  const { isDeepStrictEqual } = await import('node:util');
  if (!isDeepStrictEqual(ours, theirs)) throw new Error('decodings differ');
  const runs = { kafkajs: [] as number[], fast: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      runs.fast.push(await usPerRecord(fast, bytes));
      runs.kafkajs.push(await usPerRecord(kafkajsDecode, bytes));
    } else {
      runs.kafkajs.push(await usPerRecord(kafkajsDecode, bytes));
      runs.fast.push(await usPerRecord(fast, bytes));
    }
  }
  const row = {
    shape,
    recordsPerBatch: perBatch,
    kafkajsUs: round(median(runs.kafkajs), 3),
    fastUs: round(median(runs.fast), 3),
    ratio: round(median(runs.kafkajs) / median(runs.fast), 1),
  };
  console.log(`${shape}, ${perBatch} a batch: kafkajs ${row.kafkajsUs} µs/record, fast ${row.fastUs}: ${row.ratio}×`);
  return row;
}

async function main(): Promise<void> {
  const warm = await fetchOf(100, true);
  for (let i = 0; i < 5; i++) {
    await decodeFetch(kafkajsDecode, warm);
    await decodeFetch(fast, warm);
  }
  const rows: Row[] = [];
  for (const [shape, withHeader] of [
    ['telemetry records', false],
    ['stage records (one header)', true],
  ] as const) {
    for (const n of BATCH_SIZES) rows.push(await measure(shape, n, withHeader));
  }
  const file = writeResult('record-decode', {
    definition:
      'µs per record to decode a fetch of 10 000 records in batches of n, median of rounds; ratio = kafkajs / fast',
    rounds: ROUNDS,
    rows,
  });
  console.log(`wrote ${file}`);
}

void main();
