import fc from 'fast-check';
import { createSeenSet } from '../../../src/executor/dedup';
import { parseStateMessage, stateMessage } from '../../../src/executor/kafka-ledger';
import {
  dropLease,
  getLease,
  lapsedLeases,
  leaseFor,
  putLease,
  type ExecutorLeaseTable,
} from '../../../src/executor/lease-table';
import { restoreState } from '../../../src/executor/restore';
import type { StateEntry } from '../../../src/executor/types';
import { T0, command } from './fixtures';

describe('seen-set', () => {
  it('remembers ids, never lets a stale intent overwrite an outcome, and forgets after the grace period', () => {
    const s = createSeenSet(1_000);
    s.mark('a', { state: 'applying', expiresAt: T0 });
    s.mark('a', { state: 'done', expiresAt: T0 });
    s.mark('a', { state: 'applying', expiresAt: T0 });
    expect(s.get('a')).toEqual({ state: 'done', expiresAt: T0 });
    s.mark('b', { state: 'done', expiresAt: T0 + 5_000 });
    expect(s.prune(T0 + 1_000)).toBe(0);
    expect(s.prune(T0 + 1_001)).toBe(1);
    expect(s.get('a')).toBeUndefined();
    expect(s.get('b')).toBeDefined();
    expect(s.size()).toBe(1);
  });
});

describe('executor lease table', () => {
  it('renews by replacing the lease of the same target and family, and drops on revert', () => {
    const a = command({ target: 'w1', leaseMs: 10_000 });
    const renewal = command({ target: 'w1', leaseMs: 40_000 });
    let t: ExecutorLeaseTable = putLease({}, leaseFor(a, false));
    t = putLease(t, leaseFor(command({ target: 'w2' }), false));
    t = putLease(t, leaseFor(renewal, false));
    expect(Object.keys(t)).toHaveLength(2);
    expect(getLease(t, 'w1', 'query_timeout')?.command.id).toBe(renewal.id);
    expect(lapsedLeases(t, a.expiresAt)).toEqual([]);
    expect(dropLease(t, 'w1', 'query_timeout')).not.toHaveProperty(`w1\u001fquery_timeout`);
    expect(dropLease(t, 'nope', 'quota')).toBe(t);
  });

  it('lists exactly the lapsed leases, earliest first', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 20 }),
        fc.integer({ min: 0, max: 100 }),
        (expiries, now) => {
          let t: ExecutorLeaseTable = {};
          expiries.forEach((e, i) => {
            t = putLease(t, { ...leaseFor(command({ target: `w${i}` }), false), expiresAt: e });
          });
          const lapsed = lapsedLeases(t, now);
          expect(lapsed.map((l) => l.target).sort()).toEqual(
            expiries.flatMap((e, i) => (e <= now ? [`w${i}`] : [])).sort(),
          );
          for (let i = 1; i < lapsed.length; i++)
            expect(lapsed[i - 1].expiresAt).toBeLessThanOrEqual(lapsed[i].expiresAt);
        },
      ),
    );
  });
});

describe('restoring state', () => {
  const set = command({ target: 'w1' });
  const interrupted = command({ target: 'w2' });

  it('rebuilds the seen-set and leases, and turns an intent without outcome into an uncertain lease', () => {
    const entries: StateEntry[] = [
      { kind: 'command', commandId: set.id, state: 'applying', status: null, expiresAt: set.expiresAt, command: set },
      { kind: 'command', commandId: set.id, state: 'done', status: 'applied', expiresAt: set.expiresAt, command: null },
      { kind: 'lease', target: 'w1', family: 'query_timeout', lease: leaseFor(set, false) },
      {
        kind: 'command',
        commandId: interrupted.id,
        state: 'applying',
        status: null,
        expiresAt: interrupted.expiresAt,
        command: interrupted,
      },
    ];
    const r = restoreState(entries);
    expect(r.seen.get(set.id)?.state).toBe('done');
    expect(r.seen.get(interrupted.id)?.state).toBe('applying');
    expect(r.interrupted).toEqual([interrupted.id]);
    expect(getLease(r.leases, 'w1', 'query_timeout')).toMatchObject({ uncertain: false, expiresAt: set.expiresAt });
    expect(getLease(r.leases, 'w2', 'query_timeout')).toMatchObject({ uncertain: true, command: interrupted });
  });

  it('drops a lease at its tombstone and never re-creates one for an interrupted revert', () => {
    const revert = command({ target: 'w1', type: 'query_timeout.revert' });
    const r = restoreState([
      { kind: 'lease', target: 'w1', family: 'query_timeout', lease: leaseFor(set, false) },
      {
        kind: 'command',
        commandId: revert.id,
        state: 'applying',
        status: null,
        expiresAt: revert.expiresAt,
        command: revert,
      },
    ]);
    // The revert may not have happened: the old lease stays, and is reverted again when it lapses.
    expect(getLease(r.leases, 'w1', 'query_timeout')?.command.id).toBe(set.id);
    const gone = restoreState([
      { kind: 'lease', target: 'w1', family: 'query_timeout', lease: leaseFor(set, false) },
      { kind: 'lease', target: 'w1', family: 'query_timeout', lease: null },
    ]);
    expect(gone.leases).toEqual({});
  });

  it('round-trips every entry through the state topic encoding (a lease removal is a tombstone)', () => {
    const entries: StateEntry[] = [
      { kind: 'command', commandId: set.id, state: 'applying', status: null, expiresAt: set.expiresAt, command: set },
      { kind: 'command', commandId: set.id, state: 'done', status: 'failed', expiresAt: set.expiresAt, command: null },
      { kind: 'lease', target: 'w1', family: 'query_timeout', lease: leaseFor(set, true) },
      { kind: 'lease', target: 'w1', family: 'query_timeout', lease: null },
    ];
    for (const e of entries) {
      const m = stateMessage(e);
      expect(parseStateMessage(String(m.key), (m.value as Buffer | null) ?? null)).toEqual(e);
    }
    expect(stateMessage(entries[3]).value).toBeNull();
    expect(parseStateMessage('cmd:x', Buffer.from('not json'))).toBeNull();
    expect(parseStateMessage('lease:w1\u001fnot-a-family', null)).toBeNull();
  });
});
