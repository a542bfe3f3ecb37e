/**
 * When a read of a whole topic to its end is over (state-topic.ts's readTopicToEnd). Two ends
 * per partition: the last stable offset taken before the read began — everything committed
 * then, which the read must deliver however long the broker or this process takes — and the
 * high watermark the first fetch reports, which a transaction still open may keep out of reach
 * for a while. Only between the two may a read stop for want of records ("quiet"): stopping
 * before the stable end would hand back a silently truncated topic (a restore from older
 * state, a verification that reads nothing) whenever a loaded machine is slow to deliver the
 * first batch.
 */

/** Where one partition's read stands. */
interface PartitionEnds {
  /** The last stable offset taken first: what must be read. */
  stable: bigint;
  /** The furthest end seen: the high watermark of the first batch, if above `stable`. */
  end: bigint;
  sawHigh: boolean;
  /** The next offset to read. */
  next: bigint;
}

export class ReadEnds {
  private readonly parts = new Map<number, PartitionEnds>();

  /** `offsets`: per partition, the log start and the last stable offset taken before the read. */
  constructor(offsets: readonly { partition: number; low: bigint; stable: bigint }[]) {
    for (const { partition, low, stable } of offsets)
      if (stable > low) this.parts.set(partition, { stable, end: stable, sawHigh: false, next: low });
  }

  /** Whether nothing is left to read at all (every partition empty below its stable end). */
  get done(): boolean {
    return this.parts.size === 0;
  }

  /**
   * A batch of `partition` was handled up to `lastOffset` (markers and aborted records
   * included), its fetch reporting `highWatermark`.
   */
  batch(partition: number, lastOffset: bigint, highWatermark: bigint): void {
    const p = this.parts.get(partition);
    if (!p) return;
    if (!p.sawHigh) {
      p.sawHigh = true;
      if (highWatermark > p.end) p.end = highWatermark;
    }
    if (lastOffset + 1n > p.next) p.next = lastOffset + 1n;
    if (p.next >= p.end) this.parts.delete(partition);
  }

  /** Whether every partition has reached its stable end, so that a quiet spell may end the read. */
  get mayStopWhenQuiet(): boolean {
    for (const p of this.parts.values()) if (p.next < p.stable) return false;
    return true;
  }

  /** The partitions still short of their stable end, for a timeout's message. */
  shortOfStable(): string {
    return [...this.parts.entries()]
      .filter(([, p]) => p.next < p.stable)
      .map(([partition, p]) => `${partition}: at ${p.next} of ${p.stable}`)
      .join(', ');
  }
}
