/** Per-partition bookkeeping of the Kafka runner (what the pure engine does not know about Kafka). */
export interface PartitionProgress {
  /** Next offset to read (last handled + 1), as a bigint; -1n before the first record. */
  position: bigint;
  /** Where reading started after the assignment (committed offset, or the log start). */
  start: bigint;
  /** From the checkpoint: records below this offset were handled before the restart. */
  restoreBelow: bigint;
  /** Highest event time read from the partition (for watermark alignment). */
  maxTs: number;
  /** Records still unread on the broker after the last batch (offset lag). */
  lag: number;
  paused: boolean;
  /** Scaled out: window ends the watermark had passed at the last mark sent to stage two. */
  markedEnds: number;
  /**
   * Scaled out: the id of the last transaction that wrote this partition's histories, from the
   * checkpoint restored or the last commit since; every checkpoint carries it on (checkpoint-meta.ts).
   */
  historyTx?: string;
}

export function newProgress(): PartitionProgress {
  return { position: -1n, start: 0n, restoreBelow: -1n, maxTs: -Infinity, lag: 0, paused: false, markedEnds: NaN };
}

/**
 * Partitions to pause and resume so that no partition runs far ahead of the watermark
 * (Flink calls this watermark alignment). Records of a partition that is ahead sit in open
 * windows until the slowest partition catches up; pausing it is what keeps memory bounded.
 * Hysteresis: pause beyond `maxAheadMs`, resume within half of it — or as soon as no
 * partition behind it has unread records left.
 */
export function alignment(
  progress: ReadonlyMap<number, PartitionProgress>,
  watermark: number,
  maxAheadMs: number,
): { pause: number[]; resume: number[] } {
  const pause: number[] = [];
  const resume: number[] = [];
  if (!Number.isFinite(maxAheadMs)) return { pause, resume };
  // Pausing only helps while a partition behind still has records to read: once the ones
  // behind are caught up, nothing can move the watermark but this partition's own records
  // (or idleness, which may be off), and a pause would stall the processor for good.
  const someBehindHasBacklog = (s: PartitionProgress): boolean => {
    for (const o of progress.values()) if (o !== s && o.lag > 0 && o.maxTs < s.maxTs) return true;
    return false;
  };
  for (const [p, s] of progress) {
    const ahead = Number.isFinite(watermark) ? s.maxTs - watermark : s.maxTs === -Infinity ? 0 : Infinity;
    if (!s.paused && ahead > maxAheadMs && Number.isFinite(watermark) && someBehindHasBacklog(s)) pause.push(p);
    else if (s.paused && (ahead <= maxAheadMs / 2 || !Number.isFinite(watermark) || !someBehindHasBacklog(s)))
      resume.push(p);
  }
  return { pause, resume };
}
