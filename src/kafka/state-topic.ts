/**
 * Reading a compacted state topic back: the newest value of each key a reader asks for, as a
 * restarted process needs it. Read with read_committed from the start to the end offsets
 * taken first; tombstones remove a key.
 */
import type { Kafka } from 'kafkajs';
import { waitForLeaders } from './topics';

/** The newest value of every key `keep` accepts (read_committed, from the start to the end). */
export async function readCompacted(kafka: Kafka, topic: string, keep: (key: string) => boolean): Promise<Map<string, Buffer>> {
  const latest = new Map<string, Buffer>();
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    // A state topic created a moment ago may not have its leader yet (KRaft answers
    // NOT_LEADER / UNKNOWN_TOPIC for a while): wait for it rather than fail the start.
    await waitForLeaders(admin, [topic]);
    ends = await retryRetriable(async () => new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)])));
  } finally {
    await admin.disconnect();
  }
  // Nothing to read when every partition is empty.
  if ([...ends.values()].every((h) => h === 0n)) return latest;
  const consumer = kafka.consumer({ groupId: `homeostat-state-reader-${process.pid}-${Date.now()}`, readUncommitted: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const remaining = new Set([...ends.entries()].filter(([, h]) => h > 0n).map(([p]) => p));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out reading the state topic ${topic}`)), 60_000);
      // Transaction markers and aborted records are invisible to a read_committed reader, so
      // the last visible offset can stay below the high watermark: a short quiet spell after
      // the last batch also means "caught up".
      let idle: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        if (idle) clearTimeout(idle);
        resolve();
      };
      const armIdle = (): void => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(done, 1500);
      };
      armIdle();
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const key = m.key?.toString();
              if (key === undefined || !keep(key)) continue;
              if (m.value === null) latest.delete(key);
              else latest.set(key, m.value);
            }
            const high = ends.get(batch.partition) ?? 0n;
            if (BigInt(batch.lastOffset()) + 1n >= high) remaining.delete(batch.partition);
            if (remaining.size === 0) done();
            else armIdle();
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return latest;
}

/** The newest value of one key of a compacted topic. */
export async function readLatest(kafka: Kafka, topic: string, key: string): Promise<Buffer | undefined> {
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
