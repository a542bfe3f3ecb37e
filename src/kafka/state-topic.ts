/**
 * Reading a compacted state topic back: the newest value of each key a reader asks for, as a
 * restarted process needs it. Read with read_committed from the start to the end, everything
 * committed before the read began; tombstones remove a key.
 */
import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { KafkaPort } from './port';
import { waitForLeaders } from './topics';

/**
 * Reads a whole topic once, read_committed, from the start to the high watermarks as the
 * first fetch sees them (at least the last stable offsets taken first), handing each record to
 * `onMessage`: everything committed before the read began. A partition is done when a batch
 * reaches its end; the end of a transactional topic is a commit marker a consumer never sees, so
 * batches are followed through kafkajs's END_BATCH_PROCESS event, which also reports batches
 * of markers and aborted records (as the topic replay does). Only a transaction still open at
 * the end keeps a partition from its high watermark: then reading stops after `quietMs`
 * without records, counted from the first fetch (never from before the group was joined).
 */
export async function readTopicToEnd(
  kafka: KafkaPort,
  topic: string,
  onMessage: (m: KafkaMessage, partition: number) => void,
  o: { timeoutMs?: number; quietMs?: number } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    // A state topic created a moment ago may not have its leader yet (KRaft answers
    // NOT_LEADER / UNKNOWN_TOPIC for a while): wait for it rather than fail the start.
    await waitForLeaders(admin, [topic]);
    ends = await retryRetriable(
      async () => new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)])),
    );
  } finally {
    await admin.disconnect();
  }
  const remaining = new Set([...ends.entries()].filter(([, h]) => h > 0n).map(([p]) => p));
  if (remaining.size === 0) return;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const quietMs = o.quietMs ?? 3_000;
  const sawHigh = new Set<number>();
  const consumer = kafka.consumer({
    groupId: `homeostat-reader-${process.pid}-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let quiet: NodeJS.Timeout | undefined;
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms reading ${topic}; is the broker healthy?`)),
        timeoutMs,
      );
      let finished = false;
      const done = (): void => {
        finished = true;
        clearTimeout(timer);
        if (quiet) clearTimeout(quiet);
        resolve();
      };
      const armQuiet = (): void => {
        // Events of the fetch that finished the read may still come: no timer outlives it.
        if (finished) return;
        if (quiet) clearTimeout(quiet);
        quiet = setTimeout(done, quietMs);
      };
      consumer.on(consumer.events.FETCH, () => {
        if (quiet === undefined) armQuiet();
      });
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        const { partition, lastOffset, highWatermark } = e.payload;
        // The end taken first is the last stable offset: with several writers (processes
        // sharing the partitions, stage two) a transaction of one that is still open holds it
        // below records another committed before this read began — a partition's last
        // histories, written by the owner just fenced. So read on to the high watermark the
        // first fetch reports: those transactions end within milliseconds.
        if (!sawHigh.has(partition)) {
          sawHigh.add(partition);
          const high = BigInt(highWatermark);
          if (high > (ends.get(partition) ?? 0n)) ends.set(partition, high);
        }
        if (BigInt(lastOffset) + 1n >= (ends.get(partition) ?? 0n)) remaining.delete(partition);
        if (remaining.size === 0) done();
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
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
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
