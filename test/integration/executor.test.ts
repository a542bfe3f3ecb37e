/**
 * The executor SDK on the real broker and registry: forged, expired, shadow and duplicate
 * commands are reported and never applied; a command interrupted mid-apply by a crash is
 * applied at most once across the restart; leases lapse into reverts, also after a
 * restart (the lease table is rebuilt from the state topic).
 */
import type { Consumer } from 'kafkajs';
import { completeParams } from '../../src/actions';
import { testCommand } from '../helpers/commands';
import { createRecordCodec, registerSchema, subjectFor, type ActionResultRecord } from '../../src/codec';
import {
  INTERRUPTED_DETAIL,
  createExecutor,
  type ApplyFn,
  type Executor,
  type ExecutorOptions,
  type RevertFn,
  type RevertRequest,
} from '../../src/executor';
import { createRegistryResolver } from '../../src/kafka/registry';
import type { Command, CommandParams } from '../../src/model/command';
import { kafkaSchema } from '../../src/config/kafka-schema';
import { createTopic, produce, randomName, testKafka, waitFor, withAdmin } from '../helpers/kafka';
import { brokers, registryUrl } from '../helpers/services';
import { testKeyring, testSigningKey } from '../helpers/keys';

const KEY = testSigningKey('k1', 11);
const registry = { url: registryUrl() };
const resolver = createRegistryResolver(registry);
const commandCodec = createRecordCodec('command');
const kafka = kafkaSchema.parse({ brokers: brokers(), clientId: 'executor-it' });
const topicsToDelete: string[] = [];

function cmd(
  overrides: {
    target?: string;
    mode?: Command['mode'];
    issuedAt?: number;
    leaseMs?: number;
    params?: Partial<CommandParams>;
  } = {},
): Command {
  return testCommand({
    ...overrides,
    policy: 'adaptive-timeout',
    windowMs: 10_000,
    leaseMs: overrides.leaseMs ?? 60_000,
    signing: KEY,
  });
}

async function publish(topic: string, cmds: Command[], format: 'avro' | 'json'): Promise<void> {
  const id = format === 'avro' ? await registerSchema(resolver, 'command', subjectFor(topic)) : 0;
  await produce(
    topic,
    cmds.map((c) => ({
      key: c.target,
      value: format === 'avro' ? commandCodec.encodeAvro(c, id) : commandCodec.encodeJson(c),
    })),
  );
}

/** Every result written to `topic` (Avro, via the registry), as it arrives. */
async function collectResults(topic: string): Promise<{ results: ActionResultRecord[]; stop: () => Promise<void> }> {
  const decoder = createRecordCodec('action-result').createDecoder({ resolver });
  const consumer: Consumer = testKafka().consumer({ groupId: randomName('results'), readUncommitted: false });
  const results: ActionResultRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void results.push(await decoder.decode(message.value)) });
  return { results, stop: () => consumer.disconnect() };
}

interface Recorder {
  applied: Command[];
  reverted: RevertRequest[];
  apply: ApplyFn;
  revert: RevertFn;
}

function recorder(hangOn: string | null = null): Recorder {
  const r: Recorder = {
    applied: [],
    reverted: [],
    apply: (c) => {
      r.applied.push(c);
      return c.id === hangOn ? new Promise(() => undefined) : Promise.resolve({ previous: { timeoutMs: '30000' } });
    },
    revert: (req) => {
      r.reverted.push(req);
      return Promise.resolve({ detail: 'restored the default' });
    },
  };
  return r;
}

async function setup(): Promise<{ actions: string; results: string; name: string }> {
  const actions = randomName('it-actions');
  const results = randomName('it-results');
  const name = randomName('qt');
  await createTopic(actions);
  await createTopic(results);
  topicsToDelete.push(actions, results, `homeostat.executor.${name}.state`);
  return { actions, results, name };
}

function options(t: { actions: string; results: string; name: string }, rec: Recorder): ExecutorOptions {
  return {
    name: t.name,
    kafka,
    topics: { actions: t.actions, actionResults: t.results },
    registry,
    types: ['query_timeout.set', 'query_timeout.revert'],
    keyring: testKeyring(KEY),
    maxClockSkewMs: 5_000,
    apply: rec.apply,
    revert: rec.revert,
    fromBeginning: true,
    leaseCheckIntervalMs: 200,
  };
}

const running: Executor[] = [];
async function started(o: ExecutorOptions): Promise<Executor> {
  const e = createExecutor(o);
  running.push(e);
  await e.start();
  return e;
}

afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
});

afterAll(async () => {
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    await admin.deleteTopics({ topics: topicsToDelete.filter((t) => existing.has(t)) });
  });
});

