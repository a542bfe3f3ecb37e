/**
 * The telemetry producer SDK: what a service links to publish telemetry to homeostat.
 *
 *   const telemetry = createTelemetryProducer({ kafka: { brokers: ['kafka:9092'] }, topic: 'homeostat.telemetry', source: 'worker-7' });
 *   const latency = telemetry.timer('query.latency_ms', { service: 'search' });
 *   const stop = latency.start(); await runQuery(); void stop();
 *   telemetry.counter('requests', { client: 'web' }).inc();
 *   telemetry.gauge('queue.depth').set(queue.length);
 *   await telemetry.close(); // flushes
 *
 * Kafka through createKafka (the project's TLS and SASL settings), an idempotent kafkajs
 * producer (acks=all, one request in flight: no duplicates or reordering from retries),
 * records keyed by `source`, encoded as homeostat's canonical JSON or Confluent-framed Avro
 * under the schema registered for `<topic>-value`. Memory is bounded (see core.ts).
 */
import '../kafka/kafkajs-patches'; // before kafkajs loads: its producer's grouping, fixed (kafkajs-patches.ts)
import { CompressionTypes, type Message, type Producer } from 'kafkajs';
import { createTelemetryAvroEncoder, encodeTelemetryJson, registerSchema, subjectFor } from '../codec';
import { HomeostatError, describeError } from '../errors';
import { createKafka, explainKafkaError } from '../kafka/client';
import { createRegistryResolver } from '../kafka/registry';
import type { Telemetry } from '../model/telemetry';
import type { Logger } from '../ops/logger';
import { createProducerCore, type ProducerCore } from './core';
import { resolveProducerOptions, type TelemetryProducerOptions } from './options';
import { FastDefaultPartitioner } from '../kafka/partitioner';

/** Per-record bytes of a Kafka record batch beyond key and value (length varints, attributes, deltas), rounded up. */
const RECORD_OVERHEAD = 32;

export interface TelemetryProducer extends ProducerCore {
  /**
   * Connects now, checks that the topic exists and (for Avro) registers the schema; without
   * it the first send does all that. Rejects with a HomeostatError that says what to fix.
   */
  connect(): Promise<void>;
}

export function createTelemetryProducer(options: TelemetryProducerOptions & { logger?: Logger }): TelemetryProducer {
  const o = resolveProducerOptions(options);
  const kafka = createKafka(o.kafka, options.logger);
  const compression = o.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  let producer: Producer | undefined;
  let encode: ((t: Telemetry) => Buffer) | undefined;
  let connecting: Promise<void> | undefined;

  const connectNow = async (): Promise<void> => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(o.topic)) {
        throw new HomeostatError(
          'CONFIG_INVALID',
          `topic ${o.topic} does not exist on ${o.kafka.brokers.join(',')}; ` +
            'create it first (homeostat topics create) or fix the topic name',
        );
      }
    } catch (err) {
      throw err instanceof HomeostatError ? err : explainKafkaError(err, o.kafka.brokers);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (o.format === 'avro') {
      const id = await registerSchema(createRegistryResolver(o.registry!), 'telemetry', subjectFor(o.topic));
      encode = createTelemetryAvroEncoder(id).encode;
    } else {
      encode = encodeTelemetryJson;
    }
    // kafkajs requires one request in flight for its idempotent producer to keep sequence numbers in order.
    // The default partitioner is Java's murmur2 on the key (source): the same partition as any Kafka client picks.
    const p = kafka.producer({
      idempotent: o.idempotent,
      maxInFlightRequests: o.idempotent ? 1 : undefined,
      allowAutoTopicCreation: false,
      createPartitioner: FastDefaultPartitioner,
    });
    try {
      await p.connect();
    } catch (err) {
      throw explainKafkaError(err, o.kafka.brokers);
    }
    producer = p;
  };

  const connect = (): Promise<void> => {
    if (!connecting) {
      connecting = connectNow().catch((err: unknown) => {
        connecting = undefined; // try again on the next send
        throw err;
      });
    }
    return connecting;
  };

  const core = createProducerCore({
    ...o,
    send: async (batch) => {
      await connect();
      const enc = encode!;
      const p = producer!;
      let slice: Message[] = [];
      let bytes = 0;
      let acknowledged = 0;
      const sendSlice = async (): Promise<void> => {
        await p.send({ topic: o.topic, messages: slice, acks: -1, compression });
        acknowledged += slice.length;
        slice = [];
        bytes = 0;
      };
      try {
        for (let i = 0; i < batch.length; i++) {
          const t = batch.at(i);
          const value = enc(t);
          const size = value.length + Buffer.byteLength(t.source) + RECORD_OVERHEAD;
          if (slice.length > 0 && bytes + size > o.maxBatchBytes) await sendSlice();
          slice.push({ key: t.source, value });
          bytes += size;
        }
        if (slice.length > 0) await sendSlice();
      } catch (err) {
        // The requests that went through are not resent (core.ts drops them from the batch).
        throw Object.assign(explainKafkaError(err, o.kafka.brokers), { acknowledged });
      }
    },
  });

  return {
    ...core,
    connect,
    async close() {
      try {
        await core.close();
      } finally {
        const p = producer;
        producer = undefined;
        if (p)
          await p
            .disconnect()
            .catch((err: unknown) =>
              options.logger?.warn({ err: describeError(err) }, 'telemetry producer disconnect failed'),
            );
      }
    },
  };
}
