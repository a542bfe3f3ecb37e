/**
 * A read_committed probe for bench/clients.ts: does a client deliver records of an aborted
 * transaction when a fetch response ends before the transaction's abort marker? That is the
 * normal shape after a processor crashed mid-transaction (its open transaction is aborted by
 * the next owner) whenever the aborted transaction is larger than one fetch.
 *
 * One partition: a transaction of ABORTED records of 1 KiB (key "aborted"), aborted; then a
 * transaction of COMMITTED records (key "committed"), committed. Each client reads it with a
 * fresh group, read_committed, fetching at most SMALL_FETCH_BYTES per partition (so that the
 * aborted transaction spans many fetches), then again at the runner's maxBytesPerPartition (the
 * whole transaction and its marker in one fetch), until it has the committed records and 2 s of
 * quiet.
 * A correct client delivers COMMITTED records and no aborted one.
 */
import type { Kafka } from 'kafkajs';
import type { HomeostatConfig } from '../../src/ops/config';
import { connectTransactional } from '../../src/kafka/transaction';
import { createTopics } from './kafka';
import { randomName, waitUntil } from './clients-util';
import { closeForced, platformaticConsumer, type PlatformaticKafka } from './platformatic';

const ABORTED = 600;
const COMMITTED = 100;
const PER_SEND = 200;
/** A small fetch, so that the aborted transaction spans many fetches; the runner's own size is read too. */
const SMALL_FETCH_BYTES = 16 * 1024;
const QUIET_MS = 2_000;
const TIMEOUT_MS = 60_000;

export interface ClientIsolation {
  committed: number;
  /** Records of the aborted transaction delivered (0 for a correct read_committed client). */
  abortedDelivered: number;
  /** The client's error, when it failed instead of reading. */
  error: string | null;
}

export interface IsolationRead {
  fetchBytesPerPartition: number;
  kafkajs: ClientIsolation;
  platformatic: ClientIsolation;
}

export interface IsolationProbe {
  aborted: number;
  committed: number;
  reads: IsolationRead[];
}

async function writeProbe(kafka: Kafka, topic: string): Promise<void> {
  const producer = await connectTransactional(kafka, randomName('bench-clients-probe-tx'));
  try {
    const value = Buffer.alloc(1024, 97);
    for (const [key, count, commit] of [
      ['aborted', ABORTED, false],
      ['committed', COMMITTED, true],
    ] as const) {
      const tx = await producer.transaction();
      for (let sent = 0; sent < count; sent += PER_SEND)
        await tx.send({
          topic,
          messages: Array.from({ length: Math.min(PER_SEND, count - sent) }, () => ({ key, value })),
        });
      await (commit ? tx.commit() : tx.abort());
    }
  } finally {
    await producer.disconnect();
  }
}

function tally(): { seen: ClientIsolation; add(key: string | undefined): void; last: () => number } {
  const seen: ClientIsolation = { committed: 0, abortedDelivered: 0, error: null };
  let last = Date.now();
  return {
    seen,
    add(key) {
      if (key === 'committed') seen.committed++;
      else seen.abortedDelivered++;
      last = Date.now();
    },
    last: () => last,
  };
}

const settled = (t: ReturnType<typeof tally>) => (): boolean =>
  t.seen.error !== null || (t.seen.committed >= COMMITTED && Date.now() - t.last() > QUIET_MS);

async function kafkajsRead(kafka: Kafka, topic: string, fetchBytes: number): Promise<ClientIsolation> {
  const t = tally();
  const consumer = kafka.consumer({
    groupId: randomName('bench-clients-probe-kjs'),
    readUncommitted: false,
    maxBytesPerPartition: fetchBytes,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => Promise.resolve(t.add(message.key?.toString())),
    });
    await waitUntil(settled(t), TIMEOUT_MS, 50);
  } catch (err) {
    t.seen.error = (err as Error).message;
  } finally {
    await consumer.disconnect();
  }
  return t.seen;
}

async function platformaticRead(
  lib: PlatformaticKafka,
  brokers: string[],
  config: HomeostatConfig,
  topic: string,
  fetchBytes: number,
): Promise<ClientIsolation> {
  const t = tally();
  const consumer = platformaticConsumer(lib, brokers, config, randomName('bench-clients-probe-plt'), fetchBytes);
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest' });
    stream.on('data', (m) => t.add(m.key?.toString()));
    stream.on('error', (err: Error) => (t.seen.error = err.message));
    await waitUntil(settled(t), TIMEOUT_MS, 50);
    await stream.close();
  } catch (err) {
    t.seen.error = (err as Error).message;
  } finally {
    await closeForced(consumer).catch(() => undefined);
  }
  return t.seen;
}

export async function isolationProbe(
  lib: PlatformaticKafka,
  kafka: Kafka,
  brokers: string[],
  config: HomeostatConfig,
  created: string[],
): Promise<IsolationProbe> {
  const topic = randomName('bench-clients-probe');
  await createTopics(kafka, [{ topic, partitions: 1 }]);
  created.push(topic);
  await writeProbe(kafka, topic);
  const reads: IsolationRead[] = [];
  for (const fetchBytes of [SMALL_FETCH_BYTES, config.runner.maxBytesPerPartition]) {
    reads.push({
      fetchBytesPerPartition: fetchBytes,
      kafkajs: await kafkajsRead(kafka, topic, fetchBytes),
      platformatic: await platformaticRead(lib, brokers, config, topic, fetchBytes),
    });
  }
  return { aborted: ABORTED, committed: COMMITTED, reads };
}
