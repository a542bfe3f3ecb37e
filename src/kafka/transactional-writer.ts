/**
 * The processor's transactional writer: its producers, the fencing of their predecessors, the
 * one chain every transaction of the process runs on, and the commit/abort metrics.
 *
 * Single owner: one transactional id per process (`<prefix>-<instanceId>`). Shared partitions:
 * one per telemetry partition, whoever owns it (`<prefix>-p<partition>`) — the new owner's
 * producer fences the old owner's (the pattern of Kafka Streams before KIP-447; kafkajs's
 * sendOffsets cannot fence by group generation).
 */
import type { TopicMessages } from 'kafkajs';
import { HomeostatError, describeError } from '../errors';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import type { KafkaPort, PortProducer, TransactionOffsets } from './port';
import { connectTransactional, writeTransaction } from './transaction';
import { createSerial } from './serial';
import type { OutputGuard } from './output-guard';

export interface TransactionalWriterOptions {
  kafka: KafkaPort;
  logger: Logger;
  metrics?: HomeostatMetrics;
  transactionalIdPrefix: string;
  /** Appended to the prefix in single-owner mode; stable per instance so a zombie is fenced. */
  instanceId?: string;
  /** Dead-letters an output its topic would refuse instead of sending it (output-guard.ts). */
  guard?: OutputGuard;
}

/** The key of a producer: the process's own (undefined) or a partition's. */
export type ProducerKey = number | undefined;

export class TransactionalWriter {
  /** One transaction at a time: batches, idle flushes and producer renewals share the producers. */
  private readonly chain = createSerial();
  private own: PortProducer | undefined;
  private readonly byPartition = new Map<number, PortProducer>();

  constructor(private readonly o: TransactionalWriterOptions) {}

  transactionalIdOf(partition: ProducerKey): string {
    const suffix = partition === undefined ? (this.o.instanceId ?? '0') : `p${partition}`;
    return `${this.o.transactionalIdPrefix}-${suffix}`;
  }

  /** Runs `fn` after every transaction queued before it, whether they failed or not. */
  serialized<T>(fn: () => Promise<T>): Promise<T> {
    return this.chain.run(fn);
  }

  /** Single owner at start: the producer first, fencing this instance's predecessor and ending its open transaction. */
  async connectOwn(): Promise<void> {
    this.own = await connectTransactional(this.o.kafka, this.transactionalIdOf(undefined));
  }

  /**
   * Single owner after a failed batch: a transaction cut off by a broker outage can leave
   * kafkajs's producer stuck (e.g. in COMMITTING), failing every later beginTransaction. A new
   * producer with the same transactional id fences the old one and has the coordinator finish
   * or abort the cut-off transaction first, so the offsets read after it are the final ones.
   */
  renewOwn(): Promise<void> {
    return this.serialized(async () => {
      await this.own?.disconnect().catch(() => undefined);
      this.own = await connectTransactional(this.o.kafka, this.transactionalIdOf(undefined));
    });
  }

  /**
   * Shared partitions: a fresh producer per owned partition whose transactional id,
   * initialised at once, fences the partition's previous owner and ends its open transaction.
   */
  renewPartitions(partitions: Iterable<number>): Promise<void> {
    return this.serialized(async () => {
      await Promise.all([...this.byPartition.values()].map((pp) => pp.disconnect().catch(() => undefined)));
      this.byPartition.clear();
      for (const p of partitions)
        this.byPartition.set(p, await connectTransactional(this.o.kafka, this.transactionalIdOf(p)));
    });
  }

  /** Reads the output topics' limits once, at start (output-guard.ts). */
  async loadLimits(): Promise<void> {
    await this.o.guard?.load(this.o.kafka);
  }

  /** Whether the process's own producer is connected (single owner, after start). */
  hasOwn(): boolean {
    return this.own !== undefined;
  }

  /**
   * One batch's transaction on the producer of `key`: outputs and offsets together or not at
   * all. Counted as committed or aborted; a failure is rethrown for the driver to reset.
   */
  async commit(key: ProducerKey, topicMessages: readonly TopicMessages[], offsets: TransactionOffsets): Promise<void> {
    const producer = key === undefined ? this.own : this.byPartition.get(key);
    if (!producer) {
      throw new HomeostatError(
        'INVALID_STATE',
        `no transactional producer for partition ${key}; the state will be rebuilt`,
      );
    }
    try {
      await writeTransaction(producer, topicMessages, offsets, this.o.guard);
    } catch (err) {
      this.o.metrics?.transactions.inc({ result: 'aborted' });
      throw err;
    }
    this.o.metrics?.transactions.inc({ result: 'committed' });
  }

  /** Output without offsets on the process's own producer (an extension's pending decisions). */
  writeOwn(topicMessages: readonly TopicMessages[]): Promise<void> {
    return this.own ? writeTransaction(this.own, topicMessages, undefined, this.o.guard) : Promise.resolve();
  }

  async close(): Promise<void> {
    await Promise.all([...this.byPartition.values()].map((pp) => pp.disconnect().catch(() => undefined)));
    await this.own
      ?.disconnect()
      .catch((err: unknown) => this.o.logger.warn({ err: describeError(err) }, 'producer disconnect failed'));
  }
}
