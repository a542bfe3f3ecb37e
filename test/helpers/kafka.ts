/**
 * Helpers for integration tests on the real broker: random topic names, producing and
 * reading back everything on a topic, and closing every client they create.
 */
import { randomBytes } from 'node:crypto';
import { CompressionTypes, Kafka, logLevel, type Admin, type KafkaMessage, type Message, type Producer } from 'kafkajs';
import { decodeCheckpoint } from '../../src/kafka/checkpoint-meta';
import { waitForLeaders } from '../../src/kafka/topics';
import { brokers } from './services';
import { producerConfig } from '../../src/kafka/client';

export function randomName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

export function testKafka(clientId = randomName('test')): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.NOTHING });
}

/** Runs `fn` with a connected admin and always disconnects it. */
export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * True once a homeostat consumer group has handled every record of `topic`: each partition's
 * committed checkpoint says the next offset to read is the last stable offset (what a
 * read_committed admin lists). A topic written in transactions ends in markers, aborted ones
 * too after a fence: the reader must have stepped over them (src/kafka/non-data.ts).
 */
export async function checkpointsAtEnd(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  return ends.every((e) => {
    const next = decodeCheckpoint(entry?.partitions.find((x) => x.partition === e.partition)?.metadata)?.next;
    return e.high === '0' || (next !== undefined && BigInt(next) >= BigInt(e.high));
  });
}

export async function createTopic(topic: string, partitions = 1): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: false,
    });
    await waitForLeaders(admin, [topic]);
  });
}

/** Produces messages in chunks (explicit partitions allowed) and disconnects. */
export async function produce(topic: string, messages: Message[], chunk = 2000): Promise<void> {
  await sendInChunks(testKafka().producer(producerConfig({ allowAutoTopicCreation: false })), topic, messages, chunk);
}

/** Connects `producer`, sends `messages` in order, each chunk awaited, and disconnects it. */
export async function sendInChunks(
  producer: Producer,
  topic: string,
  messages: Message[],
  chunk: number,
): Promise<void> {
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += chunk) {
      await producer.send({ topic, messages: messages.slice(i, i + chunk) });
    }
  } finally {
    await producer.disconnect();
  }
}

export type ReadMessage = KafkaMessage & { partition: number };

/**
 * Reads a topic from the start until it holds `expected` messages (read_committed, so
 * aborted transactions are invisible) or `timeoutMs` passes, and returns what it read.
 */
export async function readTopic(
  topic: string,
  expected: number,
  timeoutMs = 60_000,
  readUncommitted = false,
): Promise<ReadMessage[]> {
  const consumer = testKafka().consumer({ groupId: randomName('reader'), readUncommitted });
  const out: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          out.push({ ...message, partition });
          if (out.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
      if (expected === 0) {
        clearTimeout(timer);
        setTimeout(resolve, 3000);
      }
    });
    await done;
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * Each list of messages in a transaction of its own (sent in two halves), committed or aborted,
 * by one idempotent transactional producer.
 */
export async function produceTransactions(
  topic: string,
  transactions: readonly { messages: Message[]; commit: boolean }[],
): Promise<void> {
  const producer = testKafka().producer(
    producerConfig({ transactionalId: randomName('tx'), idempotent: true, maxInFlightRequests: 1 }),
  );
  await producer.connect();
  try {
    for (const { messages, commit } of transactions) {
      const tx = await producer.transaction();
      const half = Math.floor(messages.length / 2);
      await tx.send({ topic, messages: messages.slice(0, half) });
      await tx.send({ topic, messages: messages.slice(half) });
      if (commit) await tx.commit();
      else await tx.abort();
    }
  } finally {
    await producer.disconnect();
  }
}

/** `messages` in one gzip send by an idempotent producer (acks from all replicas). */
export async function produceGzip(topic: string, messages: Message[]): Promise<void> {
  const producer = testKafka().producer(producerConfig({ idempotent: true }));
  await producer.connect();
  try {
    await producer.send({ topic, messages, compression: CompressionTypes.GZIP, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/**
 * n messages of every shape a client writes: null and string keys, Buffer and string values
 * (non-ASCII too), header arrays mixing strings and Buffers, and explicit timestamps —
 * `nullValues` makes every 11th value null, `someUntimed` leaves every 4th timestamp to the client.
 */
export function variedMessages(tag: string, n: number, o: { nullValues: boolean; someUntimed: boolean }): Message[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 7 === 0 ? null : `${tag}-key-${i}`,
    value:
      o.nullValues && i % 11 === 0
        ? null
        : i % 5 === 0
          ? Buffer.from([0, 1, 2, i & 0xff])
          : `${tag}-value-${i}-${'é'.repeat(i % 4)}`,
    headers: i % 3 === 0 ? { tag, many: [`${i}`, Buffer.from('b')] } : undefined,
    timestamp: o.someUntimed && i % 4 === 0 ? undefined : String(1_765_000_000_000 + i * 10),
  }));
}

/** What a consumer sees of a message: key, value and headers (as hex), and the timestamp when asked. */
export function messageSeen(m: Message | ReadMessage, withTimestamp = false): string {
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    headers[k] = (Array.isArray(v) ? v : [v]).map((x) => Buffer.from(x as Buffer | string).toString('hex'));
  }
  const hex = (b: unknown): string | null =>
    b === null || b === undefined ? null : Buffer.from(b as Buffer | string).toString('hex');
  const seen = { key: hex(m.key), value: hex(m.value), headers };
  return JSON.stringify(withTimestamp ? { ...seen, timestamp: m.timestamp } : seen);
}

/** Polls `predicate` until true or the timeout passes; returns whether it became true. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return predicate();
}
