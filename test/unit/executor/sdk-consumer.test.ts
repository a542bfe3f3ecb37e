/**
 * The executor SDK's actions consumer over the fake Kafka port (test/helpers/fake-kafka.ts):
 * replaced when kafkajs stops it for good, it resumes where the group left off and applies
 * what follows — and the lifecycle it reports on the way.
 */
import { createRecordCodec } from '../../../src/codec';
import { createExecutor, type Executor } from '../../../src/executor/sdk';
import { createMemoryLedger } from '../../../src/executor/memory-ledger';
import type { Command } from '../../../src/model/command';
import { kafkaSchema } from '../../../src/ops/config-kafka';
import { FakeKafka } from '../../helpers/fake-kafka';
import { command, fakeClock, KEYRING } from './fixtures';

const ACTIONS = 'x.actions';
const codec = createRecordCodec('command');

function setup(): { k: FakeKafka; executor: Executor; applied: Command[] } {
  const k = new FakeKafka({ topics: { [ACTIONS]: 2 } });
  const applied: Command[] = [];
  const executor = createExecutor(
    {
      name: 'qt',
      kafka: kafkaSchema.parse({ brokers: ['fake:9092'], clientId: 'executor-unit' }),
      topics: { actions: ACTIONS, actionResults: 'x.results' },
      types: ['query_timeout.set', 'query_timeout.revert'],
      keyring: KEYRING,
      maxClockSkewMs: 5_000,
      clock: fakeClock(),
      apply: (c) => {
        applied.push(c);
        return Promise.resolve({ previous: { timeoutMs: '30000' } });
      },
      revert: () => Promise.resolve({}),
      dedupStore: createMemoryLedger(),
      fromBeginning: true,
      leaseCheckIntervalMs: 60_000,
    },
    { kafka: k },
  );
  return { k, executor, applied };
}

const publish = (k: FakeKafka, cmds: Command[]): void =>
  k.produce(
    ACTIONS,
    cmds.map((c) => ({ key: c.target, value: codec.encodeJson(c) })),
  );

test('an actions consumer stopped for good is replaced: the commands after the crash are applied, none twice', async () => {
  const { k, executor, applied } = setup();
  expect(executor.status()).toBe('INITIALIZED');
  await executor.start();
  try {
    expect(executor.status()).toBe('RUNNING');
    const before = [command({ target: 'w-1' }), command({ target: 'w-2' })];
    publish(k, before);
    await k.until(() => applied.length === 2, 5_000, 'the first two commands');
    const group = 'homeostat-executor-qt';
    const first = k.group(group).members[0];
    k.crash(group);
    await k.until(
      () => k.group(group).members.length === 1 && k.group(group).members[0] !== first,
      5_000,
      'a new member of the group',
    );
    const after = [command({ target: 'w-3' }), command({ target: 'w-4' })];
    publish(k, after);
    await k.until(() => applied.length === 4, 5_000, 'the commands after the crash');
    expect(applied.map((c) => c.id)).toEqual([...before, ...after].map((c) => c.id));
    expect(executor.counts().applied).toBe(4);
    expect(executor.ready()).toBe(true);
  } finally {
    await executor.stop();
  }
  expect(executor.status()).toBe('STOPPED');
  // The lifecycle allows no way back.
  await expect(executor.start()).rejects.toMatchObject({ code: 'INVALID_STATE' });
});

test('a killed executor stays killed and writes nothing more', async () => {
  const { k, executor, applied } = setup();
  await executor.start();
  await executor.kill();
  expect(executor.status()).toBe('KILLED');
  publish(k, [command({ target: 'w-9' })]);
  await new Promise((r) => setTimeout(r, 50));
  expect(applied).toHaveLength(0);
  await executor.stop();
  expect(executor.status()).toBe('KILLED');
});
