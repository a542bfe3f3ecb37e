import { buildCommand, type CommandSpec } from '../../../src/actions/build';
import {
  applyCommand,
  dueForRenewal,
  lapsedLeases,
  leaseKey,
  leasesOf,
  removeLeases,
} from '../../../src/actions/leases';
import { completeParams } from '../../../src/actions/params';

const W = 10_000;
const cmd = (o: Partial<CommandSpec>) =>
  buildCommand(
    {
      policy: 'q',
      policyVersion: 'v',
      target: 'a',
      type: 'quota.set',
      params: completeParams({ quotaBytesPerSec: 100 }),
      mode: 'enforce',
      reason: 'r',
      evidence: [],
      windowStart: 0,
      windowEnd: W,
      issuedAt: W,
      leaseMs: 3 * W,
      ...o,
    },
    null,
  );

describe('lease table', () => {
  it('a set opens a lease; a renewal extends it without moving changedAt/setAt; a relax moves changedAt only', () => {
    let t = applyCommand({}, cmd({}), 'set');
    const k = leaseKey('q', 'a', 'quota');
    expect(t[k]).toMatchObject({ expiresAt: 4 * W, changedAt: W, setAt: W, family: 'quota' });
    t = applyCommand(t, cmd({ windowStart: 2 * W, windowEnd: 3 * W, issuedAt: 3 * W }), 'renew');
    expect(t[k]).toMatchObject({ expiresAt: 6 * W, changedAt: W, setAt: W, issuedAt: 3 * W });
    t = applyCommand(t, cmd({ params: completeParams({ quotaBytesPerSec: 150 }), issuedAt: 5 * W }), 'relax');
    expect(t[k]).toMatchObject({ changedAt: 5 * W, setAt: W, expiresAt: 8 * W });
    expect(t[k].params.quotaBytesPerSec).toBe(150);
  });

  it('a revert closes the lease; reverting nothing changes nothing', () => {
    const t = applyCommand({}, cmd({}), 'set');
    const r = applyCommand(t, cmd({ type: 'quota.revert', issuedAt: 2 * W }), 'revert');
    expect(r).toEqual({});
    const none = {};
    expect(applyCommand(none, cmd({ type: 'quota.revert' }), 'revert')).toBe(none);
  });

  it('finds lapsed leases and leases due for renewal in event time', () => {
    let t = applyCommand({}, cmd({}), 'set'); // expires 4W
    t = applyCommand(t, cmd({ target: 'b', issuedAt: 2 * W }), 'set'); // expires 5W
    expect(lapsedLeases(t, 4 * W - 1)).toEqual([]);
    expect(lapsedLeases(t, 4 * W).map((l) => l.target)).toEqual(['a']);
    expect(removeLeases(t, lapsedLeases(t, 5 * W))).toEqual({});
    const a = t[leaseKey('q', 'a', 'quota')];
    expect(dueForRenewal(a, 2 * W, W)).toBe(false);
    expect(dueForRenewal(a, 3 * W, W)).toBe(true);
    expect(leasesOf(t, 'q').map((l) => l.target)).toEqual(['a', 'b']);
    expect(leasesOf(t, 'other')).toEqual([]);
  });
});
