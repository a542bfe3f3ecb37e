/**
 * Finding 8: with one symmetric key every executor could forge commands for every other,
 * and no executor checked how long a lease it was handed. Now executors hold only public
 * keys (which cannot sign), refuse a genuine command addressed to another audience, and
 * refuse a lease longer than their maxLeaseMs.
 */
import { buildCommand, completeParams, ed25519Sign, signCommand, type SigningKey } from '../../src/actions';
import { checkCommand, type CheckContext } from '../../src/executor/check';
import type { Command, CommandType } from '../../src/model/command';
import { testKeyring, testSigningKey } from '../helpers/keys';

const PROCESSOR = testSigningKey('p1', 41);
const T0 = 1_767_225_600_000;

function command(o: { leaseMs?: number; signing?: SigningKey } = {}): Command {
  return buildCommand(
    {
      policy: 'adaptive-timeout',
      policyVersion: 'v1',
      target: 'worker-1',
      type: 'query_timeout.set',
      params: completeParams({ timeoutMs: 800 }),
      mode: 'enforce',
      reason: 'queue over the high watermark',
      evidence: [{ signal: 'queue.depth:mean', value: 80, threshold: 50, comparison: '>' }],
      windowStart: T0 - 10_000,
      windowEnd: T0,
      issuedAt: T0,
      leaseMs: o.leaseMs ?? 30_000,
    },
    o.signing ?? PROCESSOR,
  );
}

function ctx(overrides: Partial<CheckContext> = {}): CheckContext {
  return {
    types: new Set<CommandType>(['query_timeout.set', 'query_timeout.revert']),
    keyring: testKeyring(PROCESSOR),
    audiences: new Set(['query_timeout']),
    maxLeaseMs: 900_000,
    now: T0 + 1_000,
    maxClockSkewMs: 5_000,
    seen: () => undefined,
    ...overrides,
  };
}

describe('who may steer an executor', () => {
  it('an executor holds only a public key, and a public key cannot sign', () => {
    const ring = ctx().keyring;
    expect(ring.p1.type).toBe('public');
    expect(() => ed25519Sign(ring.p1, 'anything')).toThrow();
  });

  it('a command an executor forges with a key of its own is refused', () => {
    const forged = signCommand({ ...command(), params: completeParams({ timeoutMs: 1 }) }, testSigningKey('p1', 42));
    expect(checkCommand(forged, ctx())).toMatchObject({
      ok: false,
      status: 'rejected',
      detail: expect.stringMatching(/^signature: bad-signature/),
    });
  });

  it('a genuine command for another audience is refused, and the audience cannot be changed after signing', () => {
    const quotaGroup = { ...PROCESSOR, audienceOf: () => 'quota@eu-cluster' };
    const elsewhere = command({ signing: quotaGroup });
    expect(elsewhere.audience).toBe('quota@eu-cluster');
    expect(checkCommand(elsewhere, ctx())).toMatchObject({
      ok: false,
      status: 'rejected',
      detail: expect.stringMatching(/^audience "quota@eu-cluster" is not this executor's/),
    });
    expect(checkCommand({ ...elsewhere, audience: 'query_timeout' }, ctx())).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^signature: bad-signature/),
    });
    expect(checkCommand(command(), ctx())).toEqual({ ok: true });
  });

  it('a lease longer than maxLeaseMs, or not positive, is refused', () => {
    expect(checkCommand(command({ leaseMs: 900_001 }), ctx())).toMatchObject({
      ok: false,
      status: 'rejected',
      detail: expect.stringMatching(/^lease of 900001 ms/),
    });
    expect(checkCommand(command({ leaseMs: 0 }), ctx())).toMatchObject({
      ok: false,
      status: 'rejected',
      detail: expect.stringMatching(/^lease of 0 ms/),
    });
    expect(checkCommand(command({ leaseMs: 900_000 }), ctx())).toEqual({ ok: true });
  });
});

describe('an executor check that cannot throw', () => {
  it('a validate function that throws rejects the command instead of escaping into the consumer', () => {
    const verdict = checkCommand(
      command(),
      ctx({
        validate: () => {
          throw new Error('boom');
        },
      }),
    );
    expect(verdict).toMatchObject({ ok: false, status: 'rejected', detail: 'validate threw: boom' });
  });
});
