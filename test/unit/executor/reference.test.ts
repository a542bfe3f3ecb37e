import { createRetrier, DEFAULT_RETRY_POLICY } from '../../../src/client';
import { createDemoWorker, type DemoWorker } from '../../../src/executor/demo-worker';
import {
  admitQuery,
  initialWorkerModel,
  workerGauges,
  type QueryOutcome,
} from '../../../src/executor/demo-worker-model';
import { runReferenceExecutor } from '../../../src/executor/reference';
import {
  applyClientConfig,
  clientConfigRecord,
  parseClientConfigRecord,
} from '../../../src/executor/reference/client-config';
import { kafkaQuotaHandlers } from '../../../src/executor/reference/kafka-quota';
import { platformaticAdminOptions } from '../../../src/executor/reference/quota-admin';
import { fakeQuotaAdmin } from '../../helpers/quota-admin';
import { queryTimeoutHandlers, timeoutUrl } from '../../../src/executor/reference/query-timeout';
import { retryPolicyHandlers } from '../../../src/executor/reference/retry-policy';
import type { ApplyContext, RevertRequest } from '../../../src/executor/types';
import type { Command } from '../../../src/model/command';
import { kafkaSchema } from '../../../src/config/kafka-schema';
import { silentLogger } from '../../../src/ops/logger';
import { T0, command } from './fixtures';

const ctx = (): ApplyContext => ({ signal: new AbortController().signal, logger: silentLogger() });
const revertOf = (cmd: Command): RevertRequest => ({
  target: cmd.target,
  family: 'query_timeout',
  cause: 'command',
  command: cmd,
  lease: null,
});
const kafka = kafkaSchema.parse({});

describe('query-timeout executor', () => {
  let worker: DemoWorker;
  beforeEach(async () => {
    worker = createDemoWorker({ port: 0, capacityPerSec: 1000, defaultTimeoutMs: 30_000 });
    await worker.start();
  });
  afterEach(() => worker.stop());

  it('maps targets to URLs by static map first, then by a template that keeps the target out of the host', () => {
    expect(timeoutUrl('w 1', {})).toBeUndefined();
    expect(timeoutUrl('w 1', { urlTemplate: 'http://gw:8080/admin/{target}' })).toBe('http://gw:8080/admin/w%201');
    expect(timeoutUrl('w1', { urls: { w1: 'http://h:1/a' }, urlTemplate: 'x' })).toBe('http://h:1/a');
  });

  it('sets the timeout with PUT, reports the previous one, and restores the default with DELETE', async () => {
    const h = queryTimeoutHandlers({ urls: { 'worker-1': `${worker.url()}/admin/timeout` } });
    const set = command({ params: { timeoutMs: 750 } });
    expect(await h.apply(set, ctx())).toMatchObject({ previous: { timeoutMs: '30000' } });
    expect(worker.stats().timeoutMs).toBe(750);
    expect(await h.revert(revertOf(command({ type: 'query_timeout.revert' })), ctx())).toMatchObject({
      previous: { timeoutMs: '750' },
    });
    expect(worker.stats().timeoutMs).toBe(30_000);
  });

  it('retries 5xx answers with the client retrier, and never retries a 4xx', async () => {
    const calls: string[] = [];
    const answers = [503, 502, 200];
    const fake: typeof fetch = (input) => {
      calls.push(input instanceof Request ? input.url : input.toString());
      const status = answers.shift() ?? 200;
      return Promise.resolve(
        new Response(status === 200 ? '{"timeoutMs":5,"previousTimeoutMs":9}' : 'busy', { status }),
      );
    };
    const h = queryTimeoutHandlers({
      fetch: fake,
      retry: { baseMs: 1, capMs: 2 },
      urls: { 'worker-1': 'http://w1:8080/admin/timeout' },
    });
    expect(await h.apply(command({ params: { timeoutMs: 5 } }), ctx())).toMatchObject({ previous: { timeoutMs: '9' } });
    expect(calls).toHaveLength(3);

    const bad: typeof fetch = () => {
      calls.push('bad');
      return Promise.resolve(new Response('no', { status: 400 }));
    };
    calls.length = 0;
    await expect(
      queryTimeoutHandlers({
        fetch: bad,
        retry: { baseMs: 1, capMs: 2 },
        urls: { 'worker-1': 'http://w1:8080/admin/timeout' },
      }).apply(command(), ctx()),
    ).rejects.toThrow(/HTTP 400/);
    expect(calls).toHaveLength(1);
  });

  it('validates that a set carries a positive integer timeout', () => {
    const h = queryTimeoutHandlers({ urls: { 'worker-1': 'http://w1:8080/admin/timeout' } });
    expect(h.validate?.(command({ params: { timeoutMs: 100 } }))).toBeUndefined();
    expect(h.validate?.(command({ params: { extra: {} } }))).toMatch(/without timeoutMs/);
    expect(h.validate?.({ ...command(), params: { ...command().params, timeoutMs: -1 } })).toMatch(
      /not a positive integer/,
    );
    expect(h.validate?.(command({ type: 'query_timeout.revert' }))).toBeUndefined();
  });
});

