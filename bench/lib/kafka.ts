/**
 * Kafka helpers for the benches: random topic names, creating and deleting the topics a
 * bench made, bulk pre-production, and the processor's config pointed at those topics.
 * Every client made here is disconnected before the function returns.
 */
import '../../src/kafka/kafkajs-patches'; // before kafkajs loads: its producer's grouping, fixed (kafkajs-patches.ts)
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Message } from 'kafkajs';
import { waitForLeaders } from '../../src/kafka/topics';
import { loadConfig, type HomeostatConfig } from '../../src/config/homeostat-config';
import { mergeDeep } from '../../src/guardrails/config';
import { producerConfig } from '../../src/kafka/client';

export function randomName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export function benchKafka(brokers: string[], clientId = randomName('bench')): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
}

export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** e.g. { 'cleanup.policy': 'compact' } */
  config?: Record<string, string>;
}

export async function createTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    await admin.createTopics({
      topics: specs.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: 1,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
      waitForLeaders: false,
    });
    await waitForLeaders(
      admin,
      specs.map((s) => s.topic),
    );
  });
}

/** Deletes the topics a bench created (a 1M-record topic is ~100 MB of the shared disk). */
export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  await withAdmin(kafka, async (admin) => {
    const present = new Set(await admin.listTopics());
    const mine = topics.filter((t) => present.has(t));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 30_000 });
  });
}

/**
 * Produces `count` messages made by `make(i)` as fast as kafkajs allows: requests of
 * `perRequest` messages, `inFlight` of them at a time (ordering across requests does not
 * matter for a pre-produced bench topic). Returns the wall time taken, ms.
 */
export async function produceBulk(
  kafka: Kafka,
  topic: string,
  count: number,
  make: (i: number) => Message,
  options: { perRequest?: number; inFlight?: number } = {},
): Promise<number> {
  const perRequest = options.perRequest ?? 5_000;
  const inFlight = options.inFlight ?? 4;
  const producer = kafka.producer(producerConfig({ allowAutoTopicCreation: false }));
  await producer.connect();
  const started = Date.now();
  try {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < count) {
        const from = next;
        const to = Math.min(count, from + perRequest);
        next = to;
        const messages = new Array<Message>(to - from);
        for (let i = from; i < to; i++) messages[i - from] = make(i);
        await producer.send({ topic, messages, acks: 1 });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, () => lane()));
  } finally {
    await producer.disconnect();
  }
  return Date.now() - started;
}

/** Sum of (high − low) over the partitions of `topic`: how many records it holds. */
export async function topicRecordCount(kafka: Kafka, topic: string): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    let n = 0;
    for (const o of await admin.fetchTopicOffsets(topic)) n += Number(o.high) - Number(o.low);
    return n;
  });
}

export const TOPIC_KEYS = [
  'telemetry',
  'dlq',
  'signals',
  'decisions',
  'actions',
  'actionResults',
  'outcomes',
  'control',
  'state',
  'stage',
] as const;

/** Topic names under a random prefix, as the processor's `topics:` section. */
export function benchTopics(prefix: string): Record<(typeof TOPIC_KEYS)[number], string> {
  return Object.fromEntries(TOPIC_KEYS.map((k) => [k, `${prefix}.${k}`])) as Record<
    (typeof TOPIC_KEYS)[number],
    string
  >;
}

/**
 * The processor's validated config for a bench: the given brokers and registry, a random
 * group and transactional id, the HTTP server off, logging silent, plus `overrides`
 * (deep-merged, as a YAML file would be).
 */
export function benchConfig(
  brokers: string[],
  registryUrl: string,
  topics: Record<string, string>,
  overrides: Record<string, unknown> = {},
): HomeostatConfig {
  return loadConfig({
    brokers: brokers.join(','),
    registry: registryUrl,
    env: {},
    overrides: mergeDeep(
      {
        kafka: { groupId: randomName('bench-group'), transactionalIdPrefix: randomName('bench-tx') },
        topics,
        http: { enabled: false },
        log: { level: 'silent' },
      },
      overrides,
    ) as Record<string, unknown>,
  });
}
