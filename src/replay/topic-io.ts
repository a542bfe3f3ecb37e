/**
 * Telemetry to and from Kafka for import and replay: producing imported records as JSON
 * telemetry (key = source, as the contract says, so a source's records stay in one partition and
 * in order), and turning a topic range read by topic-read.ts back into replay inputs.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { producerConfig } from '../kafka/client';
import { encodeTelemetryJson, type RecordDecoder, type TelemetryDecoder } from '../codec';
import { InputError } from '../errors';
import type { Telemetry } from '../model/telemetry';
import { mergeByEventTime } from './merge';
import type { IngestDecoder } from '../ingest';
import { acceptSamples } from '../ingest/arrival';
import type { ReplayFeed } from './replay';
import type { RawMessage, TopicReadResult } from './topic-read';
import { aheadOfLogTime } from '../codec/log-time';

export interface TelemetryTopicWriterOptions {
  /** Messages per send. Default 5000. */
  batchSize?: number;
  /**
   * Kafka timestamp of each message: `event` (default) = the record's ts, so that `replay
   * --from/--to` select by event time; `now` = the broker's / producer's clock.
   */
  timestamp?: 'event' | 'now';
}

export interface TelemetryTopicWriter {
  /** Queues a record; sends a batch when it is full (await it: that is the backpressure). */
  add(record: Telemetry): Promise<void>;
  /** Sends what is queued and disconnects. */
  close(): Promise<{ produced: number }>;
}

/**
 * An idempotent producer (no duplicates when a send is retried) writing JSON telemetry in
 * batches. The topic must exist: import never creates topics with default settings by accident.
 */
export async function createTelemetryTopicWriter(
  kafka: Kafka,
  topic: string,
  options: TelemetryTopicWriterOptions = {},
): Promise<TelemetryTopicWriter> {
  const batchSize = options.batchSize ?? 5000;
  const eventTime = (options.timestamp ?? 'event') === 'event';
  const producer: Producer = kafka.producer(
    producerConfig({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
  );
  await producer.connect();
  let batch: Message[] = [];
  let produced = 0;
  const send = async (): Promise<void> => {
    if (batch.length === 0) return;
    const messages = batch;
    batch = [];
    await producer.send({ topic, acks: -1, messages });
    produced += messages.length;
  };
  return {
    async add(record) {
      let value: Buffer;
      try {
        value = encodeTelemetryJson(record);
      } catch (err) {
        if (err instanceof InputError)
          throw new InputError(err.code, `cannot produce ${JSON.stringify(record)}: ${err.message}`, { cause: err });
        throw err;
      }
      batch.push({ key: record.source, value, ...(eventTime ? { timestamp: String(record.ts) } : {}) });
      if (batch.length >= batchSize) await send();
    },
    async close() {
      try {
        await send();
      } finally {
        await producer.disconnect();
      }
      return { produced };
    },
  };
}

/**
 * The telemetry of a topic range as replay inputs, partitions merged by event time. Values that
 * do not decode become invalid inputs (dead letters), as they would in the live processor;
 * Avro values whose schema is not cached are fetched from the registry first. With `ingest`
 * (config `ingest.format` other than `homeostat`) every record is decoded as the live runner
 * decodes it, and the samples of a multi-sample record (OTLP, line protocol) are one arrival.
 */
export async function topicReplayInputs(
  read: TopicReadResult,
  decoder: TelemetryDecoder,
  ingest?: IngestDecoder,
): Promise<Iterable<ReplayFeed[]>> {
  const perPartition: ReplayFeed[][] = [];
  for (const partition of read.partitions) {
    const out: ReplayFeed[] = [];
    for (const m of read.messages.get(partition) ?? []) {
      if (ingest) {
        await ingestInputs(ingest, m, partition, out);
        continue;
      }
      let r = decoder.decodeSync(m.value);
      if (r.status === 'schema-miss') {
        await decoder.loadSchema(r.schemaId);
        r = decoder.decodeSync(m.value);
      }
      // The live processor's clock check, against the Kafka timestamp stored with the record.
      const ahead = r.status === 'ok' ? aheadOfLogTime(r.value.ts, Number(m.timestamp), decoder.limits) : undefined;
      if (ahead)
        out.push({
          partition,
          offset: m.offset,
          invalid: { code: ahead.code, message: ahead.message, field: ahead.field },
        });
      else if (r.status === 'ok') out.push({ partition, offset: m.offset, record: r.value });
      else out.push(invalidInput(partition, m.offset, r));
    }
    perPartition.push(out);
  }
  return { [Symbol.iterator]: () => inBatches(mergeByEventTime(perPartition), 8192) };
}

function invalidInput(
  partition: number,
  offset: string,
  r: { status: 'invalid'; error: InputError } | { status: 'schema-miss'; schemaId: number },
): ReplayFeed {
  if (r.status === 'invalid')
    return { partition, offset, invalid: { code: r.error.code, message: r.error.message, field: r.error.field } };
  return {
    partition,
    offset,
    invalid: { code: 'UNKNOWN_SCHEMA_ID', message: `schema id ${r.schemaId} is not in the registry` },
  };
}

/**
 * One record through the ingest decoder, as the live runner's ingestOne: samples ahead of the
 * log refused one by one, the rest one arrival.
 */
async function ingestInputs(ingest: IngestDecoder, m: RawMessage, partition: number, out: ReplayFeed[]): Promise<void> {
  const ctx = { partition, timestamp: Number(m.timestamp) };
  let r = ingest.decodeSync(m.value, ctx);
  if (r.status === 'schema-miss') {
    await ingest.loadSchema(r.schemaId);
    r = ingest.decodeSync(m.value, ctx);
  }
  if (r.status !== 'ok') {
    out.push(invalidInput(partition, m.offset, r));
    return;
  }
  const records = acceptSamples(r.values, ctx.timestamp, ingest.limits, undefined, (_, e) =>
    out.push({ partition, offset: m.offset, invalid: { code: e.code, message: e.message, field: e.field } }),
  );
  out.push({ partition, offset: m.offset, records });
}

function* inBatches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let b: T[] = [];
  for (const x of items) {
    b.push(x);
    if (b.length >= size) {
      yield b;
      b = [];
    }
  }
  if (b.length > 0) yield b;
}

/**
 * Records of one kind (signals, commands, decisions) from a topic range, partitions in order and
 * each in offset order; values that do not decode are counted, not fatal (a report shows what it can).
 */
export async function decodeTopicRecords<T>(
  read: TopicReadResult,
  decoder: RecordDecoder<T>,
): Promise<{ records: T[]; invalid: number }> {
  const records: T[] = [];
  let invalid = 0;
  for (const partition of read.partitions) {
    for (const m of read.messages.get(partition) ?? []) {
      let r = decoder.decodeSync(m.value);
      if (r.status === 'schema-miss') {
        await decoder.loadSchema(r.schemaId);
        r = decoder.decodeSync(m.value);
      }
      if (r.status === 'ok') records.push(r.value);
      else invalid++;
    }
  }
  return { records, invalid };
}
