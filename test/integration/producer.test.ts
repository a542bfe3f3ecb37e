/**
 * The telemetry producer SDK on the real broker and registry: what it sends is what the
 * processor's decoder reads (JSON and Avro), keyed by source, in order; close() flushes;
 * the `drop` policy bounds memory and accounts for every sample; a missing topic is a
 * clear error at connect().
 */
import { createTelemetryDecoder } from '../../src/codec';
import { HomeostatError } from '../../src/errors';
import { createRegistryResolver } from '../../src/kafka/registry';
import type { Telemetry } from '../../src/model/telemetry';
import { createTelemetryProducer } from '../../src/producer';
import { createTopic, randomName, readTopic } from '../helpers/kafka';
import { brokers, registryUrl } from '../helpers/services';

const kafka = { brokers: brokers(), clientId: 'producer-test' };

async function decodeAll(messages: { value: Buffer | null }[], avro: boolean): Promise<Telemetry[]> {
  const decoder = createTelemetryDecoder(avro ? { resolver: createRegistryResolver({ url: registryUrl() }) } : {});
  const out: Telemetry[] = [];
  for (const m of messages) out.push(await decoder.decode(m.value));
  return out;
}

describe('telemetry producer SDK on Kafka', () => {
  it.each([
    ['json', 'none'],
    ['avro', 'gzip'],
  ] as const)(
    'sends %s (compression %s) that the processor decodes, keyed by source, in order; close() flushes',
    async (format, compression) => {
      const topic = randomName(`producer-${format}`);
      await createTopic(topic, 3);
      const p = createTelemetryProducer({
        kafka,
        topic,
        source: 'worker-7',
        format,
        compression,
        registry: format === 'avro' ? { url: registryUrl() } : undefined,
        defaultTags: { service: 'search' },
        lingerMs: 20,
        maxBatchRecords: 500,
      });
      await p.connect();
      const n = 3_000;
      const t0 = Date.now();
      for (let i = 0; i < n; i++) await p.record('query.latency_ms', i / 10, { tenant: `t${i % 3}` }, t0 + i);
      p.counter('requests', { client: 'web' }).inc(41);
      p.gauge('queue.depth').set(9);
      await p.timer('query.latency_ms').record(12.5);
      await p.close();
      expect(p.stats()).toMatchObject({ recorded: n + 3, sent: n + 3, dropped: 0, invalid: 0, buffered: 0 });

      const read = await readTopic(topic, n + 3);
      expect(read).toHaveLength(n + 3);
      expect(new Set(read.map((m) => m.key?.toString()))).toEqual(new Set(['worker-7']));
      const values = await decodeAll(read, format === 'avro');
      const latency = values.filter((t) => t.metric === 'query.latency_ms' && t.tags.tenant !== undefined);
      expect(latency.map((t) => t.value)).toEqual(Array.from({ length: n }, (_, i) => i / 10));
      expect(latency[5]).toEqual({
        ts: t0 + 5,
        source: 'worker-7',
        metric: 'query.latency_ms',
        value: 0.5,
        tags: { service: 'search', tenant: 't2' },
      });
      expect(values.find((t) => t.metric === 'requests')).toMatchObject({
        value: 41,
        tags: { service: 'search', client: 'web' },
      });
      expect(values.find((t) => t.metric === 'queue.depth')?.value).toBe(9);
      expect(
        values.filter((t) => t.metric === 'query.latency_ms' && t.tags.tenant === undefined).map((t) => t.value),
      ).toEqual([12.5]);
    },
  );

  it('splits batches above maxBatchBytes so the broker (message.max.bytes 1 MiB) never refuses one', async () => {
    const topic = randomName('producer-big');
    await createTopic(topic, 1);
    const p = createTelemetryProducer({ kafka, topic, source: 'w', lingerMs: 200 });
    const note = 'x'.repeat(250);
    const n = 12_000; // ~4 MB of JSON in one 10 000-record batch
    for (let i = 0; i < n; i++) await p.record('m', i, { note });
    await p.close();
    expect(p.stats()).toMatchObject({ sent: n, sendErrors: 0 });
    const read = await readTopic(topic, n);
    expect((await decodeAll(read, false)).map((t) => t.value)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("bounds memory with 'drop' and accounts for every sample", async () => {
    const topic = randomName('producer-drop');
    await createTopic(topic, 1);
    const p = createTelemetryProducer({
      kafka,
      topic,
      source: 'w',
      onFull: 'drop',
      maxBatchRecords: 200,
      maxBufferedRecords: 1_000,
      lingerMs: 5,
    });
    await p.connect();
    const offered = 50_000;
    let accepted = 0;
    for (let i = 0; i < offered; i++) {
      if (await p.record('m', i)) accepted++;
      if (i % 5_000 === 0) await new Promise((r) => setImmediate(r));
    }
    await p.close();
    const s = p.stats();
    expect(s.peakBuffered).toBeLessThanOrEqual(1_000);
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.sent).toBe(accepted);
    expect(s.sent + s.dropped).toBe(offered);
    const read = await readTopic(topic, s.sent);
    expect(read).toHaveLength(s.sent);
    // What was kept went out in order.
    const values = (await decodeAll(read, false)).map((t) => t.value);
    expect(values.every((v, i) => i === 0 || v > values[i - 1])).toBe(true);
  });

  it('says what to fix when the topic does not exist', async () => {
    const p = createTelemetryProducer({ kafka, topic: randomName('missing'), source: 'w' });
    const err = await p.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HomeostatError);
    expect((err as HomeostatError).message).toMatch(/does not exist.*homeostat topics create/);
    await p.close();
  });
});
