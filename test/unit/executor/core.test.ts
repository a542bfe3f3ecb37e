import { INTERRUPTED_DETAIL } from '../../../src/executor/check';
import { createExecutorCore, type ExecutorCore } from '../../../src/executor/core';
import { createMemoryLedger, type MemoryLedger } from '../../../src/executor/memory-ledger';
import type { ApplyFn, ExecutorCoreOptions, RevertFn, RevertRequest } from '../../../src/executor/types';
import type { Command } from '../../../src/model/command';
import { createMetrics } from '../../../src/ops/metrics';
import { KEYRING, T0, command, fakeClock, type FakeClock } from './fixtures';

interface Harness {
  core: ExecutorCore;
  ledger: MemoryLedger;
  clock: FakeClock;
  applied: Command[];
  reverted: RevertRequest[];
}

let offset = 0;
const at = () => ({ topic: 'actions', partition: 0, offset: String(++offset) });

async function harness(
  overrides: Partial<ExecutorCoreOptions> = {},
  shared?: { ledger: MemoryLedger; clock: FakeClock },
): Promise<Harness> {
  const ledger = shared?.ledger ?? createMemoryLedger();
  const clock = shared?.clock ?? fakeClock(T0 + 1_000);
  const applied: Command[] = [];
  const reverted: RevertRequest[] = [];
  const apply: ApplyFn = (cmd) => {
    applied.push(cmd);
    return Promise.resolve({ previous: { timeoutMs: '30000' } });
  };
  const revert: RevertFn = (req) => {
    reverted.push(req);
    return Promise.resolve();
  };
  const core = createExecutorCore({
    name: 'qt',
    types: ['query_timeout.set', 'query_timeout.revert'],
    keyring: KEYRING,
    maxClockSkewMs: 5_000,
    apply,
    revert,
    ledger,
    clock,
    ...overrides,
  });
  core.restore(await ledger.open());
  return { core, ledger, clock, applied, reverted };
}