describe('demo worker', () => {
  const run = (n: number, timeoutMs: number, now = 0, state = initialWorkerModel()) => {
    const outcomes: QueryOutcome[] = [];
    for (let i = 0; i < n; i++) {
      const step = admitQuery(state, { now, cost: 1, timeoutMs, capacityPerSec: 100 });
      state = step.state;
      outcomes.push(step.outcome);
    }
    return { state, outcomes };
  };

  it('queues a burst: the k-th query waits for the k-1 before it (10 ms each at 100/s)', () => {
    const { state, outcomes } = run(20, 1_000);
    expect(outcomes.map((o) => o.respondAfterMs)).toEqual(Array.from({ length: 20 }, (_, k) => 10 * (k + 1)));
    expect(workerGauges(state, 5)).toMatchObject({ inflight: 1, queueDepth: 19 });
    expect(workerGauges(state, 200)).toMatchObject({ inflight: 0, queueDepth: 0 });
  });

  it('sheds what cannot finish within the timeout, and shed queries never hold the server', () => {
    const { state, outcomes } = run(20, 55);
    expect(outcomes.filter((o) => o.status === 'ok')).toHaveLength(5);
    // The 6th starts at 50 ms but cannot finish by 55: it holds the server until its cut-off.
    expect(state.nextFreeAt).toBe(55);
    expect(outcomes.slice(5).every((o) => o.status === 'timeout' && o.respondAfterMs === 55)).toBe(true);
    // Once the timeout is back to normal, the next query only waits for the cut-off one.
    expect(admitQuery(state, { now: 0, cost: 1, timeoutMs: 1_000, capacityPerSec: 100 }).outcome).toEqual({
      status: 'ok',
      respondAfterMs: 65,
    });
  });

  it('serves queries and its admin endpoint over HTTP', async () => {
    const worker = createDemoWorker({ port: 0, capacityPerSec: 1000, defaultTimeoutMs: 5 });
    await worker.start();
    try {
      const ok = await fetch(`${worker.url()}/query?cost=1`);
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { latencyMs: number }).latencyMs).toBeGreaterThan(0);
      const shed = await fetch(`${worker.url()}/query?cost=100`);
      expect(shed.status).toBe(504);
      expect(await (await fetch(`${worker.url()}/admin/timeout`)).json()).toEqual({
        timeoutMs: 5,
        defaultTimeoutMs: 5,
      });
      expect((await fetch(`${worker.url()}/admin/timeout`, { method: 'PUT', body: '{"timeoutMs": 0}' })).status).toBe(
        400,
      );
      expect((await fetch(`${worker.url()}/query?cost=-1`)).status).toBe(400);
      expect(worker.stats()).toMatchObject({ served: 1, timedOut: 1, timeoutMs: 5 });
    } finally {
      await worker.stop();
    }
  });
});

