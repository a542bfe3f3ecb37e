/**
 * Where a consumer group resumes on a topic: on each partition its committed offset, or the
 * log start when it has none (a new group, or one whose offsets expired) — never the log end,
 * as the drivers own state rebuilt from what they read. The reset of every driver ends the same
 * way: fetch the group's offsets and the log starts, then seek each partition it holds there
 * (kafkajs would otherwise go on from its in-memory positions, past what was never committed).
 */
import type { PortAdmin, PortConsumer, KafkaPort } from './port';

/** A committed offset, or `low` (the log start) when the group has none there ('-1' or absent). */
export function committedOrLow(committed: string | undefined, low: string | undefined): string {
  return committed !== undefined && committed !== '-1' ? committed : (low ?? '0');
}

/** Where a group resumes on one partition. */
export interface ResumePoint {
  partition: number;
  /** The committed offset as the broker reports it (undefined or '-1': none). */
  committed: string | undefined;
  /** The metadata committed with it (the drivers' checkpoints). */
  metadata: string | null | undefined;
  /** The committed offset or the log start: where reading resumes. */
  from: string;
}

/** The resume points of `groupId` on `partitions` of `topic` (the group's offsets, then the log starts). */
export async function resumePoints(
  admin: Pick<PortAdmin, 'fetchOffsets' | 'fetchTopicOffsets'>,
  groupId: string,
  topic: string,
  partitions: readonly number[],
): Promise<ResumePoint[]> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const low = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.low]));
  return partitions.map((partition) => {
    const c = entry?.partitions.find((x) => x.partition === partition);
    return {
      partition,
      committed: c?.offset,
      metadata: c?.metadata,
      from: committedOrLow(c?.offset, low.get(partition)),
    };
  });
}

/** Seeks `consumer` on each of `partitions` to where `groupId` resumes; returns those points. */
export async function seekToResumePoints(
  admin: Pick<PortAdmin, 'fetchOffsets' | 'fetchTopicOffsets'>,
  consumer: Pick<PortConsumer, 'seek'>,
  groupId: string,
  topic: string,
  partitions: readonly number[],
): Promise<ResumePoint[]> {
  const points = await resumePoints(admin, groupId, topic, partitions);
  for (const p of points) consumer.seek({ topic, partition: p.partition, offset: p.from });
  return points;
}

/** An admin client connected on first use and kept for the driver's life (offsets are asked often). */
export interface LazyAdmin {
  get(): Promise<PortAdmin>;
  close(): Promise<void>;
}

export function createLazyAdmin(kafka: Pick<KafkaPort, 'admin'>): LazyAdmin {
  let admin: PortAdmin | undefined;
  return {
    async get() {
      if (!admin) {
        admin = kafka.admin();
        await admin.connect();
      }
      return admin;
    },
    async close() {
      await admin?.disconnect().catch(() => undefined);
    },
  };
}
