/**
 * Findings 4 and 8 on the real broker: hostile records on the actions topic never stall an
 * executor, and a genuine signature is not enough — the audience and the lease length are
 * the executor's to check.
 *
 * Finding 4: a JSON command carrying "NaN" in its evidence (Avro JSON's spelling of a
 * double no canonical JSON can encode) made the signature check throw; nothing caught it,
 * the offset was never committed and the partition stalled for good. Now it is refused
 * with a reason, reported, its offset committed, and the command after it applied.
 */
import type { Consumer } from 'kafkajs';
import { createRecordCodec, type ActionResultRecord } from '../../src/codec';
import { createExecutor, type Executor } from '../../src/executor';
import type { Command } from '../../src/model/command';
import { kafkaSchema } from '../../src/config/kafka-schema';
import { testCommand } from '../helpers/commands';
import { testKeyring, testSigningKey } from '../helpers/keys';
import { createTopic, produce, randomName, testKafka, waitFor, withAdmin } from '../helpers/kafka';
import { brokers } from '../helpers/services';

const KEY = testSigningKey('k1', 31);
const kafka = kafkaSchema.parse({ brokers: brokers(), clientId: 'hostile-executor' });
const commandCodec = createRecordCodec('command');
const resultCodec = createRecordCodec('action-result');
const topics: string[] = [];

function cmd(o: { target?: string; leaseMs?: number } = {}): Command {
  return testCommand({
    policy: 'adaptive-timeout',
    windowMs: 10_000,
    leaseMs: o.leaseMs ?? 60_000,
    target: o.target,
    signing: KEY,
  });
}

/** The JSON text of a genuine signed command with one evidence value replaced by the string "NaN". */
function withNaNEvidence(c: Command): string {
  const json = JSON.parse(commandCodec.encodeJson(c).toString('utf8')) as { evidence: { value: unknown }[] };
  json.evidence[0].value = 'NaN';
  return JSON.stringify(json);
}

async function follow(topic: string): Promise<{ results: ActionResultRecord[]; stop: () => Promise<void> }> {
  const consumer: Consumer = testKafka().consumer({ groupId: randomName('hostile-results'), readUncommitted: false });
  const results: ActionResultRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => Promise.resolve(void results.push(resultCodec.decodeJson(message.value!))),
  });
  return { results, stop: () => consumer.disconnect() };
}

let executor: Executor | undefined;
afterEach(async () => {
  await executor?.stop();
  executor = undefined;
});
afterAll(async () => {
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    await admin.deleteTopics({ topics: topics.filter((t) => existing.has(t)) });
  });
});

test('a command that cannot be encoded for verification is refused and reported, its offset committed, and the next command applied', async () => {
  const actions = randomName('hostile-actions');
  const results = randomName('hostile-results');
  const name = randomName('qt');
  const groupId = `homeostat-executor-${name}`;
  await createTopic(actions);
  await createTopic(results);
  topics.push(actions, results, `homeostat.executor.${name}.state`);
  const applied: string[] = [];
  executor = createExecutor({
    name,
    kafka,
    topics: { actions, actionResults: results },
    types: ['query_timeout.set', 'query_timeout.revert'],
    keyring: testKeyring(KEY),
    maxClockSkewMs: 5_000,
    fromBeginning: true,
    apply: (c) => {
      applied.push(c.id);
      return Promise.resolve({});
    },
    revert: () => Promise.resolve({}),
  });
  const followed = await follow(results);
  await executor.start();
  try {
    const poisoned = cmd({ target: 'worker-2' });
    const genuine = cmd({ target: 'worker-1' });
    await produce(actions, [
      { key: poisoned.target, value: withNaNEvidence(poisoned) },
      { key: genuine.target, value: commandCodec.encodeJson(genuine) },
    ]);
    expect(await waitFor(() => followed.results.length >= 2, 30_000)).toBe(true);
    expect(followed.results.map((r) => ({ id: r.commandId, status: r.status, detail: r.detail }))).toEqual([
      {
        id: poisoned.id,
        status: 'rejected',
        detail: expect.stringMatching(/^signature: malformed: .*evidence\[0\]\.value is NaN/),
      },
      { id: genuine.id, status: 'applied', detail: '' },
    ]);
    expect(applied).toEqual([genuine.id]);
    // Both offsets committed: the partition moved past the poisoned record.
    const committedToEnd = (): Promise<boolean> =>
      withAdmin(async (admin) => {
        const [entry] = await admin.fetchOffsets({ groupId, topics: [actions] });
        const [end] = await admin.fetchTopicOffsets(actions);
        return BigInt(entry.partitions[0].offset) >= BigInt(end.high);
      });
    expect(await waitFor(committedToEnd, 30_000)).toBe(true);
  } finally {
    await followed.stop();
  }
});