describe('executor SDK on Kafka', () => {
  it('reports forged, expired, shadow and duplicate commands without applying them, and applies a valid one at most once across a crash', async () => {
    const t = await setup();
    const collector = await collectResults(t.results);
    try {
      const valid = cmd();
      const forged = { ...cmd(), params: completeParams({ timeoutMs: 1 }) };
      const expired = cmd({ issuedAt: Date.now() - 120_000, leaseMs: 60_000 });
      const shadow = cmd({ mode: 'shadow' });
      const interrupted = cmd({ params: { timeoutMs: 900 } });

      const a = recorder(interrupted.id);
      const first = await started(options(t, a));
      await publish(t.actions, [valid, forged], 'avro');
      await publish(t.actions, [expired, shadow, valid], 'json');
      expect(await waitFor(() => collector.results.length >= 5, 30_000)).toBe(true);
      expect(collector.results.map((r) => [r.commandId, r.status])).toEqual([
        [valid.id, 'applied'],
        [forged.id, 'rejected'],
        [expired.id, 'expired'],
        [shadow.id, 'shadowed'],
        [valid.id, 'duplicate'],
      ]);
      expect(collector.results[1].detail).toMatch(/bad-signature/);
      expect(collector.results[0]).toMatchObject({
        executor: t.name,
        target: 'worker-1',
        mode: 'enforce',
        leaseExpiresAt: valid.expiresAt,
        previous: { timeoutMs: '30000' },
      });
      expect(a.applied.map((c) => c.id)).toEqual([valid.id]);

      // The crash: the intent is written, apply never returns, the process dies.
      await publish(t.actions, [interrupted], 'avro');
      expect(await waitFor(() => a.applied.length === 2, 20_000)).toBe(true);
      await first.kill();

      const b = recorder();
      const second = await started(options(t, b));
      expect(await waitFor(() => collector.results.length >= 6, 30_000)).toBe(true);
      expect(collector.results[5]).toMatchObject({
        commandId: interrupted.id,
        status: 'failed',
        detail: INTERRUPTED_DETAIL,
      });
      expect(second.leases().map((l) => [l.command.id, l.uncertain])).toEqual(
        expect.arrayContaining([[interrupted.id, true]]),
      );

      // And a copy of the first command, after the restart, is still a duplicate.
      await publish(t.actions, [valid], 'json');
      expect(await waitFor(() => collector.results.length >= 7, 20_000)).toBe(true);
      expect(collector.results[6]).toMatchObject({ commandId: valid.id, status: 'duplicate' });
      expect(b.applied).toEqual([]);
      expect(collector.results.filter((r) => r.commandId === interrupted.id)).toHaveLength(1);
    } finally {
      await collector.stop();
    }
  });

  it('reverts a lease that lapses when the processor stops renewing it', async () => {
    const t = await setup();
    const collector = await collectResults(t.results);
    try {
      const rec = recorder();
      await started(options(t, rec));
      const lease = cmd({ target: 'worker-9', leaseMs: 3_000 });
      await publish(t.actions, [lease], 'avro');
      expect(await waitFor(() => rec.reverted.length > 0, 15_000)).toBe(true);
      const revertedAt = Date.now();
      expect(revertedAt).toBeGreaterThanOrEqual(lease.expiresAt);
      expect(rec.reverted).toMatchObject([{ target: 'worker-9', cause: 'lease-lapsed', command: { id: lease.id } }]);
      expect(await waitFor(() => collector.results.length >= 2, 10_000)).toBe(true);
      expect(collector.results.map((r) => r.status)).toEqual(['applied', 'reverted']);
      expect(collector.results[1]).toMatchObject({
        commandId: lease.id,
        detail: 'lease lapsed: restored the default',
        leaseExpiresAt: null,
      });
      // Reverted within a lease-check interval plus the write, not at some later sweep.
      expect(collector.results[1].startedAt - lease.expiresAt).toBeLessThan(1_500);
    } finally {
      await collector.stop();
    }
  });

  it('rebuilds its leases after a restart and still reverts one that lapses', async () => {
    const t = await setup();
    const collector = await collectResults(t.results);
    try {
      const before = recorder();
      const first = await started(options(t, before));
      const lease = cmd({ target: 'worker-3', leaseMs: 6_000 });
      await publish(t.actions, [lease], 'json');
      expect(await waitFor(() => collector.results.length >= 1, 15_000)).toBe(true);
      await first.stop(); // a deploy: leases stay in force, nothing is reverted
      expect(before.reverted).toEqual([]);

      const after = recorder();
      const second = await started(options(t, after));
      expect(second.leases()).toMatchObject([{ target: 'worker-3', uncertain: false, expiresAt: lease.expiresAt }]);
      expect(await waitFor(() => after.reverted.length > 0, 15_000)).toBe(true);
      expect(after.reverted).toMatchObject([{ target: 'worker-3', cause: 'lease-lapsed', command: { id: lease.id } }]);
      expect(await waitFor(() => collector.results.length >= 2, 10_000)).toBe(true);
      expect(collector.results.map((r) => r.status)).toEqual(['applied', 'reverted']);
      expect(after.applied).toEqual([]);
    } finally {
      await collector.stop();
    }
  });
});
