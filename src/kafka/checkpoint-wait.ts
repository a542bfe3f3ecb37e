/**
 * Waiting for the state of the last commit to become readable on the state topic. A driver
 * that resumes from its committed offset reads its state (a checkpoint, histories) back from
 * the compacted state topic, read_committed. Other producers write that topic too, and a
 * transaction still open there — a dead process's, until its id is fenced or it times out —
 * holds the last stable offset below every record written after it began, the state this
 * driver committed since included. Resuming from what the read shows would then pair older
 * state with a newer offset, silently. So each transaction names its commit both in the state
 * it writes and in the offset's metadata; a reset that reads another name fails and reads
 * again, as a unit of its own, for at most CHECKPOINT_WAIT_MS.
 */
import { randomBytes } from 'node:crypto';
import { ResetRequired } from '../errors';
import type { Logger } from '../ops/logger';

/** How long resets wait for the state of the last commit to become readable: twice kafkajs's transaction timeout. */
export const CHECKPOINT_WAIT_MS = 120_000;

/** A fresh name for one transaction's commit (16 hex digits; see checkpoint-meta.ts). */
export function newCommitId(): string {
  return randomBytes(8).toString('hex');
}

export interface CheckpointWaitOptions {
  logger: Logger;
  /** Who waits, first in every log line (e.g. `stage two`). */
  what: string;
  /** What must become readable (e.g. `the checkpoint`). */
  state: string;
  now?: () => number;
}

/** The waits of one driver's resets: since when they have found older state than the committed offset's. */
export class CheckpointWait {
  private since: number | undefined;
  private readonly now: () => number;

  constructor(private readonly o: CheckpointWaitOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The state read is the last commit's: any wait is over. */
  found(): void {
    this.since = undefined;
  }

  /**
   * The state read is older than the last commit's: throws a ResetRequired
   * (`checkpoint-not-visible`) for the driver to read again, logged; past CHECKPOINT_WAIT_MS (no
   * transaction stays open that long) the state must have been overwritten by someone else:
   * returns, so that the driver resumes from what it sees, and logs an error.
   */
  notVisible(fields: Record<string, unknown>): void {
    const now = this.now();
    this.since ??= now;
    const waitedMs = now - this.since;
    const { what, state, logger } = this.o;
    if (waitedMs >= CHECKPOINT_WAIT_MS) {
      this.since = undefined;
      logger.error(
        { ...fields, waitedMs },
        `${what}: the state topic still does not show ${state} of the last commit; resuming from what it shows ` +
          '(check who else writes the state topic)',
      );
      return;
    }
    logger.warn(
      { ...fields, waitedMs },
      `${what}: the state topic does not show ${state} of the last commit yet (a transaction is open there); reading again`,
    );
    throw new ResetRequired('checkpoint-not-visible', `${what}: ${state} of the last commit is not readable yet`);
  }
}
