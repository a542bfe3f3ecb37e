/**
 * The processor's accounting: counters that move with committed work only. The outputs of a
 * batch whose transaction aborted are not counted, so that consumed = aggregated + late +
 * deadLettered holds across failures and restarts; metrics move by the delta since the last
 * commit, never by what an aborted batch stepped.
 *
 * A commit whose outcome is unknown (the broker went away during commit, the client gave up
 * while the coordinator finished it) is held as in doubt: the reset that follows reads the
 * group's committed offsets anyway, and when they are exactly the ones the transaction sent,
 * it did commit — its records are not read again, so its counts are settled then, or
 * `consumed` would fall short of what the outputs show.
 */
import type { HomeostatMetrics } from '../ops/metrics';
import type { ProcessorCounters } from '../pipeline/processor';
import type { DeadInput } from './dlq-arrival';

export interface RunnerCounters {
  consumed: number;
  aggregated: number;
  late: number;
  deadLettered: number;
  restored: number;
  transactions: number;
  signalsWritten: number;
}

type Counted = Pick<ProcessorCounters, 'consumed' | 'aggregated' | 'late' | 'deadLettered'>;

const zero = (): Counted => ({ consumed: 0, aggregated: 0, late: 0, deadLettered: 0 });
const sum = (a: Counted, b: Counted): Counted => ({
  consumed: a.consumed + b.consumed,
  aggregated: a.aggregated + b.aggregated,
  late: a.late + b.late,
  deadLettered: a.deadLettered + b.deadLettered,
});

/** What one transaction commits, for the counters: taken before its first await. */
export interface CommitWork {
  /** The processors' counters as of this transaction's state. */
  counters: ProcessorCounters;
  deadInputs: readonly DeadInput[];
  signalsWritten: number;
}

/** A transaction that failed in a way that may have committed anyway, and the offsets it sent. */
export interface InDoubt {
  work: CommitWork;
  offsets: readonly { partition: number; offset: string; metadata: string }[];
}

export class Accounting {
  /** Committed work of the processors before the last reset (each reset starts them at zero). */
  private base = zero();
  /** The current processors' counters as of their last commit. */
  private committed = zero();
  private committedWindows = 0;
  private restored = 0;
  private transactions = 0;
  private signalsWritten = 0;
  private inDoubt: InDoubt | undefined;

  constructor(
    private readonly topic: string,
    private readonly metrics: HomeostatMetrics | undefined,
  ) {}

  /** A record re-read below the checkpoint to rebuild open windows: counted apart, never consumed again. */
  restoredOne(): void {
    this.restored++;
    this.metrics?.recordsRestored.inc();
  }

  /** A transaction committed: counters and metrics move by its delta since the last commit. */
  committedWork(w: CommitWork): void {
    const c = w.counters;
    const m = this.metrics;
    if (m) {
      m.recordsConsumed.inc({ topic: this.topic }, c.consumed - this.committed.consumed);
      m.recordsAggregated.inc(c.aggregated - this.committed.aggregated);
      m.recordsLate.inc(c.late - this.committed.late);
      for (const g of w.deadInputs) {
        for (const [code, n] of g.byCode) if (code !== 'LATE') m.recordsDeadLettered.inc({ reason: code }, n);
        m.dlqRecords.inc({ reason: g.first.code });
      }
      m.windowsClosed.inc(Math.max(0, c.windowsClosed - this.committedWindows));
    }
    this.committedWindows = c.windowsClosed;
    this.committed = { consumed: c.consumed, aggregated: c.aggregated, late: c.late, deadLettered: c.deadLettered };
    this.transactions++;
    this.signalsWritten += w.signalsWritten;
    this.inDoubt = undefined;
  }

  /** A transaction failed: it may still have committed (see the module's comment). */
  failed(doubt: InDoubt | undefined): void {
    this.inDoubt = doubt;
  }

  /**
   * Before a reset's new processors start at zero: settles a transaction in doubt against the
   * group's committed offsets (partition → offset and metadata), then folds what the current
   * processors committed into the base. Says whether the doubtful transaction had committed.
   */
  rebase(committedOffsets: ReadonlyMap<number, { offset: string; metadata: string | null }>): boolean {
    const doubt = this.inDoubt;
    this.inDoubt = undefined;
    const landed =
      doubt !== undefined &&
      doubt.offsets.length > 0 &&
      doubt.offsets.every((o) => {
        const c = committedOffsets.get(o.partition);
        return c !== undefined && c.offset === o.offset && c.metadata === o.metadata;
      });
    // The transactions metric keeps it as aborted: that is what the client saw.
    if (landed) this.committedWork(doubt.work);
    this.base = sum(this.base, this.committed);
    this.committed = zero();
    this.committedWindows = 0;
    return landed;
  }

  counters(): RunnerCounters {
    return {
      ...sum(this.base, this.committed),
      restored: this.restored,
      transactions: this.transactions,
      signalsWritten: this.signalsWritten,
    };
  }
}
