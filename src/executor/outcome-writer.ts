/**
 * The executor's side of the ledger: results, state changes and the consumed offsets go
 * out in one commit, and only a commit that succeeded is counted, logged and releases its
 * offsets. An outcome whose commit failed is kept so that the command, when it comes
 * again, re-sends it rather than being applied a second time.
 */
import type { ActionResultRecord, ActionStatus } from '../codec';
import type { Logger } from '../ops/logger';
import type { ConsumedOffset, ExecutorLedger, ExecutorMetrics, LedgerCommit, StateEntry } from './types';

const STATUSES: readonly ActionStatus[] = [
  'applied',
  'rejected',
  'failed',
  'reverted',
  'expired',
  'shadowed',
  'duplicate',
];

export interface OutcomeWriterOptions {
  name: string;
  ledger: ExecutorLedger;
  logger: Logger;
  metrics?: ExecutorMetrics;
  /** Throws when the executor was killed: nothing more may be written. */
  alive: () => void;
}

export interface OutcomeWriter {
  /** Remembers the offset of a handled record, to be committed with the next outcome. */
  track(offset: ConsumedOffset): void;
  /** Commits results, state and pending offsets together; `commandId` marks the outcome as retryable. */
  commit(results: ActionResultRecord[], state: StateEntry[], commandId: string | null): Promise<void>;
  /** The outcome of `commandId` whose commit failed, if any. */
  uncommitted(commandId: string): LedgerCommit | undefined;
  /** Forgets pending offsets for which `keep` is false. */
  retainOffsets(keep: (offset: ConsumedOffset) => boolean): void;
  counts(): Readonly<Record<ActionStatus, number>>;
}

/** The offset map key of a partition. */
const partitionKey = (o: ConsumedOffset): string => `${o.topic}:${o.partition}`;

/** A writer over `ledger`; calls must not overlap (the ledger's transactions are one at a time). */
export function createOutcomeWriter(options: OutcomeWriterOptions): OutcomeWriter {
  const { name, ledger, logger, metrics, alive } = options;
  /** Offsets of handled records not committed yet (skipped records need no transaction of their own). */
  const pendingOffsets = new Map<string, ConsumedOffset>();
  /** Outcomes whose commit failed: re-committed (not re-applied) when the command comes again. */
  const uncommitted = new Map<string, LedgerCommit>();
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ActionStatus, number>;

  const report = (r: ActionResultRecord): void => {
    counts[r.status]++;
    metrics?.executorResults.inc({ executor: name, status: r.status });
    const fields = { commandId: r.commandId, target: r.target, type: r.type, status: r.status, detail: r.detail };
    if (r.status === 'rejected' || r.status === 'failed') logger.warn(fields, 'command not applied');
    else if (r.status === 'duplicate') logger.debug(fields, 'duplicate command');
    else logger.info(fields, `command ${r.status}`);
  };

  return {
    track(offset) {
      pendingOffsets.set(partitionKey(offset), offset);
    },
    async commit(results, state, commandId) {
      const batch: LedgerCommit = { results, state, offsets: [...pendingOffsets.values()] };
      if (commandId !== null) uncommitted.set(commandId, batch);
      alive();
      await ledger.commit(batch);
      for (const o of batch.offsets) {
        const key = partitionKey(o);
        if (pendingOffsets.get(key) === o) pendingOffsets.delete(key);
      }
      if (commandId !== null) uncommitted.delete(commandId);
      for (const r of results) report(r);
    },
    uncommitted: (commandId) => uncommitted.get(commandId),
    retainOffsets(keep) {
      for (const [k, o] of pendingOffsets) if (!keep(o)) pendingOffsets.delete(k);
    },
    counts: () => ({ ...counts }),
  };
}
