/**
 * Stage one's takeover on the real broker (runner.scaleOut): another transactional id holds a
 * transaction open on the state topic from before the last commit of the partitions taken over
 * — as a dead process's other partition, or stage two, may. The new owner fences only its own
 * partitions' ids, so that transaction hides the last histories from its read_committed read; it
 * must wait for them (src/kafka/checkpoint-wait.ts) and write what one uninterrupted process
 * writes, EWMA and trend included — not continue from older histories.
 */
import type { Message, Producer, Transaction } from 'kafkajs';
import pino from 'pino';
import { encodeTelemetryJson } from '../../src/codec';
import { loadConfig, type HomeostatConfig } from '../../src/config/homeostat-config';
import { engineConfigFrom } from '../../src/config/resolve-engine';
import { producerConfig } from '../../src/kafka/client';
import { createRunner, type Runner } from '../../src/kafka/processor-driver';
import { decodeStageRecord } from '../../src/kafka/stage-records';
import { readTopicToEnd } from '../../src/kafka/state-topic';
import { checkpointsAtEnd, createTopic, produce, randomName, testKafka, waitFor, withAdmin } from '../helpers/kafka';
import { brokers } from '../helpers/services';

const T0 = Date.UTC(2026, 0, 1);
/** Four sources, two records a second each way round: 240 records span 60 s, six 10 s windows. */
const workload: Message[] = Array.from({ length: 240 }, (_, i) => ({
  key: `svc-${i % 4}`,
  value: encodeTelemetryJson({
    source: `svc-${i % 4}`,
    metric: 'query.latency_ms',
    ts: T0 + i * 250,
    value: i,
    tags: {},
  }),
}));
const parts = [workload.slice(0, 100), workload.slice(100, 180), workload.slice(180)];

/** A group of its own with topics of its own, scaled out. */
async function setup(): Promise<HomeostatConfig> {
  const names = ['dlq', 'signals', 'decisions', 'actions', 'actionResults', 'outcomes', 'control', 'state', 'stage'];
  const topics: Record<string, string> = { telemetry: randomName('restore-telemetry') };
  for (const n of names) topics[n] = randomName(`restore-${n}`);
  await createTopic(topics.telemetry, 2);
  for (const n of names) await createTopic(topics[n], 1);
  return loadConfig({
    overrides: {
      kafka: { brokers: brokers(), groupId: randomName('restore'), transactionalIdPrefix: randomName('restore-tx') },
      actions: { format: 'json' },
      topics,
      runner: { scaleOut: true },
    },
  });
}

function runner(c: HomeostatConfig, messages: string[] = []): Runner {
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) },
  );
  const history = { topic: c.topics.state, prefix: `history/${c.kafka.groupId}/` };
  return createRunner({ config: c, engine: engineConfigFrom(c), logger, history });
}

/** Produces a part and waits until the group's checkpoints are at the telemetry's end. */
async function feed(c: HomeostatConfig, part: Message[]): Promise<void> {
  await produce(c.topics.telemetry, part);
  const handled = () => withAdmin((a) => checkpointsAtEnd(a, c.kafka.groupId, c.topics.telemetry));
  expect(await waitFor(handled, 90_000, 200)).toBe(true);
}

/** Stage one's signals on the stage topic, as committed, in a canonical order. */
async function stageSignals(c: HomeostatConfig): Promise<string[]> {
  const out: string[] = [];
  await readTopicToEnd(testKafka(), c.topics.stage, (m) => {
    const rec = decodeStageRecord(m);
    if ('kind' in rec && rec.kind === 'signal') out.push(JSON.stringify(rec.signal));
  });
  return out.sort();
}

test('a takeover behind another writer’s open transaction on the state topic: the outputs of one uninterrupted process', async () => {
  const ref = await setup();
  const uninterrupted = runner(ref);
  await uninterrupted.start();
  try {
    for (const part of parts) await feed(ref, part);
  } finally {
    await uninterrupted.stop();
  }
  const expected = await stageSignals(ref);
  expect(expected.length).toBeGreaterThan(0);

  const c = await setup();
  const first = runner(c);
  let other: Producer | undefined;
  let open: Transaction | undefined;
  const messages: string[] = [];
  const second = runner(c, messages);
  try {
    await first.start();
    await feed(c, parts[0]);
    // Another writer's transaction, open from here on (long enough that the broker does not end it first).
    other = testKafka().producer(
      producerConfig({
        transactionalId: randomName('other'),
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: 300_000,
      }),
    );
    await other.connect();
    open = await other.transaction();
    await open.send({ topic: c.topics.state, messages: [{ key: 'another-writer', value: 'x' }] });
    await feed(c, parts[1]);
    await first.stop();
    await second.start();
    const waiting = (): boolean => messages.some((m) => m.startsWith('stage one: the state topic does not show'));
    const restored = (): boolean => messages.includes('state reset to the last committed checkpoint');
    expect(await waitFor(() => waiting() || restored(), 90_000, 200)).toBe(true);
    await open.abort();
    open = undefined;
    await feed(c, parts[2]);
    expect(await stageSignals(c)).toEqual(expected);
    // It waited for the histories rather than resuming from older ones.
    expect(waiting()).toBe(true);
  } finally {
    await open?.abort().catch(() => undefined);
    await other?.disconnect();
    await first.stop();
    await second.stop();
  }
});
