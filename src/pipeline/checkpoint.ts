/**
 * Which offset of each input partition is safe to commit.
 *
 * A record's effect lives in open windows until they close. Committing its offset
 * before then would lose it on a crash; so the committed offset of a partition is
 * the smallest offset still feeding an open window (or the next offset to read when
 * nothing is open). After a restart the processor re-reads from there and rebuilds
 * the open windows; records it had already handled (offset < `next` in the
 * checkpoint) only restore state and emit nothing twice.
 */
export interface PartitionCheckpoint {
  /** Offset to resume reading from (commit position). */
  safe: string;
  /** First offset not yet handled before the checkpoint: below it, records only restore state. */
  next: string;
  /** The engine's watermark when the checkpoint was taken: windows ending (+grace) at or before it were emitted. */
  watermark: number;
  /** Max event time seen on the partition (to resume its watermark). */
  maxTs: number;
}

export interface OffsetTracker {
  /** Notes that the record at `offset` feeds windows that close at the given close times. */
  track(partition: number, offset: bigint, closeTimes: readonly number[]): void;
  /** Notes that the record at `offset` was fully handled (dead-lettered, late, or aggregated). */
  handled(partition: number, offset: bigint): void;
  /** Forgets windows that have closed at the given watermark. */
  closeThrough(watermark: number): void;
  /** The offset to commit for the partition, or undefined if nothing was read from it. */
  safeOffset(partition: number): bigint | undefined;
  nextOffset(partition: number): bigint | undefined;
  partitions(): number[];
  drop(partition: number): void;
}

interface PartitionTrack {
  /** close time → smallest offset feeding a window that closes then. */
  open: Map<number, bigint>;
  next: bigint;
}

export function createOffsetTracker(): OffsetTracker {
  const parts = new Map<number, PartitionTrack>();
  const get = (p: number): PartitionTrack => {
    let t = parts.get(p);
    if (!t) {
      t = { open: new Map(), next: -1n };
      parts.set(p, t);
    }
    return t;
  };
  return {
    track(partition, offset, closeTimes) {
      const t = get(partition);
      for (const c of closeTimes) {
        const cur = t.open.get(c);
        if (cur === undefined || offset < cur) t.open.set(c, offset);
      }
      if (offset + 1n > t.next) t.next = offset + 1n;
    },
    handled(partition, offset) {
      const t = get(partition);
      if (offset + 1n > t.next) t.next = offset + 1n;
    },
    closeThrough(watermark) {
      for (const t of parts.values()) {
        for (const c of t.open.keys()) if (c <= watermark) t.open.delete(c);
      }
    },
    safeOffset(partition) {
      const t = parts.get(partition);
      if (!t || t.next < 0n) return undefined;
      let min = t.next;
      for (const o of t.open.values()) if (o < min) min = o;
      return min;
    },
    nextOffset(partition) {
      const t = parts.get(partition);
      return !t || t.next < 0n ? undefined : t.next;
    },
    partitions() {
      return [...parts.keys()].sort((a, b) => a - b);
    },
    drop(partition) {
      parts.delete(partition);
    },
  };
}
