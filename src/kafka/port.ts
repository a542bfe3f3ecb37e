/**
 * The Kafka port: the part of a Kafka client the drivers (the processor's, stage two's, the
 * executor's) and their helpers use — consumers in a group, transactional producers, and the
 * admin calls for offsets and metadata. Nothing else of a client reaches them.
 *
 * kafkajs's `Kafka` satisfies it as it is (`createKafka` in client.ts), so production code
 * passes the real client. Unit tests pass the in-memory fake in test/helpers/fake-kafka.ts,
 * which drives rebalances, fenced producers, fetches of transaction markers only, broker
 * outages and consumers that stop for good in milliseconds. The broker-backed integration and
 * fault tiers remain the truth of how the real client behaves; the fake follows them.
 */
import type { Admin, Consumer, ConsumerConfig, ConsumerEvents, ProducerConfig, TopicMessages } from 'kafkajs';

/** A consumer group member: what the drivers call and the events they follow. */
export interface PortConsumer extends Pick<
  Consumer,
  'connect' | 'disconnect' | 'subscribe' | 'run' | 'seek' | 'pause' | 'resume' | 'on'
> {
  /** The names of the events the drivers listen to (kafkajs's `consumer.events`). */
  readonly events: Pick<ConsumerEvents, 'GROUP_JOIN' | 'CRASH' | 'END_BATCH_PROCESS' | 'FETCH'>;
}

/** The consumed offsets a transaction commits for a group (kafkajs's `sendOffsets` argument). */
export interface TransactionOffsets {
  consumerGroupId: string;
  topics: { topic: string; partitions: { partition: number; offset: string; metadata?: string | null }[] }[];
}

/** One open transaction of a transactional producer. */
export interface PortTransaction {
  sendBatch(batch: { topicMessages: TopicMessages[] }): Promise<unknown>;
  sendOffsets(offsets: TransactionOffsets): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A producer; the drivers use transactional ones only (transaction.ts). */
export interface PortProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  transaction(): Promise<PortTransaction>;
}

/** The admin calls of the drivers: partition counts, log ends, committed offsets. */
export type PortAdmin = Pick<
  Admin,
  'connect' | 'disconnect' | 'fetchTopicMetadata' | 'fetchOffsets' | 'fetchTopicOffsets' | 'describeConfigs'
>;

/** A Kafka client as the drivers see it. */
export interface KafkaPort {
  consumer(config: ConsumerConfig): PortConsumer;
  producer(config?: ProducerConfig): PortProducer;
  admin(): PortAdmin;
}
