/**
 * Kafka helpers for the fault tests, bound to a broker instance of their own (not the shared
 * broker of test/helpers/kafka.ts): topics, ordered idempotent produce, and reading a whole
 * topic back read_committed. Every client they create is closed before they return.
 */
import { Kafka, logLevel, type IHeaders, type Message } from 'kafkajs';
import { kafkaJsConfig, producerConfig } from '../../../src/kafka/client';
import { readTopicToEnd } from '../../../src/kafka/state-topic';
import { ensureTopics, topicSpecs, waitForLeaders } from '../../../src/kafka/topics';
import type { TopicsConfig } from '../../../src/config/kafka-schema';
import type { BrokerInstance } from '../../helpers/instance';
import { randomName, sendInChunks } from '../../helpers/kafka';

export function faultKafka(inst: BrokerInstance): Kafka {
  return new Kafka({
    ...kafkaJsConfig(inst.kafkaConfig({ clientId: randomName('faults') })),
    logLevel: logLevel.NOTHING,
  });
}

export async function createTopics(
  inst: BrokerInstance,
  topics: { topic: string; partitions: number; configEntries?: { name: string; value: string }[] }[],
): Promise<void> {
  const admin = faultKafka(inst).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((t) => ({ ...t, numPartitions: t.partitions, replicationFactor: 1 })),
      waitForLeaders: false,
    });
    await waitForLeaders(
      admin,
      topics.map((t) => t.topic),
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates every topic the processor uses, as `homeostat topics create` does, and waits until
 * each answers ListOffsets: a KRaft broker reports a leader in metadata a moment before the
 * leader serves ListOffsets, and kafkajs's admin.fetchTopicOffsets gives up on the
 * NOT_LEADER_OR_FOLLOWER it gets meanwhile (docs/reliability.md, "Start-up on a fresh broker").
 */
export async function createProcessorTopics(
  inst: BrokerInstance,
  topics: TopicsConfig,
  decisionShards = 0,
): Promise<void> {
  const admin = faultKafka(inst).admin();
  await admin.connect();
  try {
    const specs = topicSpecs(topics, decisionShards);
    await ensureTopics(admin, specs);
    for (const spec of specs) {
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.fetchTopicOffsets(spec.topic);
          break;
        } catch (err) {
          if (attempt >= 100) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Produces in order: one request in flight, idempotent, each chunk awaited. Never called
 * while the broker is down, so what lands on the topic is exactly `messages` — the tests
 * still read the topic back and use what is there as the input of their reference run.
 */
export async function produceOrdered(
  inst: BrokerInstance,
  topic: string,
  messages: Message[],
  chunk = 2000,
): Promise<void> {
  await sendInChunks(
    faultKafka(inst).producer(
      producerConfig({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
    ),
    topic,
    messages,
    chunk,
  );
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/** Every committed record of `topic`, by partition then offset (see readTopicToEnd). */
export async function readAll(inst: BrokerInstance, topic: string, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  await readTopicToEnd(
    faultKafka(inst),
    topic,
    (m, partition) =>
      out.push({ partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null, headers: m.headers ?? {} }),
    { timeoutMs },
  );
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** Number of records up to the high watermarks (committed, aborted and markers alike). */
export async function endOffsets(inst: BrokerInstance, topic: string): Promise<number> {
  const admin = faultKafka(inst).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export function header(r: ReadRecord, name: string): string | undefined {
  const v = r.headers[name];
  if (v === undefined) return undefined;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}
