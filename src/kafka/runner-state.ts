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
}

export function newProgress(): PartitionProgress {
  return { position: -1n, start: 0n, restoreBelow: -1n, maxTs: -Infinity, lag: 0, paused: false };
}

/**
 * Partitions to pause and resume so that no partition runs far ahead of the watermark
 * (Flink calls this watermark alignment). Records of a partition that is ahead sit in open
 * windows until the slowest partition catches up; pausing it is what keeps memory bounded.
 * Hysteresis: pause beyond `maxAheadMs`, resume within half of it.
 */
export function alignment(
  progress: ReadonlyMap<number, PartitionProgress>,
  watermark: number,
  maxAheadMs: number,
): { pause: number[]; resume: number[] } {
  const pause: number[] = [];
  const resume: number[] = [];
  if (!Number.isFinite(maxAheadMs)) return { pause, resume };
  for (const [p, s] of progress) {
    const ahead = Number.isFinite(watermark) ? s.maxTs - watermark : s.maxTs === -Infinity ? 0 : Infinity;
    if (!s.paused && ahead > maxAheadMs && Number.isFinite(watermark)) pause.push(p);
    else if (s.paused && (ahead <= maxAheadMs / 2 || !Number.isFinite(watermark))) resume.push(p);
  }
  return { pause, resume };
}
