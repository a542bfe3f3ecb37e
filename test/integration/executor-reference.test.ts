/**
 * The query-timeout and retry-policy reference executors end to end on the real broker,
 * as `homeostat executor <name>` runs them: commands on the actions topic change a demo
 * worker's timeout over HTTP and a client fleet's retry policy through the compacted
 * client-config topic, and the changes undo themselves when the lease lapses or on revert.
 */
import { buildCommand, completeParams } from '../../src/actions';
import { DEFAULT_RETRY_POLICY, createRetrier } from '../../src/client';
import { createRecordCodec } from '../../src/codec';
import {
  createDemoWorker,
  followClientConfig,
  runReferenceExecutor,
  type ReferenceExecutorOptions,
} from '../../src/executor';
import type { Command, CommandParams, CommandType } from '../../src/model/command';
import { kafkaSchema } from '../../src/config/kafka-schema';
import { createTopic, produce, randomName, waitFor, withAdmin } from '../helpers/kafka';
import { brokers } from '../helpers/services';
import { testKeyring, testSigningKey } from '../helpers/keys';

const KEY = testSigningKey('k1', 11);
const kafka = kafkaSchema.parse({ brokers: brokers(), clientId: 'executor-ref-it' });
const topicsToDelete: string[] = [];
let windowNo = 0;

function cmd(type: CommandType, target: string, params: Partial<CommandParams>, leaseMs: number): Command {
  windowNo++;
  return buildCommand(
    {
      policy: 'p',
      policyVersion: 'v1',
      target,
      type,
      params: completeParams(params),
      mode: 'enforce',
      reason: 'test',
      evidence: [],
      windowStart: windowNo * 10_000,
      windowEnd: windowNo * 10_000 + 10_000,
      issuedAt: Date.now(),
      leaseMs,
    },
    KEY,
  );
}

const publish = (topic: string, c: Command): Promise<void> =>
  produce(topic, [{ key: c.target, value: createRecordCodec('command').encodeJson(c) }]);

async function common(): Promise<ReferenceExecutorOptions & { topics: { actions: string; actionResults: string } }> {
  const actions = randomName('it-actions');
  const actionResults = randomName('it-results');
  const name = randomName('ref');
  await Promise.all([createTopic(actions), createTopic(actionResults)]);
  topicsToDelete.push(actions, actionResults, `homeostat.executor.${name}.state`);
  return {
    name,
    kafka,
    topics: { actions, actionResults },
    keyring: testKeyring(KEY),
    maxClockSkewMs: 5_000,
    fromBeginning: true,
    leaseCheckIntervalMs: 200,
  };
}

afterAll(async () => {
  await withAdmin(async (a) => {
    const existing = new Set(await a.listTopics());
    await a.deleteTopics({ topics: topicsToDelete.filter((t) => existing.has(t)) });
  });
});

describe('reference executors on Kafka', () => {
  it('query-timeout sets a worker timeout over HTTP, and the worker is back on its default when the lease lapses', async () => {
    const worker = createDemoWorker({ port: 0, capacityPerSec: 500, defaultTimeoutMs: 30_000 });
    await worker.start();
    const o = await common();
    const executor = await runReferenceExecutor('query-timeout', {
      ...o,
      queryTimeout: { urls: { 'worker-a': `${worker.url()}/admin/timeout` } },
    });
    try {
      const set = cmd('query_timeout.set', 'worker-a', { timeoutMs: 750 }, 3_000);
      await publish(o.topics.actions, set);
      expect(await waitFor(() => worker.stats().timeoutMs === 750, 15_000)).toBe(true);
      expect(await waitFor(() => worker.stats().timeoutMs === 30_000, 15_000)).toBe(true);
      expect(Date.now()).toBeGreaterThanOrEqual(set.expiresAt);
      // The count moves once the result is committed, a moment after the worker was reset.
      expect(await waitFor(() => executor.counts().reverted === 1, 10_000)).toBe(true);
      expect(executor.counts()).toMatchObject({ applied: 1, reverted: 1, failed: 0 });
    } finally {
      await executor.stop();
      await worker.stop();
    }
  });

  it('retry-policy reaches a following client through the client-config topic, and its revert restores the baseline', async () => {
    const o = await common();
    const topic = randomName('it-client-config');
    topicsToDelete.push(topic);
    const executor = await runReferenceExecutor('retry-policy', { ...o, retryPolicy: { topic } });
    const retrier = createRetrier({ baseMs: 50 });
    const follower = await followClientConfig({ kafka, topic, service: 'checkout', retrier });
    try {
      await publish(
        o.topics.actions,
        cmd(
          'retry_policy.set',
          'checkout',
          { retryStrategy: 'decorrelated', retryBaseMs: 400, retryMaxAttempts: 2 },
          60_000,
        ),
      );
      await publish(o.topics.actions, cmd('retry_policy.set', 'other-service', { retryMaxAttempts: 1 }, 60_000));
      expect(await waitFor(() => retrier.policy().baseMs === 400, 15_000)).toBe(true);
      expect(retrier.policy()).toMatchObject({ strategy: 'decorrelated', maxAttempts: 2 });
      await publish(o.topics.actions, cmd('retry_policy.revert', 'checkout', {}, 60_000));
      expect(await waitFor(() => retrier.policy().baseMs === 50, 15_000)).toBe(true);
      expect(retrier.policy()).toEqual({ ...DEFAULT_RETRY_POLICY, baseMs: 50 });
      expect(follower.applied()).toBe(2);
    } finally {
      await follower.stop();
      await executor.stop();
    }
  });
});
