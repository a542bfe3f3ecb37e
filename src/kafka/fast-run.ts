/**
 * A run of a batch's records that the one-pass readers answer for: read together, then
 * stepped together, in offset order (batch-feed.ts).
 *
 * Why: reading a record and stepping it in turn makes the reader's string table and tags memo
 * and the engine's per-series arrays evict each other from the CPU's caches between two
 * records; reading a run, then stepping it, keeps each in cache for its part
 * (`bench/record-path.ts --batch`, docs/benchmarks.md, "Profile of the pipeline").
 *
 * A run ends before the first record the readers refuse: the batch loop hands that record to
 * the general path at its place — after the run is stepped, before the next run is read — so
 * every record is read by the one-pass reader once, in offset order, as before, and a record
 * after a schema fetch is read with that schema cached, as before. Holding the records read is
 * safe: the readers return a fresh object per record (its tags frozen and shared by the
 * source's records, codec/tags-memo.ts), and a step changes nothing a later reading depends on.
 */
import type { KafkaMessage } from 'kafkajs';
import type { Telemetry } from '../model/telemetry';
import { NO_RECORD, type BatchDecoder, type FeedTarget } from './batch-decoder';

/**
 * Most records in a run. Measured with `bench/record-path.ts --batch` at 64, 128 and 256
 * (docs/benchmarks.md): long enough that the reader's and the step's working sets each
 * settle in cache, short enough that the run's records are still young when stepped.
 */
export const RUN_LENGTH = 128;

/** Which offsets of a batch were handled before a restart (re-read only to rebuild open windows). */
export class RestoreLine {
  // Only a partition re-read after a restart has records below its checkpoint: the others
  // skip the offset's BigInt per record.
  private readonly any: boolean;

  constructor(private readonly below: bigint) {
    this.any = below > 0n;
  }

  covers(offset: string): boolean {
    return this.any && BigInt(offset) < this.below;
  }
}

export class FastRun {
  /** The run's readings, by position in the run; NO_RECORD once stepped, so none outlives its step. */
  private readonly held: Telemetry[] = new Array<Telemetry>(RUN_LENGTH).fill(NO_RECORD);
  /** Whether the last read stopped at a record the readers refused (the one after the run). */
  refused = false;

  /** Reads up to `length` records from `messages[from]` on; the number read (the run). */
  read(messages: readonly KafkaMessage[], from: number, decoder: BatchDecoder): number {
    const end = Math.min(messages.length, from + RUN_LENGTH);
    const held = this.held;
    for (let i = from; i < end; i++) {
      const value = decoder.decodeFast(messages[i]);
      if (value === undefined) {
        this.refused = true;
        return i - from;
      }
      held[i - from] = value;
    }
    this.refused = false;
    return end - from;
  }

  /** Steps the run just read (`n` records from `messages[from]`) into `t`; the offset of its last. */
  step(
    messages: readonly KafkaMessage[],
    from: number,
    n: number,
    t: FeedTarget,
    decoder: BatchDecoder,
    restore: RestoreLine,
  ): string {
    const held = this.held;
    for (let k = 0; k < n; k++) {
      const m = messages[from + k];
      // Per record: a run may straddle the checkpoint.
      t.restoring = restore.covers(m.offset);
      decoder.stepValue(m, held[k], t);
      held[k] = NO_RECORD;
    }
    return messages[from + n - 1].offset;
  }
}
