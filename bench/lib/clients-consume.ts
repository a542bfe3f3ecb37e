/**
 * Raw consumption by each client, for bench/clients.ts: a fresh consumer group reads the whole
 * topic read_committed, timed from the moment the group is joined to the last record, and
 * either only counts the records or also decodes each value. kafkajs through `eachBatch`
 * (what the processor's driver uses); @platformatic/kafka through its messages stream, either
 * its async iterator (the documented way) or 'data' events (the stream's cheapest path).
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { HomeostatConfig } from '../../src/ops/config';
import { startCpuMeter } from './cpu';
import { randomName, round } from './clients-util';
import { closeForced, platformaticConsumer, type PlatformaticKafka } from './platformatic';

/** One timed read of a topic (or one exactly-once run) by one client. */
export interface ClientPhase {
  records: number;
  ms: number;
  recordsPerSec: number;
  /** CPU ms of this process / of the broker during the phase. */
  cpuMs: number;
  brokerCpuMs: number | null;
  /** Records per CPU-second of this process. */
  recordsPerCpuSec: number;
}

export function clientPhase(
  records: number,
  ms: number,
  cpu: { selfMs: number; brokerMs: number | undefined },
): ClientPhase {
  return {
    records,
    ms: round(ms, 1),
    recordsPerSec: Math.round(records / (ms / 1000)),
    cpuMs: round(cpu.selfMs, 0),
    brokerCpuMs: cpu.brokerMs === undefined ? null : round(cpu.brokerMs, 0),
    recordsPerCpuSec: Math.round(records / (cpu.selfMs / 1000)),
  };
}

/** Decodes one value (avsc fromBuffer / JSON.parse); null to count only. */
export type Decode = ((value: Buffer) => unknown) | null;

export interface ConsumeTarget {
  brokers: string[];
  config: HomeostatConfig;
  topic: string;
  expected: number;
  timeoutMs: number;
}

function checkRead(client: string, count: number, sink: number, decode: Decode, t: ConsumeTarget): void {
  if (count < t.expected) throw new Error(`${client} read ${count} of ${t.expected} records in ${t.timeoutMs} ms`);
  if (decode !== null && sink !== count) throw new Error(`${client}: a value did not decode`);
}

/** A kafkajs consumer in `groupId` with the runner's settings: read_committed, fetch size, session, heartbeat. */
export function kafkajsConsumer(kafka: Kafka, config: HomeostatConfig, groupId: string): Consumer {
  return kafka.consumer({
    groupId,
    readUncommitted: false,
    maxBytesPerPartition: config.runner.maxBytesPerPartition,
    sessionTimeout: config.kafka.sessionTimeoutMs,
    heartbeatInterval: config.kafka.heartbeatIntervalMs,
  });
}

/** kafkajs `eachBatch`, with the runner's consumer settings. */
export async function kafkajsConsume(kafka: Kafka, t: ConsumeTarget, decode: Decode): Promise<ClientPhase> {
  const consumer = kafkajsConsumer(kafka, t.config, randomName('bench-clients-kjs'));
  let count = 0;
  let sink = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: t.topic, fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachBatch: ({ batch }) => {
        if (decode === null) count += batch.messages.length;
        else {
          for (const m of batch.messages) {
            if (decode(m.value!) !== undefined) sink++;
            count++;
          }
        }
        if (count >= t.expected) done();
        return Promise.resolve();
      },
    });
    // run() resolves once the group is joined and synced: the clock starts there.
    const cpu = startCpuMeter();
    const start = performance.now();
    const timer = setTimeout(done, t.timeoutMs);
    await finished;
    clearTimeout(timer);
    const ms = performance.now() - start;
    checkRead('kafkajs', count, sink, decode, t);
    return clientPhase(count, ms, cpu.read());
  } finally {
    await consumer.disconnect();
  }
}

export type PlatformaticApi = 'iterator' | 'events';

/** @platformatic/kafka's messages stream in a fresh group, from the earliest offset, no autocommit. */
export async function platformaticConsume(
  lib: PlatformaticKafka,
  t: ConsumeTarget,
  decode: Decode,
  api: PlatformaticApi,
): Promise<ClientPhase> {
  const consumer = platformaticConsumer(lib, t.brokers, t.config, randomName('bench-clients-plt'));
  let count = 0;
  let sink = 0;
  try {
    // consume() resolves after JoinGroup/SyncGroup, with the stream: the clock starts there.
    const stream = await consumer.consume({ topics: [t.topic], mode: 'committed', fallbackMode: 'earliest' });
    const cpu = startCpuMeter();
    const start = performance.now();
    const timer = setTimeout(() => void stream.close(), t.timeoutMs);
    const one = (value: Buffer): void => {
      if (decode !== null && decode(value) !== undefined) sink++;
      count++;
    };
    if (api === 'iterator') {
      for await (const m of stream) {
        one(m.value);
        if (count >= t.expected) break;
      }
    } else {
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (m) => {
          one(m.value);
          if (count === t.expected) resolve();
        });
        stream.on('close', resolve);
        stream.on('error', reject);
      });
    }
    clearTimeout(timer);
    const ms = performance.now() - start;
    const used = cpu.read();
    await stream.close();
    checkRead(`@platformatic/kafka (${api})`, count, sink, decode, t);
    return clientPhase(count, ms, used);
  } finally {
    await closeForced(consumer);
  }
}
