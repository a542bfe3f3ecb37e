/**
 * Compressed batches the Kafka client cannot or should not inflate. kafkajs inflates a fetched
 * batch whole before homeostat sees a record, and has no Snappy, LZ4 or ZSTD codec: one batch in
 * such a codec failed the whole fetch, the consumer stopped, was replaced, fetched the same batch
 * and stopped again — every partition stalled, honest ones too; a gzip bomb was inflated whole.
 * Now each such batch becomes placeholders at its own offsets, dead-lettered with the reason
 * (BATCH_UNDECODABLE) and counted, and everything around it is read. On the real broker; the
 * Snappy, LZ4 and ZSTD batches are written by kcat (librdkafka), as a Java or Go producer would.
 */
import { CompressionTypes, type Message } from 'kafkajs';
import { encodeTelemetryJson } from '../../src/codec';
import { DLQ_HEADERS } from '../../src/kafka/dlq';
import { createLogger } from '../../src/ops/logger';
import { startProcessor, testProcessorConfig, type RunningProcessor } from '../helpers/processor';
import { randomName, readTopic, testKafka, waitFor } from '../helpers/kafka';
import { kcatBatch } from '../helpers/kcat';

const config = testProcessorConfig(randomName('hostile-codec'));
const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;

const sample = (p: number, s: number, source = `worker-${p}`): Message => ({
  key: source,
  partition: p,
  value: encodeTelemetryJson({ ts: T0 + s * 1000 + 100, source, metric: 'queue.depth', value: 5, tags: {} }),
});

/** Three telemetry records in one batch compressed with `codec`, written by kcat to partition 1. */
const codecBatch = (codec: 'zstd' | 'snappy' | 'lz4') =>
  kcatBatch(
    config.topics.telemetry,
    1,
    codec,
    [1, 2, 3].map((i) =>
      encodeTelemetryJson({
        ts: T0 + 2100,
        source: `${codec}-${i}`,
        metric: 'queue.depth',
        value: 5,
        tags: { pad: 'x'.repeat(200) },
      }).toString(),
    ),
  );

let proc: RunningProcessor | undefined;
afterAll(async () => {
  await proc?.stop();
});

test('batches in codecs the client lacks and a gzip bomb are dead-lettered by offset; every honest record is read', async () => {
  proc = await startProcessor(config, createLogger({ level: 'silent' }));
  const producer = testKafka().producer();
  await producer.connect();
  try {
    const honest: Message[] = [];
    const send = async (ms: Message[]) => {
      honest.push(...ms);
      await producer.send({ topic: config.topics.telemetry, messages: ms });
    };
    await send([sample(0, 0), sample(1, 0), sample(0, 1), sample(1, 1)]);
    for (const codec of ['zstd', 'snappy', 'lz4'] as const) codecBatch(codec);
    // Two 5 MB records of spaces: about 10 KB on the wire, 10 MB inflated (1,000x).
    const bomb = [0, 1].map(() => ({ partition: 1, value: Buffer.alloc(5_000_000, 0x20) }));
    await producer.send({ topic: config.topics.telemetry, compression: CompressionTypes.GZIP, messages: bomb });
    await send([sample(0, 2), sample(1, 2), sample(0, 3), sample(1, 3)]);
    // Later records on both partitions close the windows above.
    await send([sample(0, 30, 'end-0'), sample(1, 30, 'end-1')]);

    const hostile = 3 * 3 + bomb.length;
    expect(await waitFor(() => proc!.runner.counters().consumed >= honest.length + hostile, 60_000, 100)).toBe(true);
    const c = proc.runner.counters();
    expect(c).toMatchObject({ consumed: honest.length + hostile, aggregated: honest.length, deadLettered: hostile });

    const dead = await readTopic(config.topics.dlq, hostile);
    const h = (m: (typeof dead)[number], name: string) => m.headers?.[name]?.toString() ?? '';
    expect(dead.every((m) => h(m, DLQ_HEADERS.code) === 'BATCH_UNDECODABLE')).toBe(true);
    expect(dead.every((m) => h(m, DLQ_HEADERS.partition) === '1')).toBe(true);
    // Offsets 2..12 of partition 1: after the two honest records, before the next ones.
    expect(dead.map((m) => Number(h(m, DLQ_HEADERS.offset))).sort((a, b) => a - b)).toEqual(
      Array.from({ length: hostile }, (_, i) => i + 2),
    );
    const reasons = dead.map((m) => h(m, DLQ_HEADERS.message)).join('\n');
    for (const codec of ['zstd', 'snappy', 'lz4']) expect(reasons).toContain(`a ${codec}-compressed batch`);
    expect(reasons).toMatch(
      /a gzip batch of \d+ bytes inflates past \d+ bytes .* decompression bomb \(batch at offsets 11–12, 2 records\)/,
    );
  } finally {
    await producer.disconnect();
  }
});
