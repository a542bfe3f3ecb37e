/**
 * Reading a compacted state topic back: the newest value of each key a reader asks for, as a
 * restarted process needs it. Read with read_committed from the start to the end, everything
 * committed before the read began; tombstones remove a key.
 */
import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { KafkaPort, PortConsumer } from './port';
import { ReadEnds } from './read-ends';
import { waitForLeaders } from './topics';

/**
 * Reads a whole topic once, read_committed, from the start to the high watermarks as the
 * first fetch sees them (at least the last stable offsets taken first), handing each record to
 * `onMessage`: everything committed before the read began. A partition is done when a batch
 * reaches its end; the end of a transactional topic is a commit marker a consumer never sees, so
 * batches are followed through kafkajs's END_BATCH_PROCESS event, which also reports batches
 * of markers and aborted records (as the topic replay does). Only a transaction still open at
 * the end keeps a partition from its high watermark: then reading stops after `quietMs`
 * without records — but never before every partition has reached the last stable offset taken
 * first (read-ends.ts); only `timeoutMs` ends a read that cannot get there.
 */
export async function readTopicToEnd(
  kafka: KafkaPort,
  topic: string,
  onMessage: (m: KafkaMessage, partition: number) => void,
  o: { timeoutMs?: number; quietMs?: number } = {},
): Promise<void> {
  const ends = await stableEnds(kafka, topic);
  if (ends.done) return;
  const consumer = kafka.consumer({
    groupId: `homeostat-reader-${process.pid}-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await readUntilEnds(consumer, topic, ends, onMessage, {
      timeoutMs: o.timeoutMs ?? 60_000,
      quietMs: o.quietMs ?? 3_000,
    });
  } finally {
    await consumer.disconnect();
  }
}

/** The log starts and last stable offsets (kafkajs's admin lists offsets read_committed) before the read. */
async function stableEnds(kafka: KafkaPort, topic: string): Promise<ReadEnds> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // A state topic created a moment ago may not have its leader yet (KRaft answers
    // NOT_LEADER / UNKNOWN_TOPIC for a while): wait for it rather than fail the start.
    await waitForLeaders(admin, [topic]);
    const offsets = await retryRetriable(() => admin.fetchTopicOffsets(topic));
    return new ReadEnds(offsets.map((p) => ({ partition: p.partition, low: BigInt(p.low), stable: BigInt(p.high) })));
  } finally {
    await admin.disconnect();
  }
}

/** Runs the subscribed consumer until `ends` are reached, or quiet past the stable ends, or the timeout. */
function readUntilEnds(
  consumer: PortConsumer,
  topic: string,
  ends: ReadEnds,
  onMessage: (m: KafkaMessage, partition: number) => void,
  o: { timeoutMs: number; quietMs: number },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let quiet: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (err?: Error): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (quiet) clearTimeout(quiet);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => {
      const short = ends.shortOfStable();
      const where = short === '' ? '' : ` (partitions short of their committed end: ${short})`;
      finish(new Error(`timed out after ${o.timeoutMs} ms reading ${topic}${where}; is the broker healthy?`));
    }, o.timeoutMs);
    // Events of the fetch that finished the read may still come: no timer outlives it.
    const armQuiet = (): void => {
      if (finished || !ends.mayStopWhenQuiet) return;
      if (quiet) clearTimeout(quiet);
      quiet = setTimeout(() => finish(), o.quietMs);
    };
    consumer.on(consumer.events.FETCH, () => {
      if (quiet === undefined) armQuiet();
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const { partition, lastOffset, highWatermark } = e.payload;
      ends.batch(partition, BigInt(lastOffset), BigInt(highWatermark));
      if (ends.done) finish();
      else armQuiet();
    });
    consumer
      .run({
        autoCommit: false,
        eachBatch: ({ batch }) => {
          for (const m of batch.messages) onMessage(m, batch.partition);
          return Promise.resolve();
        },
      })
      .catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
  });
}

/** The newest value of every key `keep` accepts (read_committed, from the start to the end). */
export async function readCompacted(
  kafka: KafkaPort,
  topic: string,
  keep: (key: string) => boolean,
): Promise<Map<string, Buffer>> {
  const latest = new Map<string, Buffer>();
  await readTopicToEnd(kafka, topic, (m) => {
    const key = m.key?.toString();
    if (key === undefined || !keep(key)) return;
    if (m.value === null) latest.delete(key);
    else latest.set(key, m.value);
  });
  return latest;
}

/** The newest value of one key of a compacted topic. */
export async function readLatest(kafka: KafkaPort, topic: string, key: string): Promise<Buffer | undefined> {
  return (await readCompacted(kafka, topic, (k) => k === key)).get(key);
}

/** Retries an admin call on kafkajs errors marked retriable (leader moves, topic not yet known). */
async function retryRetriable<T>(op: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await op();
    } catch (err) {
      if (i + 1 >= attempts || (err as { retriable?: boolean }).retriable !== true) throw err;
      await new Promise((r) => setTimeout(r, 100 * Math.min(10, i + 1)));
    }
  }
}
