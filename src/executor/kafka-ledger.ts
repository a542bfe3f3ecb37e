/**
 * The executor's ledger on Kafka. State lives in a compacted topic of its own
 * (`homeostat.executor.<name>.state`, one partition so that it reads back in one total
 * order), keyed so that compaction keeps exactly what a restart needs:
 *   `cmd:<id>`                 → the latest of applying/done for a command id (the seen-set)
 *   `lease:<target>␟<family>`  → the lease in force, or a tombstone once reverted
 * Every write is a transaction of one transactional producer: the intent alone (before
 * apply), then result + state + consumer offsets together (sendOffsets), so a crash can
 * never leave a result without its offset or an offset without its result.
 *
 * Restore reads the topic up to a marker record it writes first with a fresh nonce: the
 * end of a transactional topic is a commit marker a consumer never sees, so "read up to
 * the end offset" would wait for ever; "read until my own marker" cannot.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka, Message, Producer } from 'kafkajs';
import { COMMAND_FAMILIES, type CommandFamily } from '../model/command';
import { HomeostatError, describeError } from '../errors';
import type { OutputEncoder } from '../kafka/outputs';
import { connectTransactional } from '../kafka/transaction';
import { ensureTopics } from '../kafka/topics';
import type { Logger } from '../ops/logger';
import type { ExecutorLedger, LedgerCommit, StateEntry } from './types';
import { FastDefaultPartitioner } from '../kafka/partitioner';

export interface KafkaLedgerOptions {
  kafka: Kafka;
  stateTopic: string;
  /** Replication factor when the state topic is created (-1: the broker's default). */
  replicationFactor?: number;
  /** The state topic also deletes records older than this (compact,delete). Default 7 days. */
  retentionMs?: number;
  results: OutputEncoder<'action-result'>;
  /** The consumer group whose offsets are committed with each result. */
  groupId: string;
  transactionalId: string;
  logger: Logger;
  /** How long restore may take before giving up. Default 60 s. */
  restoreTimeoutMs?: number;
}

const MARKER_KEY = 'marker:restore';

export function stateKey(entry: StateEntry): string {
  return entry.kind === 'command' ? `cmd:${entry.commandId}` : `lease:${entry.target}\u001f${entry.family}`;
}

/** The state topic record of an entry: a lease removal is a tombstone, so compaction drops it. */
export function stateMessage(entry: StateEntry): Message {
  const value =
    entry.kind === 'lease' && entry.lease === null ? null : Buffer.from(JSON.stringify({ v: 1, ...entry }), 'utf8');
  return { key: stateKey(entry), value };
}

/** Inverse of stateMessage; null for markers and unreadable records. */
export function parseStateMessage(key: string, value: Buffer | null): StateEntry | null {
  if (value === null) {
    if (!key.startsWith('lease:')) return null;
    const [target, family] = key.slice('lease:'.length).split('\u001f');
    if (target === undefined || !COMMAND_FAMILIES.includes(family as CommandFamily)) return null;
    return { kind: 'lease', target, family: family as CommandFamily, lease: null };
  }
  try {
    const parsed = JSON.parse(value.toString('utf8')) as { v?: number; kind?: string } & Record<string, unknown>;
    if (parsed.v !== 1 || (parsed.kind !== 'command' && parsed.kind !== 'lease')) return null;
    const { v: _v, ...entry } = parsed;
    return entry as unknown as StateEntry;
  } catch {
    return null;
  }
}

