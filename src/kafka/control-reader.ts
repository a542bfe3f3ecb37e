/**
 * Follows the compacted control topic from its start for the life of the process: on start
 * it replays every pause, mode, exclusion and kill still in force (so they survive restarts),
 * then applies new records as they arrive (within the consumer's poll latency, well under a
 * second). It never commits offsets: every process reads the whole, small, compacted topic.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { createRecordCodec } from '../codec';
import type { ControlRecord } from '../guardrails/control';
import { describeError } from '../errors';
import type { Logger } from '../ops/logger';

export interface ControlReader {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createControlReader(opts: {
  kafka: Kafka;
  topic: string;
  logger: Logger;
  onControl(record: ControlRecord): void;
}): ControlReader {
  const decoder = createRecordCodec('control').createDecoder();
  let consumer: Consumer | undefined;
  let stopped = false;
  /**
   * kafkajs gives a consumer up for good after a non-retriable error (e.g. "Failed to find
   * group coordinator" while a broker restarts): the kill switch would then be ignored until
   * the process restarts. A crashed consumer is replaced; the new one re-reads the small
   * compacted topic from its start, and re-applying a record already in force changes nothing.
   */
  const startConsumer = async (): Promise<void> => {
    const c = opts.kafka.consumer({
      groupId: `homeostat-control-${process.pid}-${Date.now()}`,
      readUncommitted: false,
      maxWaitTimeInMs: 250,
      // One member per group: after a broker restart the rejoin waits for the previous
      // incarnation's session to expire, so keep it short.
      sessionTimeout: 6_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 10_000,
    });
    consumer = c;
    c.on(c.events.CRASH, (e) => {
      if (e.payload.restart || stopped || consumer !== c) return;
      opts.logger.error({ err: describeError(e.payload.error) }, 'the control reader stopped after a non-retriable error; replacing it');
      void c
        .disconnect()
        .catch(() => undefined)
        .then(() => startConsumer())
        .catch((err: unknown) => opts.logger.error({ err: describeError(err) }, 'could not restart the control reader'));
    });
    await c.connect();
    await c.subscribe({ topic: opts.topic, fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        if (!message.value) return; // a tombstone: compaction cleaned a key
        const r = decoder.decodeSync(message.value);
        if (r.status !== 'ok') {
          opts.logger.warn({ partition, offset: message.offset, err: r.status === 'invalid' ? r.error.message : 'unknown schema' }, 'ignoring an unreadable control record');
          return;
        }
        try {
          opts.onControl(r.value);
        } catch (err) {
          opts.logger.warn({ offset: message.offset, err: describeError(err) }, 'ignoring a control record that cannot be applied');
        }
        return Promise.resolve();
      },
    });
  };
  return {
    async start() {
      await startConsumer();
    },
    async stop() {
      stopped = true;
      // The reader commits nothing, so abandoning a disconnect stuck in a rejoin loses nothing.
      const c = consumer;
      if (!c) return;
      await Promise.race([c.disconnect().catch(() => undefined), new Promise<void>((r) => setTimeout(r, 5_000).unref())]);
    },
  };
}

/**
 * Key of a control record on the compacted topic: records that cancel each other share a
 * key (pause/resume, exclude/include, kill/unkill), so compaction keeps the one in force.
 */
export function controlKey(r: Pick<ControlRecord, 'kind' | 'policy' | 'target'>): string {
  const p = r.policy ?? '*';
  switch (r.kind) {
    case 'pause':
    case 'resume':
      return `pause/${p}`;
    case 'mode':
      return `mode/${p}`;
    case 'exclude':
    case 'include':
      return `exclude/${p}/${r.target ?? '*'}`;
    case 'kill':
    case 'unkill':
      return 'kill';
  }
}
