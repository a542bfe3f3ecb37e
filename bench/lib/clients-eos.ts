/**
 * The exactly-once cycle on each client, for bench/clients.ts: consume a batch, write one
 * output record per input record (key = "<input partition>:<input offset>", value = the input's
 * value) in a transaction together with the consumed offsets of the group, commit; repeat
 * until every input record is committed. Then a check, by the same neutral reader for both
 * clients: the outputs read back read_committed are exactly the inputs (as many, no key twice)
 * and the group's committed offsets are at the input's log end.
 *
 * kafkajs: `transaction()` + `sendBatch` + `sendOffsets` + `commit` through the processor's own
 * writeTransaction (src/kafka/transaction.ts), one transaction per `eachBatch` (one partition's
 * fetch). @platformatic/kafka: `beginTransaction()` + `send` + `addConsumer(consumer)` (adds the
 * group: AddOffsetsToTxn) + `addOffset(message)` (TxnOffsetCommit with the member id and
 * generation of the consumer that read it) + `commit`, one transaction per drained fetch of its
 * messages stream, capped at the same bytes as a kafkajs batch.
 */
import type { Kafka, TopicMessages } from 'kafkajs';
import type { Message } from '@platformatic/kafka';
import { chunkMessages, connectTransactional, writeTransaction } from '../../src/kafka/transaction';
import { withAdmin } from './kafka';
import { clientPhase, kafkajsConsumer, type ClientPhase, type ConsumeTarget } from './clients-consume';
import { randomName, round, waitUntil } from './clients-util';
import { startCpuMeter } from './cpu';
import {
  closeForced,
  platformaticConsumer,
  platformaticTransactionalProducer,
  type PlatformaticKafka,
} from './platformatic';

/** As the processor's transactions: requests of at most 512 KiB (writeTransaction's own bound). */
const MAX_REQUEST_BYTES = 512 * 1024;

export interface EosTarget extends ConsumeTarget {
  /** Where the outputs go (as many partitions as the input). */
  output: string;
}

export interface EosCheck {
  /** Output records read back read_committed, and how many distinct input positions they name. */
  outputs: number;
  distinctOutputs: number;
  /** Per input partition: the group's committed offset and the log end. */
  offsets: { partition: number; committed: string; end: string }[];
  exact: boolean;
}

export interface EosPhase extends ClientPhase {
  transactions: number;
  transactionsPerSec: number;
  recordsPerTransaction: number;
  check: EosCheck;
}

function eosPhase(base: ClientPhase, transactions: number, check: EosCheck): EosPhase {
  return {
    ...base,
    transactions,
    transactionsPerSec: round(transactions / (base.ms / 1000), 1),
    recordsPerTransaction: transactions > 0 ? Math.round(base.records / transactions) : 0,
    check,
  };
}

const outputKey = (partition: number, offset: string | bigint): string => `${partition}:${String(offset)}`;

/** kafkajs: one transaction per eachBatch, written by the processor's writeTransaction. */
export async function kafkajsExactlyOnce(kafka: Kafka, t: EosTarget): Promise<EosPhase> {
  const groupId = randomName('bench-clients-eos-kjs');
  const producer = await connectTransactional(kafka, randomName('bench-clients-tx-kjs'));
  const consumer = kafkajsConsumer(kafka, t.config, groupId);
  let committed = 0;
  let transactions = 0;
  let failure: Error | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: t.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (batch.messages.length === 0) return;
        const last = batch.messages[batch.messages.length - 1].offset;
        const messages = batch.messages.map((m) => ({ key: outputKey(batch.partition, m.offset), value: m.value }));
        try {
          await writeTransaction(producer, [{ topic: t.output, messages }], {
            consumerGroupId: groupId,
            topics: [
              { topic: t.topic, partitions: [{ partition: batch.partition, offset: String(BigInt(last) + 1n) }] },
            ],
          });
        } catch (err) {
          failure ??= err instanceof Error ? err : new Error(String(err));
          throw err;
        }
        resolveOffset(last);
        committed += batch.messages.length;
        transactions++;
      },
    });
    const cpu = startCpuMeter();
    const start = performance.now();
    await waitUntil(() => committed >= t.expected || failure !== undefined, t.timeoutMs);
    const ms = performance.now() - start;
    const used = cpu.read();
    if (failure !== undefined) throw failure;
    if (committed < t.expected) throw new Error(`kafkajs committed ${committed} of ${t.expected} in ${t.timeoutMs} ms`);
    await consumer.disconnect();
    return eosPhase(clientPhase(committed, ms, used), transactions, await checkExactlyOnce(kafka, t, groupId));
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