export function createKafkaLedger(options: KafkaLedgerOptions): ExecutorLedger {
  const { kafka, stateTopic, logger } = options;
  let producer: Producer | undefined;
  /** Set when a transaction failed: kafkajs may have left the producer stuck (e.g. in ABORTING). */
  let renew = false;

  // Initialising the transactional id aborts any transaction a crashed predecessor (or a stuck
  // earlier incarnation of this one) left open (connectTransactional says why connect() alone does not).
  const connectProducer = (): Promise<Producer> =>
    connectTransactional(kafka, options.transactionalId, { createPartitioner: FastDefaultPartitioner });

  const transact = async (
    messages: Message[],
    stateMessages: Message[],
    offsets: LedgerCommit['offsets'],
  ): Promise<void> => {
    if (!producer) throw new HomeostatError('INVALID_STATE', 'executor ledger used before open()');
    if (renew) {
      // A transaction cut off by a broker outage can leave kafkajs's producer in a state that
      // fails every later transaction; a new producer with the same id fences the old one.
      await producer.disconnect().catch(() => undefined);
      try {
        producer = await connectProducer();
      } catch (err) {
        throw new HomeostatError('KAFKA', `executor ledger could not reconnect: ${describeError(err)}`, {
          cause: err,
          retriable: true,
        });
      }
      renew = false;
    }
    const tx = await producer.transaction().catch((err: unknown) => {
      renew = true;
      throw new HomeostatError('KAFKA', `executor transaction could not begin: ${describeError(err)}`, {
        cause: err,
        retriable: true,
      });
    });
    try {
      const topicMessages = [];
      if (messages.length > 0) topicMessages.push({ topic: options.results.topic, messages });
      if (stateMessages.length > 0) topicMessages.push({ topic: stateTopic, messages: stateMessages });
      if (topicMessages.length > 0) await tx.sendBatch({ topicMessages });
      if (offsets.length > 0)
        await tx.sendOffsets({ consumerGroupId: options.groupId, topics: offsetsByTopic(offsets) });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      renew = true;
      throw new HomeostatError('KAFKA', `executor transaction failed: ${describeError(err)}`, {
        cause: err,
        retriable: true,
      });
    }
  };

  return {
    async open() {
      await ensureStateTopic(options);
      // Restore then sees committed data only (see connectProducer).
      producer = await connectProducer();
      const nonce = randomBytes(12).toString('hex');
      await transact(
        [],
        [{ key: MARKER_KEY, value: Buffer.from(JSON.stringify({ v: 1, kind: 'marker', nonce })) }],
        [],
      );
      const entries = await readStateBack(options, nonce);
      logger.info({ topic: stateTopic, entries: entries.length }, 'executor state restored');
      return entries;
    },
    begin: (entry) => transact([], [stateMessage(entry)], []),
    commit: (c) =>
      transact(
        c.results.map((r) => options.results.message(r.target, r)),
        c.state.map(stateMessage),
        c.offsets,
      ),
    async close() {
      await producer?.disconnect();
      producer = undefined;
    },
  };
}

/** Creates the state topic (one partition, compact,delete) when it is missing. */
async function ensureStateTopic(options: KafkaLedgerOptions): Promise<void> {
  const { kafka, stateTopic, logger } = options;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { created } = await ensureTopics(admin, [
      {
        topic: stateTopic,
        numPartitions: 1,
        replicationFactor: options.replicationFactor ?? -1,
        configEntries: [
          { name: 'cleanup.policy', value: 'compact,delete' },
          { name: 'retention.ms', value: String(options.retentionMs ?? 7 * 24 * 3600 * 1000) },
        ],
      },
    ]);
    if (created.length > 0) logger.info({ topic: stateTopic }, 'created the executor state topic');
  } finally {
    await admin.disconnect();
  }
}

/** Consumer offsets grouped by topic, as sendOffsets takes them. */
function offsetsByTopic(
  offsets: LedgerCommit['offsets'],
): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const o of offsets)
    byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: o.offset }]);
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Reads the state topic from the beginning up to the restore marker carrying `nonce`. */
async function readStateBack(options: KafkaLedgerOptions, nonce: string): Promise<StateEntry[]> {
  const { kafka, stateTopic, logger } = options;
  const consumer = kafka.consumer({
    groupId: `${options.groupId}.restore-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
    maxWaitTimeInMs: 500,
  });
  const entries: StateEntry[] = [];
  const timeoutMs = options.restoreTimeoutMs ?? 60_000;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: stateTopic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new HomeostatError(
              'KAFKA',
              `restoring executor state from ${stateTopic} took over ${timeoutMs} ms; is the broker healthy?`,
              { retriable: true },
            ),
          ),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: ({ message }) => {
            const key = message.key?.toString('utf8') ?? '';
            if (key === MARKER_KEY) {
              if (message.value?.toString('utf8').includes(nonce)) {
                clearTimeout(timer);
                resolve();
              }
              return Promise.resolve();
            }
            const entry = parseStateMessage(key, message.value);
            if (entry !== null) entries.push(entry);
            else
              logger.warn(
                { topic: stateTopic, offset: message.offset, key },
                'unreadable executor state record skipped',
              );
            return Promise.resolve();
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return entries;
}
