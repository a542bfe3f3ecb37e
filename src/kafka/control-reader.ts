/**
 * Follows the compacted control topic from its start for the life of the process: on start
 * it replays every pause, mode, exclusion and kill still in force (so they survive restarts),
 * then applies new records as they arrive (within the consumer's poll latency, well under a
 * second). It never commits offsets: every process reads the whole, small, compacted topic.
 *
 * Only records signed by a configured operator key reach `onControl` (control-signature.ts);
 * the rest are refused, counted and logged (at most one line a second, so a flood of
 * forgeries cannot flood the log).
 */
import type { EachMessagePayload } from 'kafkajs';
import type { KafkaPort } from './port';
import { createRecordCodec } from '../codec';
import { createDriverConsumer } from './driver-consumer';
import { createLifecycle } from './lifecycle';
import type { ControlRecord } from '../guardrails/control';
import { controlAuthRefusal, createControlKeyring, type ControlKeyring } from '../guardrails/control-signature';
import { controlKeys } from '../ops/config-control';
import type { HomeostatConfig } from '../ops/config';
import { createKafka } from './client';
import { describeError } from '../errors';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';

export interface ControlReader {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ControlReaderOptions {
  kafka: KafkaPort;
  topic: string;
  logger: Logger;
  /** The operators' public keys; an empty keyring refuses every record. */
  keyring: ControlKeyring;
  metrics?: HomeostatMetrics;
  onControl(record: ControlRecord): void;
}

export function createControlReader(opts: ControlReaderOptions): ControlReader {
  const life = createLifecycle('the control reader');
  const consumer = createDriverConsumer({
    kafka: opts.kafka,
    logger: opts.logger,
    // Without it a kill switch pulled after a broker restart would be ignored. The replacement
    // re-reads the small compacted topic from its start; re-applying a record in force is a no-op.
    what: 'the control reader',
    topic: opts.topic,
    fromBeginning: true,
    config: {
      groupId: `homeostat-control-${process.pid}-${Date.now()}`,
      maxWaitTimeInMs: 250,
      // One member per group: after a broker restart the rejoin waits for the previous
      // incarnation's session to expire, so keep it short.
      sessionTimeout: 6_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 10_000,
    },
    run: { eachMessage: controlHandler(opts) },
    alive: () => life.is('STARTING', 'RUNNING'),
    onJoin: () => undefined,
  });
  return {
    async start() {
      life.to('STARTING');
      try {
        await consumer.start();
      } catch (err) {
        if (life.can('FAILED')) life.to('FAILED');
        throw err;
      }
      if (life.is('STARTING')) life.to('RUNNING');
    },
    async stop() {
      if (!life.can('DRAINING')) {
        if (life.can('STOPPED')) life.to('STOPPED');
        return;
      }
      life.to('DRAINING');
      // The reader commits nothing, so abandoning a disconnect stuck in a rejoin loses nothing.
      const c = consumer.current();
      if (c) {
        await Promise.race([
          c.disconnect().catch(() => undefined),
          new Promise<void>((r) => setTimeout(r, 5_000).unref()),
        ]);
      }
      life.to('STOPPED');
    },
  };
}

/** Decodes, authenticates and applies each control record; nothing it reads can stop the reader. */
function controlHandler(opts: ControlReaderOptions): (payload: EachMessagePayload) => Promise<void> {
  const decoder = createRecordCodec('control').createDecoder();
  const warn = rateLimitedWarn(opts.logger, 1_000);
  const count = (result: string): void => opts.metrics?.controlRecords.inc({ result });
  return ({ message, partition }) => {
    if (!message.value) return Promise.resolve(); // a tombstone: compaction cleaned a key
    const r = decoder.decodeSync(message.value);
    if (r.status !== 'ok') {
      count('unreadable');
      warn(
        { partition, offset: message.offset, err: r.status === 'invalid' ? r.error.message : 'unknown schema' },
        'ignoring an unreadable control record',
      );
      return Promise.resolve();
    }
    const forged = controlAuthRefusal(r.value, opts.keyring);
    if (forged !== undefined) {
      count('forged');
      warn(
        { offset: message.offset, kind: r.value.kind, issuedBy: r.value.issuedBy.slice(0, 128), reason: forged },
        'refused a control record: not signed by an operator key',
      );
      return Promise.resolve();
    }
    try {
      opts.onControl(r.value);
    } catch (err) {
      opts.logger.warn(
        { offset: message.offset, err: describeError(err) },
        'ignoring a control record that cannot be applied',
      );
    }
    return Promise.resolve();
  };
}

/**
 * The control reader as `homeostat run` builds it: the operators' keys from config.control.
 * Without any key the loop cannot be steered (every record is refused), which is the safe
 * default of a fresh install; the warning says how to set a key up.
 */
export function createConfiguredControlReader(
  config: Pick<HomeostatConfig, 'kafka' | 'topics' | 'control'>,
  o: { logger: Logger; metrics?: HomeostatMetrics; onControl(record: ControlRecord): void },
): ControlReader {
  const keyring = createControlKeyring(controlKeys(config.control));
  if (keyring.size === 0) {
    o.logger.warn(
      { topic: config.topics.control },
      'no operator key is configured (control.keys): every control record (kill, pause, mode, exclude) is refused. ' +
        "Create one with 'homeostat control keygen --out <file>' and add its public key to control.keys (docs/security.md)",
    );
  }
  return createControlReader({
    kafka: createKafka(config.kafka, o.logger),
    topic: config.topics.control,
    keyring,
    ...o,
  });
}

/** A warn logger that writes at most one line per `everyMs`, saying how many it left out. */
function rateLimitedWarn(logger: Logger, everyMs: number): (obj: Record<string, unknown>, msg: string) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (obj, msg) => {
    const now = Date.now();
    if (now - last < everyMs) {
      suppressed++;
      return;
    }
    logger.warn(suppressed > 0 ? { ...obj, suppressed } : obj, msg);
    last = now;
    suppressed = 0;
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
