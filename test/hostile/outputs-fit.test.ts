/**
 * Finding 5: an output too large to write stopped the processor for good — the broker
 * refused it, the transaction aborted, the batch was read again, for ever. And a producer
 * could spoof the DLQ's own headers. Each output is written here, in a transaction as the
 * processor writes it, to topics made by the processor's own topic specs on the real broker.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pruneCooldowns } from '../../src/guardrails/cooldown';
import { connectTransactional, writeTransaction } from '../../src/kafka/transaction';
import { DLQ_HEADERS, DLQ_ORIGINAL_HEADER_PREFIX, dlqMessage } from '../../src/kafka/dlq';
import { decodeSnapshot, encodeSnapshot } from '../../src/kafka/policy-snapshot';
import { assembleSnapshot, isSnapshotKey, snapshotRecords } from '../../src/kafka/snapshot-chunks';
import { readCompacted } from '../../src/kafka/state-topic';
import { ensureTopics, topicSpecs } from '../../src/kafka/topics';
import { loadConfig } from '../../src/config/homeostat-config';
import type { StageState } from '../../src/pipeline/decide';
import { randomName, readTopic, testKafka, withAdmin } from '../helpers/kafka';
import { stateWithLeases } from '../helpers/leases';

const prefix = randomName('hostile-out');
const config = loadConfig({
  env: {},
  overrides: { topics: Object.fromEntries(['dlq', 'state'].map((t) => [t, `${prefix}.${t}`])) },
});

beforeAll(async () => {
  await withAdmin((admin) =>
    ensureTopics(
      admin,
      topicSpecs(config.topics).filter((t) => t.topic === config.topics.dlq || t.topic === config.topics.state),
    ),
  );
});

async function writeInTransaction(
  topic: string,
  messages: Parameters<typeof writeTransaction>[1][number]['messages'],
): Promise<void> {
  const producer = await connectTransactional(testKafka(), randomName('tx'));
  try {
    await writeTransaction(producer, [{ topic, messages }]);
  } finally {
    await producer.disconnect();
  }
}

test('a 5 MB rejected record is dead-lettered cut to the DLQ topic limit, with its sha256 and size', async () => {
  const value = Buffer.alloc(5 * 1024 * 1024, 0x61);
  const key = Buffer.alloc(100_000, 0x6b);
  const msg = dlqMessage(
    {
      topic: 't',
      partition: 0,
      offset: '42',
      key,
      value,
      timestamp: '1',
      headers: { [DLQ_HEADERS.code]: 'FAKE', 'trace-id': 'abc' },
    },
    { code: 'RECORD_TOO_LARGE', message: 'too large', field: undefined },
    config.topics.dlqMaxMessageBytes,
  );
  await writeInTransaction(config.topics.dlq, [msg]);
  const [read] = await readTopic(config.topics.dlq, 1);
  expect(read.value!.length).toBeLessThan(config.topics.dlqMaxMessageBytes);
  const h = (name: string) => read.headers?.[name]?.toString();
  expect(h(DLQ_HEADERS.truncated)).toBe('true');
  expect(h(DLQ_HEADERS.valueBytes)).toBe(String(value.length));
  expect(h(DLQ_HEADERS.valueSha256)).toBe(createHash('sha256').update(value).digest('hex'));
  expect(h(DLQ_HEADERS.keySha256)).toBe(createHash('sha256').update(key).digest('hex'));
  // The producer's headers cannot pose as the processor's: ours are authoritative, theirs renamed.
  expect(h(DLQ_HEADERS.code)).toBe('RECORD_TOO_LARGE');
  expect(h(DLQ_ORIGINAL_HEADER_PREFIX + DLQ_HEADERS.code)).toBe('FAKE');
  expect(h(`${DLQ_ORIGINAL_HEADER_PREFIX}trace-id`)).toBe('abc');
});

test('the policies snapshot at the default 10,000-lease cap fits the state topic, and reads back', async () => {
  const state = stateWithLeases(10_000);
  expect(Buffer.byteLength(JSON.stringify(state))).toBeGreaterThan(8 * 1024 * 1024);
  const enc = encodeSnapshot(state);
  await writeInTransaction(config.topics.state, snapshotRecords('decisions/g', enc.value)!);
  const [read] = await readTopic(config.topics.state, 1);
  const back = decodeSnapshot(read.value!);
  expect('state' in back && Object.keys((back.state as StageState).engine.leases)).toHaveLength(10_000);
});

test('a snapshot larger than one record of the state topic is written in chunks and reassembled', async () => {
  // A state topic made by someone else, at the broker's default limit (1 MiB): 40,000 leases
  // are ~3 MiB compressed, which the broker refused as one record (MESSAGE_TOO_LARGE).
  const topic = randomName('hostile-state-1mib');
  await withAdmin((admin) =>
    admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'max.message.bytes', value: '1048588' },
          ],
        },
      ],
      waitForLeaders: true,
    }),
  );
  const enc = encodeSnapshot(stateWithLeases(40_000));
  expect(enc.value.length).toBeGreaterThan(2 * 1024 * 1024);
  const records = snapshotRecords('decisions/g', enc.value)!;
  expect(records.length).toBeGreaterThan(3);
  await writeInTransaction(topic, records);
  // A later, smaller snapshot tombstones the chunks it no longer needs.
  const stored = await readCompacted(testKafka(), topic, (k) => isSnapshotKey(k, 'decisions/g'));
  const assembled = assembleSnapshot('decisions/g', stored);
  expect(assembled).toMatchObject({ chunks: records.length - 1 });
  const back = decodeSnapshot((assembled as { value: Buffer }).value);
  expect('state' in back && Object.keys((back.state as StageState).engine.leases)).toHaveLength(40_000);

  await writeInTransaction(
    topic,
    snapshotRecords('decisions/g', encodeSnapshot(stateWithLeases(2)).value, records.length - 1)!,
  );
  const after = await readCompacted(testKafka(), topic, (k) => isSnapshotKey(k, 'decisions/g'));
  expect([...after.keys()]).toEqual(['decisions/g']);
  const small = assembleSnapshot('decisions/g', after);
  expect('value' in small && decodeSnapshot(small.value!)).toMatchObject({ state: expect.anything() as unknown });
});

test('a snapshot that is not one is refused with a reason, never thrown', () => {
  const bomb = gzipSync(Buffer.alloc(300 * 1024 * 1024, 0x20));
  for (const bad of [
    Buffer.from('not json'),
    Buffer.from('[]'),
    Buffer.from('{"engine":{"leases":{}}}'),
    bomb,
    Buffer.from([0x1f, 0x8b, 1, 2, 3]),
  ]) {
    const r = decodeSnapshot(bad);
    expect('error' in r).toBe(true);
  }
  const noKill = stateWithLeases(1) as unknown as { engine: { guard: { control: Record<string, unknown> } } };
  noKill.engine.guard.control.killed = 'no';
  expect(decodeSnapshot(Buffer.from(JSON.stringify(noKill)))).toMatchObject({
    error: expect.stringMatching(/killed/) as unknown,
  });
});

test('cooldown timestamps are pruned once no cooldown can use them', () => {
  const lastChange: Record<string, number> = { a: 1000, b: 5000, c: 9000 };
  pruneCooldowns(lastChange, 10_000, 2000);
  expect(lastChange).toEqual({ c: 9000 });
});