describe('kafka-quota executor', () => {
  const quota = (target: string, rate: number) =>
    command({ type: 'quota.set', target, params: { quotaBytesPerSec: rate } });

  it('sets producer (and optionally consumer) byte rates on the mapped entity and removes them on revert', async () => {
    const admin = fakeQuotaAdmin();
    const h = kafkaQuotaHandlers(kafka, { admin, entities: { 'tenant-a': 'client-a' }, consumerByteRate: true });
    await h.start?.();
    expect(await h.apply(quota('tenant-a', 1e6), ctx())).toMatchObject({ previous: {} });
    expect(admin.quotas.get('client-id:client-a')).toEqual({ producer_byte_rate: 1e6, consumer_byte_rate: 1e6 });
    expect(await h.apply(quota('tenant-a', 2e6), ctx())).toMatchObject({ previous: { producer_byte_rate: '1000000' } });
    await h.revert(
      { target: 'tenant-a', family: 'quota', cause: 'lease-lapsed', command: quota('tenant-a', 2e6), lease: null },
      ctx(),
    );
    expect(admin.quotas.get('client-id:client-a')).toEqual({});
    expect(h.validate?.(quota('tenant-b', 5000))).toMatch(/has no entity mapping/);
  });

  it('rejects a quota.set without a positive byte rate', () => {
    const h = kafkaQuotaHandlers(kafka, { admin: fakeQuotaAdmin(), targetIsEntity: true });
    expect(h.validate?.(quota('t', 1024))).toBeUndefined();
    expect(h.validate?.(command({ type: 'quota.set', params: { quotaRequestsPerSec: 5 } }))).toMatch(
      /without quotaBytesPerSec/,
    );
    expect(h.validate?.({ ...quota('t', 1), params: { ...quota('t', 1).params, quotaBytesPerSec: 0 } })).toMatch(
      /outside \[1024, /,
    );
  });

  it('connects the quota admin with the same TLS and SASL settings as kafkajs', () => {
    process.env.EXECUTOR_TEST_PASSWORD = 's3cret';
    const opts = platformaticAdminOptions(
      kafkaSchema.parse({
        brokers: ['k:9093'],
        ssl: true,
        sasl: { mechanism: 'scram-sha-512', username: 'u', passwordEnv: 'EXECUTOR_TEST_PASSWORD' },
      }),
    );
    expect(opts).toMatchObject({
      bootstrapBrokers: ['k:9093'],
      tls: {},
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 's3cret' },
    });
    expect(platformaticAdminOptions(kafka).tls).toBeUndefined();
    delete process.env.EXECUTOR_TEST_PASSWORD;
  });
});

describe('retry-policy executor and client config', () => {
  const set = command({
    type: 'retry_policy.set',
    target: 'checkout',
    params: { retryStrategy: 'decorrelated', retryBaseMs: 250, retryMaxAttempts: 2, retryBudgetRatio: 0.05 },
    leaseMs: 60_000,
  });

  it('turns a retry_policy.set into the policy fields it changes, with the lease expiry', () => {
    expect(clientConfigRecord(set)).toEqual({
      v: 1,
      commandId: set.id,
      policy: { strategy: 'decorrelated', baseMs: 250, maxAttempts: 2, budgetRatio: 0.05 },
      expiresAt: set.expiresAt,
      issuedAt: set.issuedAt,
    });
    expect(parseClientConfigRecord(Buffer.from(JSON.stringify(clientConfigRecord(set))))).toEqual(
      clientConfigRecord(set),
    );
    expect(() => parseClientConfigRecord(Buffer.from('{"v":2}'))).toThrow(/needs v: 1/);
  });

  it('applies a record to a retrier as a lease on top of its baseline; a tombstone or the expiry reverts it', () => {
    let now = T0;
    const retrier = createRetrier({ capMs: 5_000 }, { clock: { now: () => now } });
    expect(applyClientConfig(retrier, clientConfigRecord(set)).outcome).toBe('applied');
    expect(retrier.policy()).toMatchObject({ strategy: 'decorrelated', baseMs: 250, maxAttempts: 2, capMs: 5_000 });
    expect(applyClientConfig(retrier, null).outcome).toBe('reverted');
    expect(retrier.policy()).toEqual({ ...DEFAULT_RETRY_POLICY, capMs: 5_000 });
    applyClientConfig(retrier, clientConfigRecord(set));
    now = set.expiresAt;
    expect(retrier.policy().baseMs).toBe(DEFAULT_RETRY_POLICY.baseMs);
    expect(applyClientConfig(retrier, clientConfigRecord(set)).outcome).toBe('expired');
  });

  it('rejects commands that change nothing or set out-of-range values', () => {
    const h = retryPolicyHandlers(kafka);
    expect(h.validate?.(set)).toBeUndefined();
    expect(h.validate?.(command({ type: 'retry_policy.set', params: {} }))).toMatch(/changes no retry parameter/);
    expect(h.validate?.(command({ type: 'retry_policy.set', params: { retryMaxAttempts: 0 } }))).toMatch(
      /maxAttempts is 0/,
    );
  });
});

describe('runReferenceExecutor', () => {
  it('names the reference executors when given an unknown one', async () => {
    await expect(
      runReferenceExecutor('nope', {
        kafka,
        topics: { actions: 'a', actionResults: 'r' },
        keyring: {},
        maxClockSkewMs: 0,
      }),
    ).rejects.toThrow(/unknown executor "nope"; choose one of query-timeout, retry-policy, kafka-quota/);
  });
});
