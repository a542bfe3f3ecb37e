/**
 * Leases: every enforcing command expires unless renewed, so that a dead or killed
 * processor fails safe — the executor reverts on its own when `expiresAt` passes
 * (Gray & Cheriton, "Leases", SOSP 1989, https://doi.org/10.1145/74851.74870).
 *
 * The engine keeps the table of leases in force (including shadow ones, which are the
 * virtual state of a shadow policy) so that policies can see what they have applied, the
 * lease cap and blast radius can count, and renewals are issued in time. Pure functions
 * over a plain record, so the table serialises with the rest of the engine state.
 */
import type { Command, CommandFamily, CommandParams, CommandType, Evidence, Mode } from '../model/command';
import { familyOf } from './params';

export interface Lease {
  policy: string;
  target: string;
  family: CommandFamily;
  /** The `.set` type in force. */
  type: CommandType;
  params: CommandParams;
  /** Mode of the last command: `shadow` leases are virtual (nothing was enforced). */
  mode: Mode;
  reason: string;
  evidence: Evidence[];
  /** The last command issued for this lease (set, relax or renewal). */
  commandId: string;
  windowStart: number;
  windowEnd: number;
  issuedAt: number;
  expiresAt: number;
  /** Event time the parameters last changed (a set or a relax; renewals do not count). */
  changedAt: number;
  /** Event time of the last tightening `set` (not a relax), for minimum hold times. */
  setAt: number;
}

export type LeaseTable = Readonly<Record<string, Lease>>;

/** How a command changes the lease table. */
export type LeaseAction = 'set' | 'relax' | 'renew' | 'revert';

export function leaseKey(policy: string, target: string, family: CommandFamily): string {
  // Unit separator: cannot appear in a sane policy name, and keeps keys readable in dumps.
  return `${policy}\u001f${target}\u001f${family}`;
}

/** The lease after `cmd` was issued on top of `prev` (null: a revert closed it). */
export function leaseAfter(prev: Lease | undefined, cmd: Command, action: LeaseAction): Lease | null {
  if (action === 'revert') return null;
  const changed = action !== 'renew' || prev === undefined;
  return {
    policy: cmd.policy,
    target: cmd.target,
    family: familyOf(cmd.type),
    type: cmd.type,
    params: cmd.params,
    mode: cmd.mode,
    reason: cmd.reason,
    evidence: cmd.evidence,
    commandId: cmd.id,
    windowStart: cmd.windowStart,
    windowEnd: cmd.windowEnd,
    issuedAt: cmd.issuedAt,
    expiresAt: cmd.expiresAt,
    changedAt: changed ? cmd.issuedAt : prev.changedAt,
    setAt: action === 'set' || prev === undefined ? cmd.issuedAt : prev.setAt,
  };
}

/** The table after `cmd` was issued (in any mode): set/relax/renew upsert, revert removes. */
export function applyCommand(table: LeaseTable, cmd: Command, action: LeaseAction): LeaseTable {
  const key = leaseKey(cmd.policy, cmd.target, familyOf(cmd.type));
  const lease = leaseAfter(table[key], cmd, action);
  if (lease === null) {
    if (!(key in table)) return table;
    const { [key]: _removed, ...rest } = table;
    return rest;
  }
  return { ...table, [key]: lease };
}

/** Leases that have lapsed by `eventTime` (expiresAt <= eventTime), in key order. */
export function lapsedLeases(table: LeaseTable, eventTime: number): Lease[] {
  // Only the lapsed keys are sorted: the table holds every lease in force, a window lapses few.
  return Object.keys(table)
    .filter((k) => table[k].expiresAt <= eventTime)
    .sort()
    .map((k) => table[k]);
}

export function removeLeases(table: LeaseTable, leases: readonly Lease[]): LeaseTable {
  if (leases.length === 0) return table;
  const out: Record<string, Lease> = { ...table };
  for (const l of leases) delete out[leaseKey(l.policy, l.target, l.family)];
  return out;
}

/**
 * True when the lease should be renewed now: it expires within `renewBeforeMs`. With the
 * default 3-window lease renewed 1 window ahead, a held action is renewed every second
 * window and one whole window of processing lag is tolerated before the executor reverts.
 */
export function dueForRenewal(lease: Lease, eventTime: number, renewBeforeMs: number): boolean {
  return lease.expiresAt - eventTime <= renewBeforeMs;
}

/** Leases of one policy, in key order. */
export function leasesOf(table: LeaseTable, policy: string): Lease[] {
  const prefix = `${policy}\u001f`;
  return Object.keys(table)
    .filter((k) => k.startsWith(prefix))
    .sort()
    .map((k) => table[k]);
}
