/**
 * Offsets that hold no data: transaction markers and the records of aborted transactions.
 *
 * A read_committed consumer never sees them, but they take offsets, so the last stable offset
 * of a partition written by transactional producers is past the last record a reader gets:
 * one marker after every committed transaction, and a marker (plus the aborted records) after
 * every aborted one — several in a row when a rebalance fences a producer. kafkajs hands
 * eachBatch data records only; a fetch that found nothing else is resolved inside kafkajs and
 * reported only by the END_BATCH_PROCESS event. A reader that tracks its position from the
 * records it is given therefore stays short of the end for good once the partition's writes
 * stop: it counts as behind (lag that never drains, a partition that is never idle, a
 * consumer group that never looks caught up). This module moves such a position over them:
 * those that end a fetch with records (nextAfter) and fetches of nothing else (onNonDataSkipped).
 */
import type { Batch } from 'kafkajs';
import type { PortConsumer } from './port';

/**
 * The next offset to read after handling `batch` up to the record at `lastHandled`: past the
 * markers and aborted records that follow the batch's last record when that was the last one
 * handled — as kafkajs itself resolves it (its resolveOffset moves to `batch.lastOffset()` in
 * that case) — else just past `lastHandled`.
 */
export function nextAfter(batch: Pick<Batch, 'messages' | 'lastOffset'>, lastHandled: string): bigint {
  const final = batch.messages[batch.messages.length - 1];
  const next = BigInt(lastHandled) + 1n;
  if (final === undefined || final.offset !== lastHandled) return next;
  const end = BigInt(batch.lastOffset()) + 1n;
  return end > next ? end : next;
}

/** What kafkajs reports of a fetch it handled (its END_BATCH_PROCESS payload, the fields used). */
export interface FetchReport {
  topic: string;
  partition: number;
  /** Data records handed to eachBatch: 0 for a fetch of markers and aborted records only. */
  batchSize: number;
  /** The first offset the fetch returned at or past where it read from (null: none). */
  firstOffset: string | null;
  /** The last offset it returned. */
  lastOffset: string;
}

/**
 * The next offset to read after a fetch that held no data, when that fetch began exactly at
 * `at` — only then does it show that every offset from `at` to its last holds no data (a
 * fetch from before a seek or a reset, or from elsewhere, proves nothing about `at`).
 * Undefined when the position stays.
 */
export function pastNonData(at: bigint, r: FetchReport): bigint | undefined {
  if (r.batchSize !== 0 || r.firstOffset === null || at < 0n) return undefined;
  if (BigInt(r.firstOffset) !== at) return undefined;
  const last = BigInt(r.lastOffset);
  return last >= at ? last + 1n : undefined;
}

/**
 * Calls `skip(partition, next)` whenever `consumer` resolved a fetch of `topic` that held no
 * data and began where `positionOf(partition)` stands; `next` is the offset after it.
 */
export function onNonDataSkipped(
  consumer: PortConsumer,
  topic: string,
  positionOf: (partition: number) => bigint | undefined,
  skip: (partition: number, next: bigint) => void,
): void {
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    const r = e.payload;
    if (r.topic !== topic || r.batchSize !== 0) return;
    const at = positionOf(r.partition);
    if (at === undefined) return;
    const next = pastNonData(at, r);
    if (next !== undefined) skip(r.partition, next);
  });
}