/** The outputs of one batch in requests of at most MAX_REQUEST_BYTES, as writeTransaction sends them. */
function outputChunks(batch: readonly Message[], output: string): { topic: string; key: Buffer; value: Buffer }[][] {
  const tm: TopicMessages = {
    topic: output,
    messages: batch.map((m) => ({ key: Buffer.from(outputKey(m.partition, m.offset)), value: m.value })),
  };
  return chunkMessages([tm], MAX_REQUEST_BYTES).map((chunk) =>
    chunk.flatMap((c) => c.messages.map((m) => ({ topic: output, key: m.key as Buffer, value: m.value as Buffer }))),
  );
}

/** @platformatic/kafka: one transaction per drained fetch of the messages stream. */
export async function platformaticExactlyOnce(lib: PlatformaticKafka, kafka: Kafka, t: EosTarget): Promise<EosPhase> {
  const groupId = randomName('bench-clients-eos-plt');
  const consumer = platformaticConsumer(lib, t.brokers, t.config, groupId);
  const producer = platformaticTransactionalProducer(lib, t.brokers, randomName('bench-clients-tx-plt'));
  let committed = 0;
  let transactions = 0;
  const writeBatch = async (batch: readonly Message[]): Promise<void> => {
    const tx = await producer.beginTransaction();
    try {
      for (const messages of outputChunks(batch, t.output)) await tx.send({ messages });
      await tx.addConsumer(consumer);
      const lastOfPartition = new Map<number, Message>();
      for (const m of batch) lastOfPartition.set(m.partition, m);
      // One at a time: the producer deduplicates concurrent TxnOffsetCommit calls under one
      // operation key ('commit'), so concurrent addOffset calls would all get the first one's answer.
      for (const m of lastOfPartition.values()) await tx.addOffset(m);
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
  };
  try {
    // InitProducerId before the clock starts, as connectTransactional does for kafkajs.
    await (await producer.beginTransaction()).cancel();
    const stream = await consumer.consume({ topics: [t.topic], mode: 'committed', fallbackMode: 'earliest' });
    const cpu = startCpuMeter();
    const start = performance.now();
    const timer = setTimeout(() => void stream.close(), t.timeoutMs);
    let batch: Message[] = [];
    let bytes = 0;
    for await (const m of stream) {
      batch.push(m);
      bytes += m.value.length;
      if (stream.readableLength > 0 && bytes < t.config.runner.maxBytesPerPartition) continue;
      await writeBatch(batch);
      committed += batch.length;
      transactions++;
      batch = [];
      bytes = 0;
      if (committed >= t.expected) break;
    }
    clearTimeout(timer);
    const ms = performance.now() - start;
    const used = cpu.read();
    await stream.close();
    if (committed < t.expected)
      throw new Error(`@platformatic/kafka committed ${committed} of ${t.expected} in ${t.timeoutMs} ms`);
    await closeForced(consumer);
    return eosPhase(clientPhase(committed, ms, used), transactions, await checkExactlyOnce(kafka, t, groupId));
  } finally {
    await closeForced(consumer).catch(() => undefined);
    await closeForced(producer);
  }
}

/** Reads the outputs back read_committed (kafkajs, for both clients) and the group's committed offsets. */
export async function checkExactlyOnce(kafka: Kafka, t: EosTarget, groupId: string): Promise<EosCheck> {
  const keys = new Set<string>();
  let outputs = 0;
  const consumer = kafka.consumer({ groupId: randomName('bench-clients-check'), readUncommitted: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: t.output, fromBeginning: true });
    let lastSeen = Date.now();
    await consumer.run({
      eachBatch: ({ batch }) => {
        for (const m of batch.messages) keys.add(m.key!.toString());
        outputs += batch.messages.length;
        lastSeen = Date.now();
        return Promise.resolve();
      },
    });
    // All of them, then 2 s of quiet, so that a duplicate after the N-th record would be counted.
    await waitUntil(() => outputs >= t.expected && Date.now() - lastSeen > 2_000, t.timeoutMs, 50);
  } finally {
    await consumer.disconnect();
  }
  const offsets = await withAdmin(kafka, async (admin) => {
    const ends = await admin.fetchTopicOffsets(t.topic);
    const [group] = await admin.fetchOffsets({ groupId, topics: [t.topic] });
    return ends.map((e) => ({
      partition: e.partition,
      committed: group.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1',
      end: e.high,
    }));
  });
  const exact = outputs === t.expected && keys.size === t.expected && offsets.every((o) => o.committed === o.end);
  return { outputs, distinctOutputs: keys.size, offsets: offsets.sort((a, b) => a.partition - b.partition), exact };
}
