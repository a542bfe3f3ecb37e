/**
 * Low finding: executor state entries were not re-verified on restart. Whoever could write
 * an executor's state topic could plant a lease whose `previous` settings the executor
 * would "restore" on revert (kafka-quota now restores the quota that was there before).
 * Read back, every command is verified again: an unverifiable lease is kept only to be
 * reverted, as uncertain and without its unsigned previous settings.
 */
import { createExecutorCore } from '../../src/executor/core';
import { leaseFor } from '../../src/executor/lease-table';
import { createMemoryLedger } from '../../src/executor/memory-ledger';
import type { StateEntry } from '../../src/executor/types';
import { testSigningKey } from '../helpers/keys';
import { KEY, KEYRING, T0, command } from '../unit/executor/fixtures';

test('a planted lease is kept only to be reverted, without its previous settings; a genuine one keeps them', () => {
  const genuine = command({ type: 'quota.set', target: 'tenant-a', params: { quotaBytesPerSec: 5_000 } }, KEY);
  const planted = command(
    { type: 'quota.set', target: 'tenant-b', params: { quotaBytesPerSec: 5_000 } },
    testSigningKey(KEY.keyId, 99),
  );
  const entries: StateEntry[] = [
    {
      kind: 'lease',
      target: 'tenant-a',
      family: 'quota',
      lease: { ...leaseFor(genuine, false), previous: { producer_byte_rate: '7000000' } },
    },
    {
      kind: 'lease',
      target: 'tenant-b',
      family: 'quota',
      lease: { ...leaseFor(planted, false), previous: { producer_byte_rate: '1' } },
    },
  ];
  const core = createExecutorCore({
    name: 'quota',
    types: ['quota.set', 'quota.revert'],
    keyring: KEYRING,
    maxClockSkewMs: 5_000,
    apply: () => Promise.resolve({}),
    revert: () => Promise.resolve({}),
    ledger: createMemoryLedger(),
    clock: { now: () => T0 },
  });
  core.restore(entries);
  const byTarget = Object.fromEntries(
    core.leases().map((l) => [l.target, { uncertain: l.uncertain, previous: l.previous }]),
  );
  expect(byTarget).toEqual({
    'tenant-a': { uncertain: false, previous: { producer_byte_rate: '7000000' } },
    'tenant-b': { uncertain: true, previous: undefined },
  });
});
