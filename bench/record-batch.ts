/**
 * Encoding a produce request: kafkajs 2.2.x's own (src/protocol/requests/produce/v3/request.js:
 * a `Record` through a new Encoder per message, the timestamp delta through its BigInt-backed
 * Long, a byte-at-a-time CRC-32C) against src/kafka/produce-request.ts (records written
 * straight into one buffer, slicing-by-8 CRC-32C), on the same messages, in the same process,
 * alternating which goes first:
 *
 *   npx tsx bench/record-batch.ts [--rounds 15]
 *
 * Messages are the processor's signal records (a ~40-byte string key, a ~130-byte Avro value,
 * no timestamp, no headers) and stage records (the same plus one header), sent 1, 100, 3 300
 * (about one transaction of the fleet-shape pipeline bench) and 33 000 per request over three
 * partitions. Also timed, for kafkajs's encoder: its per-message `Record` building alone and
 * its CRC-32C alone over the batch — where its µs go. Each figure is the median of --rounds,
 * in µs per message. Writes bench/results/record-batch/<ISO time>.json.
 */
import { randomBytes } from 'node:crypto';
import { crc32c } from '../src/kafka/crc32c';
import {
  fastProduceRequestFromKafkajs,
  type ProduceRequestArgs,
  type ProduceRequestFactory,
} from '../src/kafka/produce-request';
import type { BatchMessage } from '../src/kafka/record-batch';
import { kafkajsModule, kafkajsModuleShared } from './lib/kafkajs-module';
import { argNumber, round, writeResult } from './lib/results';

const ROUNDS = argNumber('rounds', 15);
const SIZES = [1, 100, 3_300, 33_000];
const PARTITIONS = 3;

const kafkajsRequest = kafkajsModule('kafkajs/src/protocol/requests/produce/v3/request') as ProduceRequestFactory;
const kafkajsRecord = kafkajsModule('kafkajs/src/protocol/recordBatch/record/v0') as (r: object) => unknown;
const kafkajsCrc = kafkajsModule('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
// The fast request over kafkajs's own modules, its fallback kafkajs's original module.
const fast = fastProduceRequestFromKafkajs((id) =>
  id.endsWith('/produce/v3/request') ? kafkajsRequest : kafkajsModuleShared(id),
);

function messagesOf(n: number, withHeader: boolean): BatchMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `checkout-${String(i % 100_000).padStart(6, '0')}|requests|region=eu-west-1`,
    value: randomBytes(120 + (i % 20)),
    ...(withHeader ? { headers: { 'homeostat.stage.kind': 'signal' } } : {}),
  }));
}

function requestOf(messages: BatchMessage[]): ProduceRequestArgs {
  const partitions = Array.from({ length: PARTITIONS }, (_, p) => ({
    partition: p,
    firstSequence: 0,
    messages: messages.filter((_, i) => i % PARTITIONS === p),
  })).filter((p) => p.messages.length > 0);
  return {
    acks: -1,
    timeout: 30_000,
    transactionalId: 'homeostat-0',
    producerEpoch: 0,
    topicData: [{ topic: 'signals', partitions }],
  };
}

/** µs per message of `fn` over `n` messages: enough repetitions for about 20 ms. */
async function usPerMessage(n: number, fn: () => unknown): Promise<number> {
  const reps = Math.max(1, Math.ceil(20_000 / n));
  const started = performance.now();
  for (let r = 0; r < reps; r++) await fn();
  return ((performance.now() - started) * 1000) / (reps * n);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Row {
  shape: string;
  messages: number;
  kafkajsUs: number;
  fastUs: number;
  ratio: number;
  kafkajsRecordsUs: number;
  kafkajsCrcUs: number;
  fastCrcUs: number;
}

async function measure(shape: string, n: number, withHeader: boolean): Promise<Row> {
  const args = requestOf(messagesOf(n, withHeader));
  // Same clock for both while checking the bytes: a message without a timestamp takes Date.now().
  const realNow = Date.now;
  const at = realNow();
  Date.now = () => at;
  const k = await kafkajsRequest(args).encode();
  const f = await fast(args).encode();
  Date.now = realNow;
  const bytes = k.buf.subarray(0, k.offset);
  if (!f.buf.subarray(0, f.offset).equals(bytes)) throw new Error('encodings differ');
  const runs = {
    kafkajs: [] as number[],
    fast: [] as number[],
    records: [] as number[],
    crc: [] as number[],
    fastCrc: [] as number[],
  };
  for (let round = 0; round < ROUNDS; round++) {
    const ours = (): Promise<unknown> => fast(args).encode();
    const theirs = (): Promise<unknown> => kafkajsRequest(args).encode();
    if (round % 2 === 0) {
      runs.fast.push(await usPerMessage(n, ours));
      runs.kafkajs.push(await usPerMessage(n, theirs));
    } else {
      runs.kafkajs.push(await usPerMessage(n, theirs));
      runs.fast.push(await usPerMessage(n, ours));
    }
    const msgs = args.topicData[0].partitions.flatMap((p) => p.messages);
    runs.records.push(
      await usPerMessage(n, () => msgs.map((m, i) => kafkajsRecord({ ...m, offsetDelta: i, timestampDelta: 0 }))),
    );
    runs.crc.push(await usPerMessage(n, () => kafkajsCrc(bytes)));
    runs.fastCrc.push(await usPerMessage(n, () => crc32c(bytes)));
  }
  const row = {
    shape,
    messages: n,
    kafkajsUs: round(median(runs.kafkajs), 3),
    fastUs: round(median(runs.fast), 3),
    ratio: round(median(runs.kafkajs) / median(runs.fast), 1),
    kafkajsRecordsUs: round(median(runs.records), 3),
    kafkajsCrcUs: round(median(runs.crc), 3),
    fastCrcUs: round(median(runs.fastCrc), 3),
  };
  console.log(
    `${shape}, ${n} per request: kafkajs ${row.kafkajsUs} µs/message (its Records ${row.kafkajsRecordsUs}, CRC ${row.kafkajsCrcUs}), ` +
      `fast ${row.fastUs} (CRC ${row.fastCrcUs}): ${row.ratio}×`,
  );
  return row;
}

async function main(): Promise<void> {
  // Warm both up.
  const warm = requestOf(messagesOf(500, true));
  for (let i = 0; i < 50; i++) {
    await kafkajsRequest(warm).encode();
    await fast(warm).encode();
  }
  const rows: Row[] = [];
  for (const [shape, withHeader] of [
    ['signal records', false],
    ['stage records (one header)', true],
  ] as const) {
    for (const n of SIZES) rows.push(await measure(shape, n, withHeader));
  }
  const file = writeResult('record-batch', {
    definition: 'µs per message to encode one produce request (3 partitions), median of rounds; ratio = kafkajs / fast',
    rounds: ROUNDS,
    rows,
  });
  console.log(`wrote ${file}`);
}

void main();
