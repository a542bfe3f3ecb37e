/**
 * The processor's transactional writer: its producers, the fencing of their predecessors, the
 * one chain every transaction of the process runs on, and the commit/abort metrics.
 *
 * Single owner: one transactional id for the group's owner, whichever process it is
 * (`<prefix>-owner`), taken when a process is given the partitions and let go when it stands
 * by. Shared partitions: one per telemetry partition, whoever owns it (`<prefix>-p<partition>`).
 * Either way the new owner's producer fences the old owner's (the pattern of Kafka Streams
 * before KIP-447; kafkajs's sendOffsets cannot fence by group generation): a process that lost
 * its partitions without knowing it — paused past its session, cut off from the group — can no
 * longer commit what the new owner also reads.
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
  /** Dead-letters an output its topic would refuse instead of sending it (output-guard.ts). */
  guard?: OutputGuard;
}

/** The single owner's transactional id is `<prefix>-owner`, the same in every process of the group. */
const OWNER_SUFFIX = 'owner';

/** The key of a producer: the process's own (undefined) or a partition's. */
export type ProducerKey = number | undefined;

export class TransactionalWriter {
  /** One transaction at a time: batches, idle flushes and producer renewals share the producers. */
  private readonly chain = createSerial();
  private own: PortProducer | undefined;
  private readonly byPartition = new Map<number, PortProducer>();

  constructor(private readonly o: TransactionalWriterOptions) {}

  transactionalIdOf(partition: ProducerKey): string {
    const suffix = partition === undefined ? OWNER_SUFFIX : `p${partition}`;
    return `${this.o.transactionalIdPrefix}-${suffix}`;
  }

  /** Runs `fn` after every transaction queued before it, whether they failed or not. */
  serialized<T>(fn: () => Promise<T>): Promise<T> {
    return this.chain.run(fn);
  }

  /**
   * Single owner, given the partitions (at a takeover, and after a failed batch): a new producer
   * with the owner's transactional id. Initialising it fences the last owner's producer — a
   * zombie's, or one of this process left stuck by a transaction a broker outage cut off (e.g.
   * in COMMITTING, failing every later beginTransaction) — and has the coordinator finish or
   * abort its open transaction first, so the offsets and state read after it are final.
   */
  renewOwn(): Promise<void> {
    return this.serialized(async () => {
      await this.own?.disconnect().catch(() => undefined);
      this.own = undefined;
      this.own = await connectTransactional(this.o.kafka, this.transactionalIdOf(undefined));
    });
  }

  /**
   * Single owner, standing by (or holding part of the partitions): no producer. Taking the
   * owner's transactional id here would fence the process that owns the partitions.
   */
  releaseOwn(): Promise<void> {
    return this.serialized(async () => {
      await this.own?.disconnect().catch(() => undefined);
      this.own = undefined;
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

  /** Whether the process holds the owner's producer (single owner, given the partitions). */
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