describe('executor core', () => {
  it('applies a valid command once, records intent, outcome and lease, and commits the offset with the result', async () => {
    const h = await harness();
    const cmd = command();
    const r = await h.core.handle({ key: cmd.target, command: cmd }, { topic: 'actions', partition: 2, offset: '8' });
    expect(h.applied).toEqual([cmd]);
    expect(r).toMatchObject({
      commandId: cmd.id,
      executor: 'qt',
      status: 'applied',
      mode: 'enforce',
      leaseExpiresAt: cmd.expiresAt,
      previous: { timeoutMs: '30000' },
    });
    expect(h.ledger.entries.map((e) => (e.kind === 'command' ? e.state : 'lease'))).toEqual([
      'applying',
      'done',
      'lease',
    ]);
    expect(h.ledger.offsets.get('actions:2')).toBe('8');
    expect(h.core.leases()).toHaveLength(1);
  });

  it('never applies forged, expired, shadow or duplicate commands, and reports each', async () => {
    const h = await harness();
    const valid = command();
    const forged = { ...command(), params: { ...valid.params, timeoutMs: 1 } };
    const expired = command({ issuedAt: T0 - 60_000 });
    const shadow = command({ mode: 'shadow' });
    for (const c of [valid, forged, expired, shadow, valid]) await h.core.handle({ key: c.target, command: c }, at());
    expect(h.applied).toEqual([valid]);
    expect(h.ledger.results.map((r) => r.status)).toEqual(['applied', 'rejected', 'expired', 'shadowed', 'duplicate']);
    expect(h.core.counts()).toMatchObject({ applied: 1, rejected: 1, expired: 1, shadowed: 1, duplicate: 1 });
    // The forged command never reaches the seen-set: its (copied) id cannot be poisoned.
    expect(
      h.ledger.entries.filter((e) => e.kind === 'command' && e.commandId === forged.id && e.status === 'rejected'),
    ).toHaveLength(0);
  });

  it("reports a record that is not a command as rejected, and skips other executors' types without writing", async () => {
    const h = await harness();
    const r = await h.core.handle({ key: 'w9', command: null, error: 'INVALID_JSON: nope' }, at());
    expect(r).toMatchObject({ status: 'rejected', target: 'w9', commandId: '', mode: null });
    const before = h.ledger.results.length;
    const skipped = await h.core.handle(
      { key: 't', command: command({ type: 'quota.set', params: { quotaBytesPerSec: 1 } }) },
      { topic: 'actions', partition: 1, offset: '41' },
    );
    expect(skipped).toBeNull();
    expect(h.ledger.results).toHaveLength(before);
    expect(h.ledger.offsets.get('actions:1')).toBeUndefined();
    // The skipped record's offset rides along with the next commit.
    await h.core.handle({ key: 'w1', command: command() }, { topic: 'actions', partition: 0, offset: '99' });
    expect(h.ledger.offsets.get('actions:1')).toBe('41');
  });

  it('de-duplicates across a restart: a new core over the same ledger reports the copy, applies nothing', async () => {
    const first = await harness();
    const cmd = command();
    await first.core.handle({ key: cmd.target, command: cmd }, at());
    const second = await harness({}, first);
    await second.core.handle({ key: cmd.target, command: cmd }, at());
    expect(first.applied).toHaveLength(1);
    expect(second.applied).toHaveLength(0);
    expect(first.ledger.results.map((r) => r.status)).toEqual(['applied', 'duplicate']);
  });

  it('applies at most once when killed mid-apply: the restarted core reports the command as interrupted', async () => {
    let release: () => void = () => undefined;
    const hung: ApplyFn = (_cmd, ctx) =>
      new Promise((resolve, reject) => {
        release = () => resolve();
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    const first = await harness({ apply: hung, applyTimeoutMs: 60_000 });
    const cmd = command({ leaseMs: 20_000 });
    const pending = first.core.handle({ key: cmd.target, command: cmd }, at());
    await new Promise((r) => setImmediate(r));
    first.core.kill();
    release();
    await expect(pending).rejects.toThrow(/killed/);
    expect(first.ledger.results).toHaveLength(0);

    const second = await harness({}, first);
    expect(second.core.leases()).toMatchObject([{ target: cmd.target, uncertain: true }]);
    const r = await second.core.handle({ key: cmd.target, command: cmd }, at());
    expect(r).toMatchObject({ status: 'failed', detail: INTERRUPTED_DETAIL });
    expect(second.applied).toHaveLength(0);
    // What the interrupted apply may have set is still reverted when its lease lapses.
    second.clock.set(cmd.expiresAt);
    expect((await second.core.checkLeases()).map((x) => x.status)).toEqual(['reverted']);
    expect(second.reverted).toMatchObject([{ cause: 'lease-lapsed', target: cmd.target }]);
  });

  it('reverts a lease that lapses without renewal, and not one that was renewed', async () => {
    const h = await harness();
    const a = command({ target: 'w1', leaseMs: 10_000 });
    const b = command({ target: 'w2', leaseMs: 10_000 });
    await h.core.handle({ key: a.target, command: a }, at());
    await h.core.handle({ key: b.target, command: b }, at());
    h.clock.set(a.expiresAt - 1);
    expect(await h.core.checkLeases()).toEqual([]);
    const renewal = command({ target: 'w2', leaseMs: 20_000 });
    await h.core.handle({ key: renewal.target, command: renewal }, at());
    h.clock.set(a.expiresAt);
    const lapsed = await h.core.checkLeases();
    expect(lapsed).toMatchObject([
      { commandId: a.id, target: 'w1', status: 'reverted', detail: 'lease lapsed', leaseExpiresAt: null },
    ]);
    expect(h.reverted).toMatchObject([{ target: 'w1', family: 'query_timeout', cause: 'lease-lapsed', command: a }]);
    expect(h.core.leases().map((l) => l.target)).toEqual(['w2']);
    expect(h.ledger.entries.at(-1)).toEqual({ kind: 'lease', target: 'w1', family: 'query_timeout', lease: null });
    h.clock.set(renewal.expiresAt);
    expect((await h.core.checkLeases()).map((r) => r.target)).toEqual(['w2']);
    expect(await h.core.checkLeases()).toEqual([]);
  });

  it('handles a .revert command by reverting and closing the lease', async () => {
    const h = await harness();
    const set = command();
    await h.core.handle({ key: set.target, command: set }, at());
    const revert = command({ type: 'query_timeout.revert' });
    const r = await h.core.handle({ key: revert.target, command: revert }, at());
    expect(r).toMatchObject({ status: 'reverted', leaseExpiresAt: null });
    expect(h.reverted).toMatchObject([{ cause: 'command', command: revert, lease: { command: set } }]);
    expect(h.core.leases()).toEqual([]);
  });

  it('reports apply errors and timeouts as failed, and keeps an uncertain lease so they are reverted', async () => {
    const failing = await harness({ apply: () => Promise.reject(new Error('HTTP 500 from worker-1')) });
    const c = command();
    expect(await failing.core.handle({ key: c.target, command: c }, at())).toMatchObject({
      status: 'failed',
      detail: 'HTTP 500 from worker-1',
    });
    expect(failing.core.leases()).toMatchObject([{ uncertain: true }]);

    const slow = await harness({ apply: () => new Promise(() => undefined), applyTimeoutMs: 20 });
    const d = command();
    expect(await slow.core.handle({ key: d.target, command: d }, at())).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/timed out after 20 ms/) as string,
    });
  });

  it('retries a failed lapse revert with backoff, counting attempts', async () => {
    let calls = 0;
    const h = await harness({
      revert: () => (++calls < 3 ? Promise.reject(new Error('unreachable')) : Promise.resolve()),
      revertRetryMs: 1_000,
    });
    const c = command({ leaseMs: 5_000 });
    await h.core.handle({ key: c.target, command: c }, at());
    h.clock.set(c.expiresAt);
    expect(await h.core.checkLeases()).toMatchObject([{ status: 'failed', attempt: 1 }]);
    h.clock.advance(500);
    expect(await h.core.checkLeases()).toEqual([]); // backing off
    h.clock.advance(500);
    expect(await h.core.checkLeases()).toMatchObject([{ status: 'failed', attempt: 2 }]);
    h.clock.advance(1_999);
    expect(await h.core.checkLeases()).toEqual([]);
    h.clock.advance(1);
    expect(await h.core.checkLeases()).toMatchObject([{ status: 'reverted', attempt: 3 }]);
    expect(calls).toBe(3);
  });

  it('re-commits, and does not re-apply, a command whose result could not be written', async () => {
    const h = await harness();
    const c = command();
    h.ledger.failNext();
    await expect(h.core.handle({ key: c.target, command: c }, at())).rejects.toThrow(/commit failed/);
    expect(h.ledger.results).toHaveLength(0);
    const r = await h.core.handle({ key: c.target, command: c }, at());
    expect(r?.status).toBe('applied');
    expect(h.applied).toHaveLength(1);
    expect(h.ledger.results.map((x) => x.status)).toEqual(['applied']);
  });

  it('counts results and apply durations in the Prometheus metrics', async () => {
    const metrics = createMetrics();
    const h = await harness({ metrics });
    await h.core.handle({ key: 'w1', command: command() }, at());
    await h.core.handle({ key: 'w1', command: command({ mode: 'shadow' }) }, at());
    const text = await metrics.render();
    expect(text).toMatch(/homeostat_executor_results_total\{executor="qt",status="applied"\} 1/);
    expect(text).toMatch(/homeostat_executor_results_total\{executor="qt",status="shadowed"\} 1/);
    expect(text).toMatch(/homeostat_executor_apply_seconds_count 1/);
  });
});

describe('executor core, commit failures and forgeries', () => {
  it('does not let a forged copy of a command with a pending outcome re-send that outcome', async () => {
    const h = await harness();
    const c = command();
    h.ledger.failNext();
    await expect(h.core.handle({ key: c.target, command: c }, at())).rejects.toThrow(/commit failed/);
    const forged = { ...c, params: { ...c.params, timeoutMs: 5 } };
    expect(await h.core.handle({ key: c.target, command: forged }, at())).toMatchObject({ status: 'rejected' });
    expect(h.ledger.results.map((r) => r.status)).toEqual(['rejected']);
    expect(await h.core.handle({ key: c.target, command: c }, at())).toMatchObject({ status: 'applied' });
    expect(h.applied).toHaveLength(1);
  });
});
