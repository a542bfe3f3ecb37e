import { buildCommand } from '../../../src/actions/build';
import { completeParams, emptyParams } from '../../../src/actions/params';
import type { Command, CommandFamily, CommandParams, CommandType, Mode } from '../../../src/model/command';
import { createExecutorModel, isTighter, type Actuator } from '../../../src/sim/executor';

const T = 1_000_000;

function cmd(
  type: CommandType,
  params: CommandParams,
  opts: { mode?: Mode; issuedAt?: number; leaseMs?: number; window?: number } = {},
): Command {
  const issuedAt = opts.issuedAt ?? T;
  return buildCommand(
    {
      policy: 'p',
      policyVersion: 'v1',
      target: 'w1',
      type,
      params,
      mode: opts.mode ?? 'enforce',
      reason: 'test',
      evidence: [],
      windowStart: (opts.window ?? issuedAt) - 1000,
      windowEnd: opts.window ?? issuedAt,
      issuedAt,
      leaseMs: opts.leaseMs ?? 10_000,
    },
    null,
  );
}

function recorder(): { actuator: Actuator; log: string[] } {
  const log: string[] = [];
  return {
    log,
    actuator: {
      apply: (target: string, family: CommandFamily, params: CommandParams, expiresAt: number, now: number) =>
        log.push(`apply ${target} ${family} ${params.timeoutMs} until ${expiresAt - T} at ${now - T}`),
      revert: (target: string, family: CommandFamily, now: number) =>
        log.push(`revert ${target} ${family} at ${now - T}`),
    },
  };
}

const timeout = (ms: number) => completeParams({ timeoutMs: ms });

describe('executor model', () => {
  it('applies enforced sets, classifies renewals and changes, and reverts on a revert command', () => {
    const { actuator, log } = recorder();
    const ex = createExecutorModel(actuator);
    expect(ex.handle(cmd('query_timeout.set', timeout(4000)), T).kind).toBe('set');
    expect(
      ex.handle(cmd('query_timeout.set', timeout(4000), { issuedAt: T + 2000, window: T + 2000 }), T + 2000).kind,
    ).toBe('renew');
    expect(
      ex.handle(cmd('query_timeout.set', timeout(1600), { issuedAt: T + 4000, window: T + 4000 }), T + 4000).kind,
    ).toBe('tighten');
    expect(
      ex.handle(cmd('query_timeout.set', timeout(2100), { issuedAt: T + 6000, window: T + 6000 }), T + 6000).kind,
    ).toBe('relax');
    expect(ex.inForce('w1', 'query_timeout')?.timeoutMs).toBe(2100);
    expect(
      ex.handle(cmd('query_timeout.revert', emptyParams(), { issuedAt: T + 8000, window: T + 8000 }), T + 8000).kind,
    ).toBe('revert');
    expect(ex.inForce('w1', 'query_timeout')).toBeNull();
    expect(log).toEqual([
      'apply w1 query_timeout 4000 until 10000 at 0',
      'apply w1 query_timeout 4000 until 12000 at 2000',
      'apply w1 query_timeout 1600 until 14000 at 4000',
      'apply w1 query_timeout 2100 until 16000 at 6000',
      'revert w1 query_timeout at 8000',
    ]);
  });

  it('reverts by itself when a lease lapses without renewal (fail safe)', () => {
    const { actuator, log } = recorder();
    const ex = createExecutorModel(actuator);
    ex.handle(cmd('query_timeout.set', timeout(4000), { leaseMs: 10_000 }), T);
    ex.tick(T + 9_999);
    expect(ex.inForce('w1', 'query_timeout')).not.toBeNull();
    ex.tick(T + 11_000);
    expect(ex.inForce('w1', 'query_timeout')).toBeNull();
    expect(log[1]).toBe('revert w1 query_timeout at 10000'); // at the expiry, not at the tick
    expect(ex.events().map((e) => e.kind)).toEqual(['set', 'lapse']);
  });

  it('never applies shadow commands, but says what they would have done', () => {
    const { actuator, log } = recorder();
    const ex = createExecutorModel(actuator);
    const a = ex.handle(cmd('query_timeout.set', timeout(4000), { mode: 'shadow' }), T);
    const b = ex.handle(
      cmd('query_timeout.set', timeout(4000), { mode: 'shadow', issuedAt: T + 2000, window: T + 2000 }),
      T + 2000,
    );
    expect([a.kind, a.would, b.kind, b.would]).toEqual(['shadow', 'set', 'shadow', 'renew']);
    expect(log).toEqual([]);
    expect(ex.inForce('w1', 'query_timeout')).toBeNull();
  });

  it('ignores a command that arrives after its own expiry, and a duplicate id', () => {
    const { actuator, log } = recorder();
    const ex = createExecutorModel(actuator);
    expect(ex.handle(cmd('query_timeout.set', timeout(4000), { leaseMs: 1000 }), T + 5000).kind).toBe('expired');
    const c = cmd('query_timeout.set', timeout(3000), { issuedAt: T + 6000, window: T + 6000 });
    expect(ex.handle(c, T + 6000).kind).toBe('set');
    expect(ex.handle(c, T + 6500).kind).toBe('duplicate');
    expect(log).toHaveLength(1);
  });

  it('orders interventions by family: shorter timeout, smaller quota, higher herd level are tighter', () => {
    expect(isTighter('query_timeout', timeout(2000), timeout(1000))).toBe(true);
    expect(
      isTighter('quota', completeParams({ quotaBytesPerSec: 5e6 }), completeParams({ quotaBytesPerSec: 4e6 })),
    ).toBe(true);
    expect(
      isTighter('retry_policy', completeParams({ extra: { level: '0' } }), completeParams({ extra: { level: '1' } })),
    ).toBe(true);
    expect(
      isTighter('retry_policy', completeParams({ extra: { level: '2' } }), completeParams({ extra: { level: '1' } })),
    ).toBe(false);
  });
});
