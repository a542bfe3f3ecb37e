/**
 * Follows the compacted control topic from its start for the life of the process: on start
 * it replays every pause, mode, exclusion and kill still in force (so they survive restarts),
 * then applies new records as they arrive (within the consumer's poll latency, well under a
 * second). It never commits offsets: every process reads the whole, small, compacted topic.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { createRecordCodec } from '../codec';
import { replaceWhenStoppedForGood } from './consumer-replacement';
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
    // Without it a kill switch pulled after a broker restart would be ignored. The replacement
    // re-reads the small compacted topic from its start; re-applying a record in force is a no-op.
    replaceWhenStoppedForGood(c, { what: 'the control reader', logger: opts.logger, current: () => consumer, alive: () => !stopped, start: startConsumer });
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
