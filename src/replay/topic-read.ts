/**
 * Reads one topic between two timestamps, every partition, with kafkajs: the offsets come from
 * admin.fetchTopicOffsetsByTimestamp (Kafka's ListOffsets: the first offset whose timestamp is
 * at or after the time; the log end when there is none), so the range is [offset(from),
 * offset(to)) per partition. Reading is read_committed — the processor writes its outputs in
 * transactions — and ends when every partition has been consumed up to its end offset,
 * transaction markers included (kafkajs reports those only in its END_BATCH_PROCESS event).
 *
 * The consumer joins a fresh, throw-away group, seeks each partition to its start, never
 * commits, and the group is deleted afterwards. Messages are held in memory: replay ranges are
 * bounded by the caller's timestamps.
 */
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { HomeostatError } from '../errors';

export interface TopicRange {
  /** Epoch ms; default: the beginning of each partition. */
  from?: number;
  /** Epoch ms, exclusive; default: the end of each partition. */
  to?: number;
}

export interface RawMessage {
  partition: number;
  offset: string;
  /** Kafka timestamp, epoch ms as a string (as kafkajs gives it). */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
}

export interface PartitionRange {
  partition: number;
  /** First offset read. */
  start: string;
  /** Offset after the last one read. */
  end: string;
}

export interface TopicReadResult {
  topic: string;
  /** Every partition of the topic, ascending (including those with nothing in range). */
  partitions: number[];
  ranges: PartitionRange[];
  /** Messages per partition, in offset order. */
  messages: Map<number, RawMessage[]>;
}

export interface ReadTopicOptions {
  /** Give up when no batch arrives for this long, ms. Default 30 000. */
  idleTimeoutMs?: number;
  /** Called with the number of messages read so far, after each batch. */
  onProgress?: (read: number) => void;
}

async function offsetsAt(
  admin: Admin,
  topic: string,
  ts: number | undefined,
  which: 'low' | 'high',
): Promise<Map<number, bigint>> {
  const m = new Map<number, bigint>();
  if (ts === undefined) {
    for (const p of await admin.fetchTopicOffsets(topic)) m.set(p.partition, BigInt(which === 'low' ? p.low : p.high));
  } else {
    for (const p of await admin.fetchTopicOffsetsByTimestamp(topic, ts)) m.set(p.partition, BigInt(p.offset));
  }
  return m;
}

/** The [start, end) offsets of every partition for a time range. */
export async function topicRangeOffsets(admin: Admin, topic: string, range: TopicRange): Promise<PartitionRange[]> {
  const [lo, hi] = await Promise.all([
    offsetsAt(admin, topic, range.from, 'low'),
    offsetsAt(admin, topic, range.to, 'high'),
  ]);
  return [...lo.keys()]
    .sort((a, b) => a - b)
    .map((partition) => {
      const start = lo.get(partition) as bigint;
      const end = hi.get(partition) ?? start;
      return { partition, start: start.toString(), end: (end < start ? start : end).toString() };
    });
}

/** The offset range of every partition for a time range (USAGE error when --to is before --from). */
async function partitionRanges(kafka: Kafka, topic: string, range: TopicRange): Promise<PartitionRange[]> {
  if (range.from !== undefined && range.to !== undefined && range.to < range.from) {
    throw new HomeostatError(
      'USAGE',
      `--to (${new Date(range.to).toISOString()}) is before --from (${new Date(range.from).toISOString()})`,
    );
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await topicRangeOffsets(admin, topic, range);
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the reading group, best effort. */
async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // Best effort: an empty group without offsets expires on its own (offsets.retention.minutes).
  } finally {
    await admin.disconnect();
  }
}

export async function readTopicRange(
  kafka: Kafka,
  topic: string,
  range: TopicRange,
  options: ReadTopicOptions = {},
): Promise<TopicReadResult> {
  const ranges = await partitionRanges(kafka, topic, range);
  const messages = new Map<number, RawMessage[]>(ranges.map((r) => [r.partition, []]));
  const pending = new Map(ranges.filter((r) => BigInt(r.end) > BigInt(r.start)).map((r) => [r.partition, r]));
  const result: TopicReadResult = { topic, partitions: ranges.map((r) => r.partition), ranges, messages };
  /** Per partition: every offset below this has been seen (messages, markers); starts at the range start. */
  const covered = new Map(ranges.map((r) => [r.partition, BigInt(r.start)]));
  /** Per partition: the next message offset to accept. */
  const nextOffset = new Map(ranges.map((r) => [r.partition, BigInt(r.start)]));
  if (pending.size === 0) return result;

  const groupId = `homeostat-replay-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false });
  let read = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const idleMs = options.idleTimeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(() => {
          const left = [...pending.values()].map((r) => `${r.partition} (to ${r.end})`).join(', ');
          reject(
            new HomeostatError(
              'TIMEOUT',
              `reading ${topic}: nothing arrived for ${idleMs} ms; partitions not finished: ${left}`,
            ),
          );
        }, idleMs);
      };
      const finish = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      arm();
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        const { topic: t, partition, firstOffset, lastOffset } = e.payload;
        const r = pending.get(partition);
        if (r === undefined || t !== topic || firstOffset === null) return;
        arm();
        // A batch is a contiguous run of offsets; lastOffset counts transaction markers and
        // aborted records, which eachBatch never sees. A batch fetched before the seek took
        // effect may start below the range, which is fine: it covers what it holds.
        const c = covered.get(partition) as bigint;
        if (BigInt(firstOffset) <= c) {
          const last = BigInt(lastOffset) + 1n;
          if (last > c) covered.set(partition, last);
        }
        if ((covered.get(partition) as bigint) >= BigInt(r.end)) pending.delete(partition);
        if (pending.size === 0) finish();
      });
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      consumer
        .run({
          // Offsets are resolved in memory (the fetch position advances) but never committed.
          autoCommit: false,
          eachBatch: ({ batch }) => {
            const r = pending.get(batch.partition);
            if (r === undefined) return Promise.resolve();
            const end = BigInt(r.end);
            const into = messages.get(batch.partition) as RawMessage[];
            let next = nextOffset.get(batch.partition) as bigint;
            for (const m of batch.messages) {
              const o = BigInt(m.offset);
              // Below the range (fetched before the seek) or already taken (re-fetched after it).
              if (o < next) continue;
              if (o >= end) break;
              into.push({
                partition: batch.partition,
                offset: m.offset,
                timestamp: m.timestamp,
                key: m.key,
                value: m.value,
              });
              next = o + 1n;
              read++;
            }
            nextOffset.set(batch.partition, next);
            options.onProgress?.(read);
            return Promise.resolve();
          },
        })
        .then(() => {
          for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: r.start });
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await deleteGroup(kafka, groupId);
  }
  return result;
}
