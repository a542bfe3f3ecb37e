/**
 * The executor's lease table: per (target, family), the setting it applied and when that
 * lapses. Pure functions over a plain record (no clock: `now` is passed in), so that the
 * lapse logic is tested with a fake clock and the table rebuilds from the state topic.
 *
 * Unlike the processor's table (src/actions/leases.ts, keyed by policy), an executor
 * keys by what it physically changes: two policies setting the same target's timeout
 * share one setting, and the latest command wins.
 */
import { familyOf } from '../actions';
import type { Command, CommandFamily } from '../model/command';
import type { ExecutorLease } from './types';

export type ExecutorLeaseTable = Readonly<Record<string, ExecutorLease>>;

export function executorLeaseKey(target: string, family: CommandFamily): string {
  return `${target}\u001f${family}`;
}

export function leaseFor(cmd: Command, uncertain: boolean): ExecutorLease {
  return { target: cmd.target, family: familyOf(cmd.type), command: cmd, expiresAt: cmd.expiresAt, uncertain };
}

/** Set or renew: the lease for the lease's (target, family) is replaced. */
export function putLease(table: ExecutorLeaseTable, lease: ExecutorLease): ExecutorLeaseTable {
  return { ...table, [executorLeaseKey(lease.target, lease.family)]: lease };
}

export function dropLease(table: ExecutorLeaseTable, target: string, family: CommandFamily): ExecutorLeaseTable {
  const key = executorLeaseKey(target, family);
  if (!(key in table)) return table;
  const { [key]: _dropped, ...rest } = table;
  return rest;
}

export function getLease(table: ExecutorLeaseTable, target: string, family: CommandFamily): ExecutorLease | undefined {
  return table[executorLeaseKey(target, family)];
}

/** Leases whose expiry is at or before `now`, earliest first (ties by key, for a stable order). */
export function lapsedLeases(table: ExecutorLeaseTable, now: number): ExecutorLease[] {
  return Object.keys(table)
    .map((k) => [k, table[k]] as const)
    .filter(([, l]) => l.expiresAt <= now)
    .sort(([ka, a], [kb, b]) => a.expiresAt - b.expiresAt || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, l]) => l);
}
