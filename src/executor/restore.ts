/**
 * Rebuilding an executor's memory from its state entries (oldest first), after a restart.
 * Pure: the same entries always give the same seen-set and lease table.
 *
 * An `applying` entry without a later `done` is a crash mid-apply. Its id stays `applying`
 * in the seen-set (so the command is reported as interrupted and never re-applied: at
 * most once), and its `.set` becomes an uncertain lease, so that the setting it may have
 * made is still reverted when its lease lapses: the fail-safe direction.
 */
import { isRevertType } from '../actions';
import { dropLease, leaseFor, putLease, type ExecutorLeaseTable } from './lease-table';
import type { Command } from '../model/command';
import type { SeenEntry, StateEntry } from './types';

export interface RestoredState {
  seen: Map<string, SeenEntry>;
  leases: ExecutorLeaseTable;
  /** Commands whose intent has no outcome: interrupted mid-apply. */
  interrupted: string[];
  /** Ids of commands read back whose signature did not verify. */
  unverified: string[];
}

/** Whether a command read back from the state topic is genuine (the executor's keyring). */
export type VerifyStored = (cmd: Command) => boolean;

export function restoreState(entries: readonly StateEntry[], verify: VerifyStored = () => true): RestoredState {
  const seen = new Map<string, SeenEntry>();
  const unverified = new Set<string>();
  const genuine = (cmd: Command): boolean => {
    if (verify(cmd)) return true;
    unverified.add(String(cmd.id));
    return false;
  };
  let leases: ExecutorLeaseTable = {};
  for (const e of entries) {
    if (e.kind === 'command') {
      if (e.state === 'done' || seen.get(e.commandId)?.state !== 'done') {
        seen.set(e.commandId, { state: e.state, expiresAt: e.expiresAt });
      }
      if (e.state === 'applying' && e.command !== null && !isRevertType(e.command.type) && genuine(e.command)) {
        leases = putLease(leases, leaseFor(e.command, true));
      }
    } else if (e.lease === null) {
      leases = dropLease(leases, e.target, e.family);
    } else if (genuine(e.lease.command)) {
      leases = putLease(leases, e.lease);
    } else {
      const { previous: _untrusted, ...lease } = e.lease;
      leases = putLease(leases, { ...lease, uncertain: true });
    }
  }
  const interrupted = [...seen.entries()].filter(([, s]) => s.state === 'applying').map(([id]) => id);
  return { seen, leases, interrupted, unverified: [...unverified] };
}
