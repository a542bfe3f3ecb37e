/**
 * Reference executor `retry-policy`: publishes `retry_policy.set` as the client-config
 * record of the target service (compacted topic, key = service) and a tombstone on
 * revert or lapse; clients apply it with followClientConfig (client-config.ts).
 */
import type { Producer } from 'kafkajs';
import { DEFAULT_RETRY_POLICY, mergeRetryPolicy, validateRetryPolicy } from '../../client';
import { createKafka } from '../../kafka/client';
import { ensureTopics } from '../../kafka/topics';
import type { KafkaConfig } from '../../config/kafka-schema';
import type { Logger } from '../../ops/logger';
import { DEFAULT_CLIENT_CONFIG_TOPIC, clientConfigRecord } from './client-config';
import type { ReferenceHandlers } from './handlers';
import { FastDefaultPartitioner } from '../../kafka/partitioner';

export interface RetryPolicyExecutorOptions {
  /** Default `homeostat.client-config`; created (compacted, one partition) if missing. */
  topic?: string;
  /** Replication factor when the topic is created. Default -1 (the broker's default). */
  replicationFactor?: number;
}

export function retryPolicyHandlers(
  kafka: KafkaConfig,
  options: RetryPolicyExecutorOptions = {},
  logger?: Logger,
): ReferenceHandlers {
  const topic = options.topic ?? DEFAULT_CLIENT_CONFIG_TOPIC;
  let producer: Producer | undefined;
  const send = async (key: string, value: Buffer | null): Promise<void> => {
    if (!producer) throw new Error('retry-policy executor used before start()');
    await producer.send({ topic, acks: -1, messages: [{ key, value }] });
  };
  return {
    types: ['retry_policy.set', 'retry_policy.revert'],
    validate(cmd) {
      if (cmd.type !== 'retry_policy.set') return undefined;
      const record = clientConfigRecord(cmd);
      if (Object.keys(record.policy).length === 0) return 'retry_policy.set changes no retry parameter';
      // Checked on top of the library defaults: a client's own baseline may differ, and the
      // client validates again before applying, but a value out of range is wrong anywhere.
      const issues = validateRetryPolicy(mergeRetryPolicy(DEFAULT_RETRY_POLICY, record.policy));
      return issues.length > 0 ? `invalid retry policy: ${issues.join('; ')}` : undefined;
    },
    async apply(cmd) {
      const record = clientConfigRecord(cmd);
      await send(cmd.target, Buffer.from(JSON.stringify(record), 'utf8'));
      return { detail: `published ${JSON.stringify(record.policy)} for ${cmd.target} to ${topic}` };
    },
    async revert(req) {
      await send(req.target, null);
      return { detail: `published a tombstone for ${req.target} to ${topic}: clients are back on their baseline` };
    },
    async start() {
      const k = createKafka(kafka, logger);
      const admin = k.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, [
          {
            topic,
            numPartitions: 1,
            replicationFactor: options.replicationFactor ?? -1,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ]);
      } finally {
        await admin.disconnect();
      }
      producer = k.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: FastDefaultPartitioner,
      });
      await producer.connect();
    },
    async stop() {
      await producer?.disconnect();
      producer = undefined;
    },
  };
}
