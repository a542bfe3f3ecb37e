/**
 * The simulated system's telemetry onto the run's telemetry topic: canonical JSON, or
 * Confluent-framed Avro under the schema registered for `<topic>-value` when a registry is
 * given — what the producer SDK writes — keyed by source, from an idempotent producer.
 *
 * Not the producer SDK itself, for one reason: the partition. The in-process loop spreads
 * sources over its partitions round-robin in first-seen order (src/sim/loop.ts); here each
 * record goes to that same partition explicitly, so the processor sees the same records
 * per partition in the same order and its watermark moves as in-process. The SDK picks the
 * partition by hashing the key, which could leave a partition empty and hold the watermark
 * back until it counts as idle.
 */
import '../kafka/kafkajs-patches'; // before kafkajs loads: its producer's grouping, fixed (kafkajs-patches.ts)
import type { Kafka, Message, Producer } from 'kafkajs';
import { FastDefaultPartitioner } from '../kafka/partitioner';
import { createTelemetryAvroEncoder, encodeTelemetryJson, registerSchema, subjectFor } from '../codec';
import { createRegistryResolver } from '../kafka/registry';
import type { Telemetry } from '../model/telemetry';
import type { RegistryConfig } from '../config/kafka-schema';

export interface TelemetrySender {
  /** Sends one flush's records and resolves once every broker acknowledged them (acks=all). */
  send(records: readonly Telemetry[]): Promise<void>;
  /** Records acknowledged so far. */
  sent(): number;
  close(): Promise<void>;
}

/** Records per produce request: one flush of the workers scenario is ~550 records of ~200 B. */
const CHUNK = 5_000;

export async function createTelemetrySender(
  kafka: Kafka,
  topic: string,
  partitions: number,
  registry?: RegistryConfig,
): Promise<TelemetrySender> {
  let encode: (t: Telemetry) => Buffer = encodeTelemetryJson;
  if (registry) {
    const id = await registerSchema(createRegistryResolver(registry), 'telemetry', subjectFor(topic));
    encode = createTelemetryAvroEncoder(id).encode;
  }
  // Every message names its partition; the partitioner is set only to keep kafkajs from warning about its default.
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: FastDefaultPartitioner,
  });
  await producer.connect();
  const partitionOf = new Map<string, number>();
  const partition = (source: string): number => {
    let p = partitionOf.get(source);
    if (p === undefined) {
      p = partitionOf.size % partitions;
      partitionOf.set(source, p);
    }
    return p;
  };
  let sent = 0;
  return {
    async send(records) {
      for (let i = 0; i < records.length; i += CHUNK) {
        const messages: Message[] = records
          .slice(i, i + CHUNK)
          .map((t) => ({ key: t.source, value: encode(t), partition: partition(t.source) }));
        await producer.send({ topic, messages, acks: -1 });
        sent += messages.length;
      }
    },
    sent: () => sent,
    close: () => producer.disconnect(),
  };
}
