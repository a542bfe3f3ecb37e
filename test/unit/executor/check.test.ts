import fc from 'fast-check';
import { INTERRUPTED_DETAIL, boundsViolation, checkCommand, type CheckContext } from '../../../src/executor/check';
import type { SeenEntry } from '../../../src/executor/types';
import type { Command, CommandType } from '../../../src/model/command';
import { KEY, KEYRING, T0, command } from './fixtures';

function ctx(overrides: Partial<CheckContext> = {}, seen: Record<string, SeenEntry> = {}): CheckContext {
  return {
    types: new Set<CommandType>(['query_timeout.set', 'query_timeout.revert']),
    keyring: KEYRING,
    audiences: new Set(['query_timeout']),
    maxLeaseMs: 900_000,
    now: T0 + 1_000,
    maxClockSkewMs: 5_000,
    seen: (id) => seen[id],
    ...overrides,
  };
}

const notOk = (cmd: Command, c: CheckContext): { status: string; detail: string; authentic: boolean } => {
  const v = checkCommand(cmd, c);
  if (v.ok) throw new Error('expected a refusal');
  return v;
};

describe('checkCommand', () => {
  it('accepts a signed, fresh, enforcing command of a handled type', () => {
    expect(checkCommand(command(), ctx())).toEqual({ ok: true });
    expect(checkCommand(command({ mode: 'canary' }), ctx())).toEqual({ ok: true });
  });

  it('rejects unsigned, tampered and unknown-key commands as not authentic', () => {
    const unsigned = notOk(command({}, null), ctx());
    expect(unsigned).toMatchObject({ status: 'rejected', authentic: false });
    expect(unsigned.detail).toMatch(/^signature: unsigned/);

    const tampered = { ...command(), target: 'worker-2' };
    expect(notOk(tampered, ctx())).toMatchObject({
      status: 'rejected',
      authentic: false,
      detail: expect.stringMatching(/bad-signature/) as string,
    });

    const raisedTimeout = command();
    raisedTimeout.params = { ...raisedTimeout.params, timeoutMs: 1 };
    expect(notOk(raisedTimeout, ctx()).detail).toMatch(/bad-signature/);

    const otherKey = command({}, { keyId: 'k9', privateKey: KEY.privateKey });
    expect(notOk(otherKey, ctx()).detail).toMatch(/unknown-key.*"k9"/);
  });

  it('checks the signature before the seen-set: a forged copy of a handled id is not a duplicate', () => {
    const genuine = command();
    const forged = { ...genuine, params: { ...genuine.params, timeoutMs: 5 } };
    const seen = { [genuine.id]: { state: 'done' as const, expiresAt: genuine.expiresAt } };
    expect(notOk(forged, ctx({}, seen))).toMatchObject({ status: 'rejected', authentic: false });
    expect(notOk(genuine, ctx({}, seen))).toMatchObject({ status: 'duplicate', authentic: true });
  });

  it('reports an id whose intent has no outcome as interrupted, never as applicable', () => {
    const c = command();
    const v = notOk(c, ctx({}, { [c.id]: { state: 'applying', expiresAt: c.expiresAt } }));
    expect(v).toEqual({ ok: false, status: 'failed', detail: INTERRUPTED_DETAIL, authentic: true });
  });

  it('expires a command at its expiry exactly, and not a millisecond before', () => {
    const c = command();
    expect(notOk(c, ctx({ now: c.expiresAt }))).toMatchObject({ status: 'expired', authentic: true });
    expect(checkCommand(c, ctx({ now: c.expiresAt - 1 }))).toEqual({ ok: true });
  });

  it('rejects a command issued further in the future than the allowed clock skew', () => {
    const c = command({ issuedAt: T0 + 10_000 });
    expect(checkCommand(c, ctx({ now: T0 + 5_000 }))).toEqual({ ok: true });
    expect(notOk(c, ctx({ now: T0 + 4_999 })).detail).toMatch(/in the future.*max clock skew 5000/);
  });

  it('honours a target allow-list given as a list or a predicate', () => {
    const c = command({ target: 'worker-7' });
    expect(notOk(c, ctx({ targets: ['worker-1'] })).detail).toMatch(/"worker-7" is not in the executor's allow-list/);
    expect(checkCommand(c, ctx({ targets: ['worker-1', 'worker-7'] }))).toEqual({ ok: true });
    expect(checkCommand(c, ctx({ targets: (t) => t.startsWith('worker-') }))).toEqual({ ok: true });
    expect(notOk(c, ctx({ targets: (t) => t === 'db' })).status).toBe('rejected');
  });

  it('rejects types the executor does not handle', () => {
    expect(notOk(command({ type: 'quota.set', params: { quotaBytesPerSec: 1e6 } }), ctx()).detail).toMatch(
      /not handled/,
    );
  });

  it('reports a valid shadow command as shadowed, but a shadow command out of bounds as rejected', () => {
    expect(notOk(command({ mode: 'shadow' }), ctx())).toMatchObject({ status: 'shadowed', authentic: true });
    const bounds = { timeoutMs: [1_000, 30_000] as const };
    expect(notOk(command({ mode: 'shadow' }), ctx({ bounds }))).toMatchObject({ status: 'rejected' });
  });

  it('runs the executor-specific validation last', () => {
    const validate = (c: Command): string | undefined =>
      c.params.timeoutMs === null ? 'timeoutMs is required' : undefined;
    expect(checkCommand(command(), ctx({ validate }))).toEqual({ ok: true });
    expect(notOk(command({ params: { extra: {} } }), ctx({ validate })).detail).toBe('timeoutMs is required');
  });
});

describe('bounds', () => {
  it('are inclusive, ignore unset parameters and never apply to reverts', () => {
    const bounds = { timeoutMs: [100, 30_000] as const, quotaBytesPerSec: [1, 2] as const };
    expect(boundsViolation(command({ params: { timeoutMs: 100 } }), bounds)).toBeUndefined();
    expect(boundsViolation(command({ params: { timeoutMs: 30_000 } }), bounds)).toBeUndefined();
    expect(boundsViolation(command({ params: { timeoutMs: 99 } }), bounds)).toBe(
      "timeoutMs 99 is outside the executor's bounds [100, 30000]",
    );
    expect(boundsViolation(command({ type: 'query_timeout.revert' }), { timeoutMs: [1, 1] })).toBeUndefined();
  });

  it('reject exactly the values outside [min, max]', () => {
    const base = command();
    fc.assert(
      fc.property(
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.integer({ min: 0, max: 1e6 }),
        (value, min, width) => {
          const cmd = { ...base, params: { ...base.params, timeoutMs: value } };
          const violation = boundsViolation(cmd, { timeoutMs: [min, min + width] });
          expect(violation !== undefined).toBe(value < min || value > min + width);
        },
      ),
    );
  });
});
