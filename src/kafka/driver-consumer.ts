/**
 * The consumer skeleton every long-lived driver shares (the processor's, stage two's, the
 * executor's): a consumer of one topic in one group, read_committed, that
 *   - reports each join with the partitions of the topic it was given (onJoin);
 *   - steps over transaction markers and aborted records that end a partition, when the
 *     driver tracks positions (non-data.ts);
 *   - is replaced when kafkajs stops it for good, for as long as the driver is alive
 *     (consumer-replacement.ts), unless the error is one no new consumer would get past.
 * What a driver does with its records, and how it recovers, stays the driver's.
 */
import type { ConsumerConfig, ConsumerRunConfig } from 'kafkajs';
import { describeError } from '../errors';
import type { Logger } from '../ops/logger';
import { replaceWhenStoppedForGood } from './consumer-replacement';
import { keepValuesInPlace } from './fetched-record';
import { onNonDataSkipped } from './non-data';
import type { KafkaPort, PortConsumer } from './port';

export interface DriverConsumerOptions {
  kafka: KafkaPort;
  logger: Logger;
  /** What the logs call it, e.g. "the telemetry consumer". */
  what: string;
  topic: string;
  /**
   * The driver reads its records' values through `BatchDecoder.decodeFast` and copies no record:
   * its topic's records may keep their values in the fetch (fetched-record.ts).
   */
  valuesInPlace?: boolean;
  /** Where a group with no committed offset starts (the drivers that own state: the beginning). */
  fromBeginning: boolean;
  /** groupId, timeouts, assigners, fetch sizes: the consumer's settings beside read_committed. */
  config: ConsumerConfig;
  /** How records are handed over (eachBatch or eachMessage; autoCommit is always off). */
  run: Omit<ConsumerRunConfig, 'autoCommit'>;
  /** Whether the driver still runs: a consumer stopped for good is replaced only then. */
  alive(): boolean;
  /** A join of the group: the partitions of `topic` this member now holds, ascending. */
  onJoin(partitions: number[]): void;
  /** Drivers that track their positions: where a partition stands, and its move past non-data offsets. */
  nonData?: {
    positionOf(partition: number): bigint | undefined;
    skip(partition: number, next: bigint): void;
  };
  /** Called once a consumer that stopped for good is gone, before its replacement starts. */
  onReplace?(): void;
  /** An error no new consumer would get past: a message for onFatal, or undefined to replace. */
  fatal?(err: unknown): string | undefined;
  onFatal?(message: string, err: unknown): void;
}

export interface DriverConsumer {
  /** Creates, connects, subscribes and runs a consumer (resolves once the group is joined). */
  start(): Promise<void>;
  /** The consumer in use now (a replacement changes it). */
  current(): PortConsumer | undefined;
  /** Disconnects the current consumer (kafkajs lets the batch in hand finish first). */
  stop(): Promise<void>;
}

export function createDriverConsumer(o: DriverConsumerOptions): DriverConsumer {
  let consumer: PortConsumer | undefined;
  let releaseValues: (() => void) | undefined;
  const start = async (): Promise<void> => {
    const c = o.kafka.consumer({ readUncommitted: false, ...o.config });
    consumer = c;
    c.on(c.events.GROUP_JOIN, (e) => {
      o.onJoin([...(e.payload.memberAssignment[o.topic] ?? [])].sort((a, b) => a - b));
    });
    if (o.nonData) onNonDataSkipped(c, o.topic, o.nonData.positionOf, o.nonData.skip);
    replaceWhenStoppedForGood(c, {
      what: o.what,
      logger: o.logger,
      current: () => consumer,
      alive: o.alive,
      start,
      onReplace: o.onReplace,
      fatal: o.fatal,
      onFatal: o.onFatal,
    });
    // Once per driver consumer (a replacement starts again), until it stops.
    if (o.valuesInPlace === true && releaseValues === undefined) releaseValues = keepValuesInPlace(o.topic);
    await c.connect();
    await c.subscribe({ topic: o.topic, fromBeginning: o.fromBeginning });
    await c.run({ ...o.run, autoCommit: false });
  };
  return {
    start,
    current: () => consumer,
    async stop() {
      await consumer
        ?.disconnect()
        .catch((err: unknown) => o.logger.warn({ err: describeError(err) }, `${o.what}: disconnect failed`));
      releaseValues?.();
      releaseValues = undefined;
    },
  };
}
