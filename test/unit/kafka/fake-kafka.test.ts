/**
 * The fake of the Kafka port (test/helpers/fake-kafka.ts) against what the drivers rely on of
 * the broker and kafkajs — and the processor's driver running over it end to end, as its unit
 * tests do.
 */
import { encodeTelemetryJson } from '../../../src/codec';
import { decodeCheckpoint } from '../../../src/kafka/checkpoint-meta';
import { createRunner } from '../../../src/kafka/processor-driver';
import type { HomeostatConfig } from '../../../src/config/homeostat-config';
import { fakeConfig } from '../../helpers/fake-config';
import { engineConfigFrom } from '../../../src/config/resolve-engine';
import { silentLogger } from '../../../src/ops/logger';
import { FakeKafka, FakeKafkaError } from '../../helpers/fake-kafka';

function fakeFor(c: HomeostatConfig, partitions = 2): FakeKafka {
  const k = new FakeKafka({ topics: { [c.topics.telemetry]: partitions } });
  for (const t of [c.topics.dlq, c.topics.signals, c.topics.state, c.topics.stage]) k.createTopic(t, 1);
  return k;
}

const sample = (source: string, ts: number, value: number) => ({
  key: source,
  value: encodeTelemetryJson({ source, metric: 'query.latency_ms', ts, value, tags: {} }),
});

describe('the fake Kafka port', () => {
  test('a transactional write is read back after commit only; an abort leaves aborted records and a marker', async () => {
    const k = new FakeKafka({ topics: { out: 1 } });
    const p = k.producer({ transactionalId: 'x' });
    await p.connect();
    const tx = await p.transaction();
    await tx.sendBatch({ topicMessages: [{ topic: 'out', messages: [{ key: 'a', value: '1' }] }] });
    expect(k.committedRecords('out')).toHaveLength(0);
    await tx.commit();
    const aborted = await p.transaction();
    await aborted.sendBatch({ topicMessages: [{ topic: 'out', messages: [{ key: 'a', value: '2' }] }] });
    await aborted.abort();
    expect(k.committedRecords('out').map((m) => m.value?.toString())).toEqual(['1']);
    // data, commit marker, aborted data, abort marker
    expect(k.log('out', 0).map((e) => e.kind)).toEqual(['data', 'marker', 'data', 'marker']);
  });

  test('a newer producer with the same transactional id fences the older one and aborts its open transaction', async () => {
    const k = new FakeKafka({ topics: { out: 1 } });
    const zombie = k.producer({ transactionalId: 'x' });
    await zombie.connect();
    const open = await zombie.transaction();
    await open.sendBatch({ topicMessages: [{ topic: 'out', messages: [{ value: 'zombie' }] }] });
    const owner = k.producer({ transactionalId: 'x' });
    await owner.connect();
    await (await owner.transaction()).abort();
    await expect(open.commit()).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
    await expect(zombie.transaction()).rejects.toBeInstanceOf(FakeKafkaError);
    expect(k.committedRecords('out')).toHaveLength(0);
  });
});

describe('the processor driver over the fake', () => {
  test('windows close, signals and offsets are committed in one transaction, markers are stepped over', async () => {
    const c = fakeConfig();
    const k = fakeFor(c);
    const t0 = Date.now() - 120_000;
    const records = [];
    for (let i = 0; i < 40; i++) records.push(sample(`svc-${i % 4}`, t0 + i * 1_000, i));
    k.produce(c.topics.telemetry, records, { transactional: true });
    const runner = createRunner({ config: c, engine: engineConfigFrom(c), logger: silentLogger(), kafka: k });
    await runner.start();
    try {
      await k.until(() => runner.counters().consumed === 40, 5_000, 'the 40 records to be consumed');
      expect(runner.counters()).toMatchObject({ consumed: 40, deadLettered: 0 });
      expect(k.committedRecords(c.topics.signals).length).toBeGreaterThan(0);
      // A producer's aborted transaction leaves aborted records and a marker on both partitions, which
      // a read_committed consumer never sees: only a fetch of non-data reports them.
      const writer = k.producer({ transactionalId: 'other-writer' });
      await writer.connect();
      const aborted = await writer.transaction();
      await aborted.sendBatch({ topicMessages: [{ topic: c.topics.telemetry, messages: records.slice(0, 8) }] });
      await aborted.abort();
      // Past them: each partition's checkpoint reaches its log end.
      const next = (p: number): string | undefined =>
        decodeCheckpoint(k.committed(c.kafka.groupId, c.topics.telemetry, p)?.metadata ?? null)?.next;
      await k.until(
        () => [0, 1].every((p) => next(p) === String(k.log(c.topics.telemetry, p).length)),
        5_000,
        'checkpoints at the log ends',
      );
      expect(k.log(c.topics.telemetry, 0).at(-1)).toEqual({ kind: 'marker', commit: false });
    } finally {
      await runner.stop();
    }
  });
});
