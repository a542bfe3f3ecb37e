import { InputError } from '../../../src/errors';
import {
  RETRY_POLICY_REVERT,
  RETRY_POLICY_SET,
  applyRetryPolicyCommand,
  createRetrier,
  type RetryPolicy,
  type RetryPolicyCommand,
} from '../../../src/client';
import type { Command } from '../../../src/model/command';
import { createFakeTime } from './fake-time';

const initial: Partial<RetryPolicy> = { strategy: 'none', baseMs: 10, capMs: 1_000, maxAttempts: 5 };

function setup(): {
  time: ReturnType<typeof createFakeTime>;
  r: ReturnType<typeof createRetrier>;
  initialPolicy: Readonly<RetryPolicy>;
} {
  const time = createFakeTime();
  const r = createRetrier(initial, time);
  return { time, r, initialPolicy: r.policy() };
}

const set = (params: RetryPolicyCommand['params'], expiresAt: number): RetryPolicyCommand => ({
  type: RETRY_POLICY_SET,
  params,
  expiresAt,
});

describe('applyRetryPolicyCommand', () => {
  it('set merges into the current policy until the lease expires', () => {
    const { time, r, initialPolicy } = setup();
    const res = applyRetryPolicyCommand(r, set({ strategy: 'full', baseMs: 250 }, time.now() + 60_000));
    expect(res.outcome).toBe('applied');
    expect(res.expiresAt).toBe(time.now() + 60_000);
    expect(res.policy).toEqual({ ...initialPolicy, strategy: 'full', baseMs: 250 });
    expect(r.policy()).toEqual(res.policy);
  });

  it('a second set merges on top of the first and renews the lease', () => {
    const { time, r, initialPolicy } = setup();
    applyRetryPolicyCommand(r, set({ baseMs: 250 }, time.now() + 1_000));
    applyRetryPolicyCommand(r, set({ maxAttempts: 2 }, time.now() + 5_000));
    time.advance(2_000); // the first expiry has passed, the renewal holds
    expect(r.policy()).toEqual({ ...initialPolicy, baseMs: 250, maxAttempts: 2 });
    expect(r.lease()?.expiresAt).toBe(time.now() + 3_000);
  });

  it('revert restores the initial policy', () => {
    const { time, r, initialPolicy } = setup();
    applyRetryPolicyCommand(r, set({ baseMs: 250, budgetRatio: 0.05 }, time.now() + 60_000));
    const res = applyRetryPolicyCommand(r, { type: RETRY_POLICY_REVERT, params: {}, expiresAt: 0 });
    expect(res).toEqual({ outcome: 'reverted', policy: initialPolicy });
    expect(r.policy()).toEqual(initialPolicy);
    expect(r.lease()).toBeUndefined();
  });

  it('a lapsed lease reverts by itself, and calls use the initial policy again', async () => {
    const { time, r, initialPolicy } = setup();
    applyRetryPolicyCommand(r, set({ baseMs: 400 }, time.now() + 30_000));
    time.advance(30_000);
    expect(r.policy()).toEqual(initialPolicy);
    let n = 0;
    await r.run(() => (n++ === 0 ? Promise.reject(new Error('x')) : Promise.resolve(1)));
    expect(time.sleeps).toEqual([10]);
    expect(r.stats().leaseLapses).toBe(1);
  });

  it('ignores a set that arrives already expired, leaving the lease in force untouched', () => {
    const { time, r } = setup();
    applyRetryPolicyCommand(r, set({ baseMs: 250 }, time.now() + 10_000));
    const res = applyRetryPolicyCommand(r, set({ baseMs: 999 }, time.now() - 1));
    expect(res.outcome).toBe('expired');
    expect(res.policy.baseMs).toBe(250);
    expect(res.expiresAt).toBe(time.now() + 10_000);
  });

  it('treats null parameters as not set (Avro optional fields)', () => {
    const { time, r, initialPolicy } = setup();
    const res = applyRetryPolicyCommand(r, set({ strategy: null, baseMs: 30, capMs: null }, time.now() + 1_000));
    expect(res.policy).toEqual({ ...initialPolicy, baseMs: 30 });
  });

  it('refuses unknown types, unknown parameters and invalid values, leaving the policy untouched', () => {
    const { time, r, initialPolicy } = setup();
    const later = time.now() + 1_000;
    const attempt = (c: RetryPolicyCommand): unknown => {
      try {
        applyRetryPolicyCommand(r, c);
      } catch (err) {
        return err;
      }
      throw new Error('expected the command to be refused');
    };
    const wrongType = attempt({ type: 'quota.set', params: {}, expiresAt: later });
    expect(wrongType).toBeInstanceOf(InputError);
    expect(wrongType).toMatchObject({ code: 'INVALID_FIELD', field: 'type' });

    const unknownParam = attempt(set({ baseMs: 20, ...{ jitter: 'full' } }, later));
    expect(unknownParam).toMatchObject({ code: 'INVALID_FIELD', field: 'params.jitter' });

    const outOfBounds = attempt(set({ baseMs: 5_000 }, later)) as InputError; // above capMs 1000
    expect(outOfBounds).toMatchObject({ code: 'INVALID_FIELD', field: 'params' });
    expect(outOfBounds.message).toMatch(/capMs \(1000\) is below baseMs \(5000\)/);

    const wrongValue = attempt(set({ maxAttempts: -1 }, later)) as InputError;
    expect(wrongValue.message).toContain('maxAttempts is -1');

    expect(attempt(set({ baseMs: 20 }, Number.NaN))).toMatchObject({ field: 'expiresAt' });
    expect(r.policy()).toEqual(initialPolicy);
  });

  it('accepts a decoded command record (schemas/command.avsc field names) as it is', () => {
    const { time, r, initialPolicy } = setup();
    const record: Command = {
      id: '0'.repeat(32),
      type: 'retry_policy.set',
      target: 'checkout',
      params: {
        timeoutMs: null,
        retryStrategy: 'decorrelated',
        retryBaseMs: 200,
        retryCapMs: null,
        retryMaxAttempts: 2,
        retryBudgetRatio: 0.05,
        retryBudgetFloorPerSec: null,
        quotaBytesPerSec: null,
        quotaRequestsPerSec: null,
        extra: { level: '2' },
      },
      mode: 'enforce',
      policy: 'herd-control',
      policyVersion: '1',
      reason: 'retry storm',
      evidence: [],
      windowStart: 0,
      windowEnd: 1,
      issuedAt: 1,
      expiresAt: time.now() + 60_000,
      keyId: '',
      signature: '',
      audience: 'query_timeout',
    };
    const res = applyRetryPolicyCommand(r, record);
    expect(res.policy).toEqual({
      ...initialPolicy,
      strategy: 'decorrelated',
      baseMs: 200,
      maxAttempts: 2,
      budgetRatio: 0.05,
    });

    // a field of another family set on a retry_policy command is a malformed command
    expect(() =>
      applyRetryPolicyCommand(r, { ...record, params: { ...record.params, quotaBytesPerSec: 5 } } as Command),
    ).toThrow(/unknown parameter\(s\) quotaBytesPerSec/);
  });

  it('refuses a field given under both names with different values', () => {
    const { time, r } = setup();
    expect(() => applyRetryPolicyCommand(r, set({ baseMs: 20, retryBaseMs: 30 }, time.now() + 1_000))).toThrow(
      /baseMs \(20\) and retryBaseMs \(30\) disagree/,
    );
    expect(applyRetryPolicyCommand(r, set({ baseMs: 20, retryBaseMs: 20 }, time.now() + 1_000)).policy.baseMs).toBe(20);
  });
});
