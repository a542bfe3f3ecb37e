/**
 * An executor ledger in memory: for tests of executors (yours and ours) without a broker.
 * Commits are all-or-nothing like the Kafka ledger's transactions, and `failNext` makes
 * the next commit fail, to exercise the paths a broker outage takes.
 */
import { HomeostatError } from '../errors';
import type { ActionResultRecord, ConsumedOffset, ExecutorLedger, LedgerCommit, StateEntry } from './types';

export interface MemoryLedger extends ExecutorLedger {
  /** State entries, oldest first: hand the same ledger to a new executor to simulate a restart. */
  readonly entries: StateEntry[];
  readonly results: ActionResultRecord[];
  /** Committed consumer positions, by `topic:partition`. */
  readonly offsets: Map<string, string>;
  /** Make the next `count` commits fail (default 1). */
  failNext(count?: number): void;
}

export function createMemoryLedger(): MemoryLedger {
  const entries: StateEntry[] = [];
  const results: ActionResultRecord[] = [];
  const offsets = new Map<string, string>();
  let failures = 0;
  return {
    entries,
    results,
    offsets,
    failNext(count = 1) {
      failures += count;
    },
    open: () => Promise.resolve([...entries]),
    begin(entry) {
      entries.push(entry);
      return Promise.resolve();
    },
    commit(c: LedgerCommit) {
      if (failures > 0) {
        failures--;
        return Promise.reject(
          new HomeostatError('KAFKA', 'memory ledger: commit failed on request', { retriable: true }),
        );
      }
      entries.push(...c.state);
      results.push(...c.results);
      c.offsets.forEach((o: ConsumedOffset) => offsets.set(`${o.topic}:${o.partition}`, o.offset));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
