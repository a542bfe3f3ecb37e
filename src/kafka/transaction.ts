/**
 * Writing one transaction: outputs, then the consumed offsets (sendOffsets), then commit —
 * or abort, so that outputs and offsets are committed together or not at all.
 */
import type { Message, ProducerConfig, TopicMessages } from 'kafkajs';
import type { PortProducer, TransactionOffsets } from './port';
import { producerConfig } from './client';
import { messageBytes, type OutputGuard } from './output-guard';

/**
 * How a transactional producer retries. A transaction that follows another at once finds
 * the coordinator still writing the last one's markers, and its first send is refused with
 * CONCURRENT_TRANSACTIONS, which kafkajs retries like any retriable error — after 300 ms by
 * default. The markers take a few milliseconds, so that wait was most of a command's latency
 * whenever a closing window's batch came right after another (p99 300–370 ms instead of
 * ~60 ms in bench/latency.ts). So retries start at 20 ms, doubling up to 30 s — and never
 * stop, as kafkajs does for an idempotent producer by default: a limited count lets a retried
 * send give up mid-transaction, which kafkajs warns "may invalidate EoS guarantees".
 */
export const TRANSACTIONAL_RETRY: NonNullable<ProducerConfig['retry']> = {
  initialRetryTime: 20,
  retries: Number.MAX_SAFE_INTEGER,
  maxRetryTime: 30_000,
};

/** A transactional producer's options: idempotent, one request in flight, the retry above. */
export function transactionalProducerConfig(
  transactionalId: string,
  extra: Partial<ProducerConfig> = {},
): ProducerConfig {
  return producerConfig({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: TRANSACTIONAL_RETRY,
    ...extra,
  });
}

/**
 * A transactional producer, connected and holding its transactional id — which fences every
 * earlier holder: its open transaction is finished or aborted, and any later send or commit
 * of it is refused. kafkajs's connect() does not do this (it asks for a plain idempotent
 * producer id and leaves the transactional one to the first transaction()), so a process
 * that took a partition over could read its committed offsets and histories while the
 * previous owner could still commit, or while the dead owner's open transaction still held
 * the topics' last stable offsets. Beginning and aborting an empty transaction initialises
 * the id and sends nothing else (kafkajs ends an empty transaction locally).
 */
export async function connectTransactional<P extends PortProducer>(
  kafka: { producer(config: ProducerConfig): P },
  transactionalId: string,
  extra: Partial<ProducerConfig> = {},
): Promise<P> {
  const producer = kafka.producer(transactionalProducerConfig(transactionalId, extra));
  await producer.connect();
  try {
    const tx = await producer.transaction();
    await tx.abort();
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
  return producer;
}

/**
 * Kafka refuses a record batch above the broker's message.max.bytes (1 MiB by default), and a
 * batch of windows closing at once (sketches included) can exceed that; so a transaction's
 * messages are sent in requests of at most this many bytes.
 */
const MAX_REQUEST_BYTES = 512 * 1024;

export function chunkMessages(topicMessages: TopicMessages[], maxBytes: number): TopicMessages[][] {
  const chunks: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let bytes = 0;
  for (const tm of topicMessages) {
    let part: Message[] = [];
    for (const m of tm.messages) {
      const b = 64 + messageBytes(m);
      if (bytes + b > maxBytes && bytes > 0) {
        if (part.length > 0) current.push({ topic: tm.topic, messages: part });
        chunks.push(current);
        current = [];
        part = [];
        bytes = 0;
      }
      part.push(m);
      bytes += b;
    }
    if (part.length > 0) current.push({ topic: tm.topic, messages: part });
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The transaction coordinator answers CONCURRENT_TRANSACTIONS while it is still writing the
 * markers of the previous transaction; the Java client retries it, kafkajs does not.
 */
export async function whileConcurrent<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type !== 'CONCURRENT_TRANSACTIONS' || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, Math.min(100, 5 * 2 ** attempt)));
    }
  }
}

/**
 * Sends `topicMessages` and `offsets` in one transaction of `producer` and commits it; aborts and
 * rethrows on failure. With a `guard`, a record its topic would refuse is dead-lettered instead
 * (output-guard.ts), and no request is larger than its topic's limit.
 */
export async function writeTransaction(
  producer: PortProducer,
  topicMessages: readonly TopicMessages[],
  offsets?: TransactionOffsets,
  guard?: OutputGuard,
): Promise<void> {
  const fitted = guard ? guard.fit(topicMessages) : { topicMessages, refused: 0 };
  const tx = await producer.transaction();
  try {
    // One topic per request: kafkajs adds the partitions of concurrent sends to the
    // transaction concurrently, which the coordinator refuses (CONCURRENT_TRANSACTIONS).
    for (const tm of fitted.topicMessages) {
      const max = guard ? guard.requestBytes(tm.topic, MAX_REQUEST_BYTES) : MAX_REQUEST_BYTES;
      for (const chunk of chunkMessages([tm], max)) await whileConcurrent(() => tx.sendBatch({ topicMessages: chunk }));
    }
    if (offsets) await whileConcurrent(() => tx.sendOffsets(offsets));
    await tx.commit();
  } catch (err) {
    await tx.abort().catch(() => undefined);
    throw err;
  }
  guard?.committed(fitted.refused);
}
