/**
 * What the decision-shard integration tests share: a scaled-out processor's config on the
 * test broker, with D shards (0: today's single stage two), one-second windows that close on a
 * far-ahead record, and the guardrails and policies each test chooses; and the records of an
 * output topic in a form two runs can be compared by.
 */
import { loadConfig, type HomeostatConfig } from '../../src/config/homeostat-config';
import { benchTopics } from '../../bench/lib/kafka';
import { randomName, readTopic } from './kafka';
import { brokers } from './services';

export function splitTestConfig(
  prefix: string,
  shards: number,
  decisions: { guardrails: Record<string, unknown>; policies: unknown[] },
): HomeostatConfig {
  return loadConfig({
    env: {},
    overrides: {
      kafka: { brokers: brokers(), groupId: randomName('grp'), transactionalIdPrefix: randomName('tx') },
      topics: { ...benchTopics(prefix), telemetryPartitions: 2 },
      engine: { window: { sizeMs: 1000, graceMs: 100 }, allowedOutOfOrdernessMs: 100, idleAfterMs: 'never' },
      actions: { format: 'json' },
      http: { enabled: false },
      log: { level: 'silent' },
      runner: { scaleOut: true, decisionShards: shards },
      verification: { windows: 2 },
      ...decisions,
    },
  });
}

/** Every record of `topic` as `partition key value`, in partition and offset order. */
export async function recordsOf(topic: string): Promise<string[]> {
  const read = await readTopic(topic, Number.MAX_SAFE_INTEGER, 4000);
  return read
    .sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
    .map((m) => `${m.partition} ${String(m.key)} ${m.value?.toString('base64') ?? 'null'}`);
}
