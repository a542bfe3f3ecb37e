/**
 * The consumer group's offsets as the processor needs them: the topic's partition count, the
 * committed offset (and its checkpoint metadata) of each partition or the log start when none
 * was committed, and the brokers' high watermarks — which partitions still hold unread records.
 */
import { decodeCheckpoint } from './checkpoint-meta';
import { committedOrLow } from './committed-offsets';
import type { KafkaPort, PortAdmin } from './port';
import { newProgress, type PartitionProgress } from './runner-state';

/** How stale the brokers' high watermarks may be when judging which partitions have a backlog. */
export const BACKLOG_REFRESH_MS = 100;

/** One partition's committed offset and checkpoint, and its log's ends. */
export interface PartitionOffsets {
  /** The committed offset, or undefined when the group has none for the partition. */
  committed: string | undefined;
  metadata: string | null;
  low: string | undefined;
  high: string | undefined;
}

/** The group's committed offsets and the topic's log ends, read together. */
export class GroupSnapshot {
  constructor(private readonly byPartition: ReadonlyMap<number, PartitionOffsets>) {}

  of(partition: number): PartitionOffsets {
    return this.byPartition.get(partition) ?? { committed: undefined, metadata: null, low: undefined, high: undefined };
  }

  /** Where reading resumes: the committed offset, else the log start. */
  startOf(partition: number): string {
    const o = this.of(partition);
    return committedOrLow(o.committed, o.low);
  }

  /**
   * Where each of `partitions` resumes after a join or a reset: its checkpoint's next offset
   * (records below it are restored, not counted again), its start and lag. Returns whether each
   * has records left to read: such a partition is not idle, whatever the others' event time.
   */
  restoreProgress(partitions: readonly number[], progress: Map<number, PartitionProgress>): Map<number, boolean> {
    const backlogs = new Map<number, boolean>();
    for (const p of partitions) {
      const pr = progress.get(p) ?? newProgress();
      progress.set(p, pr);
      const o = this.of(p);
      const meta = decodeCheckpoint(o.metadata);
      if (meta) pr.restoreBelow = BigInt(meta.next);
      pr.historyTx = meta?.h;
      const from = BigInt(this.startOf(p));
      pr.start = from;
      pr.lag = o.high !== undefined ? Number(BigInt(o.high) - from) : 0;
      backlogs.set(p, o.high !== undefined && BigInt(o.high) > from);
    }
    return backlogs;
  }

  /** Committed offsets and metadata of the partitions that have one. */
  committedOffsets(): Map<number, { offset: string; metadata: string | null }> {
    const m = new Map<number, { offset: string; metadata: string | null }>();
    for (const [p, o] of this.byPartition)
      if (o.committed !== undefined) m.set(p, { offset: o.committed, metadata: o.metadata });
    return m;
  }
}

export class GroupOffsets {
  /** High watermarks as last seen, per partition: from the admin (refreshHighs) or a fetched batch. */
  readonly highs = new Map<number, bigint>();
  private highsAt = 0;
  private lagAdmin: PortAdmin | undefined;

  constructor(
    private readonly kafka: KafkaPort,
    private readonly groupId: string,
    private readonly topic: string,
  ) {}

  private async withAdmin<T>(fn: (admin: PortAdmin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  partitionCount(): Promise<number> {
    return this.withAdmin(async (admin) => {
      const meta = await admin.fetchTopicMetadata({ topics: [this.topic] });
      return meta.topics[0].partitions.length;
    });
  }

  /** The group's committed offsets with their metadata, and the log ends, on one admin connection. */
  snapshot(): Promise<GroupSnapshot> {
    return this.withAdmin(async (admin) => {
      const [entry] = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] });
      const ends = await admin.fetchTopicOffsets(this.topic);
      const m = new Map<number, PartitionOffsets>();
      for (const e of ends) m.set(e.partition, { committed: undefined, metadata: null, low: e.low, high: e.high });
      for (const po of entry?.partitions ?? []) {
        const o = m.get(po.partition) ?? { committed: undefined, metadata: null, low: undefined, high: undefined };
        m.set(po.partition, { ...o, committed: po.offset, metadata: po.metadata });
      }
      return new GroupSnapshot(m);
    });
  }

  /** Refreshes the high watermarks when older than BACKLOG_REFRESH_MS (one admin kept for it). */
  async refreshHighs(): Promise<void> {
    if (Date.now() - this.highsAt < BACKLOG_REFRESH_MS) return;
    if (!this.lagAdmin) {
      this.lagAdmin = this.kafka.admin();
      await this.lagAdmin.connect();
    }
    for (const o of await this.lagAdmin.fetchTopicOffsets(this.topic)) this.highs.set(o.partition, BigInt(o.high));
    this.highsAt = Date.now();
  }

  async close(): Promise<void> {
    await this.lagAdmin?.disconnect().catch(() => undefined);
  }
}
