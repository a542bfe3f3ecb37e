/**
 * Finding 7: telemetry chose what the reference executors touched. `kafka-quota` used any
 * target as a client id, checked only `> 0`, and deleted an operator's quota on revert;
 * `query-timeout` put the target into the URL's host. Now only mapped targets are acted
 * on, rates are bounded, and a revert restores what was there before the lease began.
 */
import type { ApplyContext, RevertRequest } from '../../src/executor';
import { createExecutorCore } from '../../src/executor/core';
import { createMemoryLedger } from '../../src/executor/memory-ledger';
import { kafkaQuotaHandlers } from '../../src/executor/reference/kafka-quota';
import { queryTimeoutHandlers } from '../../src/executor/reference/query-timeout';
import { fakeQuotaAdmin } from '../helpers/quota-admin';
import { kafkaSchema } from '../../src/config/kafka-schema';
import { KEY, KEYRING, T0, command } from '../unit/executor/fixtures';

const kafka = kafkaSchema.parse({ brokers: ['unused:9092'] });

const quota = (target: string, rate: number, issuedAt = T0) =>
  command({ type: 'quota.set', target, issuedAt, params: { quotaBytesPerSec: rate } }, KEY);

describe('reference executors act only on what the operator mapped', () => {
  it('kafka-quota refuses a target without an entity mapping, and rates outside its bounds', () => {
    const h = kafkaQuotaHandlers(kafka, { admin: fakeQuotaAdmin(), entities: { 'tenant-a': 'client-a' } });
    expect(h.validate?.(quota('some-victim-client', 5_000))).toMatch(/has no entity mapping/);
    expect(h.validate?.(quota('tenant-a', 1))).toMatch(/outside \[1024, /);
    expect(h.validate?.(quota('tenant-a', 1e12))).toMatch(/outside \[1024, /);
    expect(h.validate?.(quota('tenant-a', 5_000))).toBeUndefined();
  });

  it("kafka-quota restores an operator's quota on revert, across renewals and a lapsed lease", async () => {
    const admin = fakeQuotaAdmin();
    admin.quotas.set('client-id:client-a', { producer_byte_rate: 7_000_000 });
    const h = kafkaQuotaHandlers(kafka, { admin, entities: { 'tenant-a': 'client-a' } });
    await h.start?.();
    let now = T0 + 1_000;
    const core = createExecutorCore({
      name: 'quota',
      types: h.types,
      keyring: KEYRING,
      maxClockSkewMs: 5_000,
      validate: h.validate,
      apply: h.apply,
      revert: (req: RevertRequest, c: ApplyContext) => h.revert(req, c),
      ledger: createMemoryLedger(),
      clock: { now: () => now },
    });
    core.restore([]);
    expect(await core.handle({ key: 'tenant-a', command: quota('tenant-a', 1_000_000) }, null)).toMatchObject({
      status: 'applied',
    });
    expect(admin.quotas.get('client-id:client-a')).toEqual({ producer_byte_rate: 1_000_000 });
    // A renewal at a new rate: what is restored is still the operator's, not the first lease's.
    now = T0 + 11_000;
    expect(
      await core.handle({ key: 'tenant-a', command: quota('tenant-a', 2_000_000, T0 + 10_000) }, null),
    ).toMatchObject({ status: 'applied' });
    now = T0 + 10_000 + 31_000;
    const [lapsed] = await core.checkLeases();
    expect(lapsed.status).toBe('reverted');
    expect(lapsed.detail).toContain('restored producer_byte_rate=7000000');
    expect(admin.quotas.get('client-id:client-a')).toEqual({ producer_byte_rate: 7_000_000 });
  });

  it('query-timeout never puts a target into a URL host, and refuses an unmapped target', () => {
    expect(() => queryTimeoutHandlers({ urlTemplate: 'http://{target}:8080/admin/timeout' })).toThrow(
      /must come after the host/,
    );
    expect(() => queryTimeoutHandlers({ urlTemplate: 'http://{target}@gw:8080/admin/timeout' })).toThrow(
      /must come after the host/,
    );
    const h = queryTimeoutHandlers({ urls: { 'worker-1': 'http://w1:8080/admin/timeout' } });
    expect(h.validate?.(command({ target: 'evil.example.com#', params: { timeoutMs: 100 } }))).toMatch(
      /has no admin URL/,
    );
    expect(h.validate?.(command({ target: 'worker-1', params: { timeoutMs: 100 } }))).toBeUndefined();
  });
});
