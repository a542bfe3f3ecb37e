/**
 * createExecutor: the executor SDK on Kafka. Consumes the actions topic (read_committed,
 * its own consumer group), decodes Avro or JSON commands, and runs each one through the
 * core (core.ts) — check, intent, apply/revert, result — one at a time; a wall-clock
 * timer reverts leases that lapse without renewal, so a dead processor fails safe.
 *
 * Lifecycle: INITIALIZED → STARTING → RUNNING → DRAINING → STOPPED (or FAILED / KILLED).
 * `stop()` lets the command in flight finish and leaves leases in force (a restart or a
 * deploy must not undo what the processor decided); `kill()` abandons everything at once.
 */
import type { Consumer, EachMessagePayload } from 'kafkajs';
import {
  createRecordCodec,
  type ActionResultRecord,
  type ActionStatus,
  type CommandRecord,
  type RecordDecoder,
} from '../codec';
import { HomeostatError, InputError, describeError } from '../errors';
import { createKafka, explainKafkaError } from '../kafka/client';
import { createOutputEncoder } from '../kafka/outputs';
import { createRegistryResolver } from '../kafka/registry';
import { silentLogger } from '../ops/logger';
import { createExecutorCore, type ExecutorCore, type Incoming } from './core';
import { createKafkaLedger } from './kafka-ledger';
import { checkExecutorOptions, resolveNames, type ExecutorOptions } from './options';
import type { ExecutorLease, ExecutorLedger } from './types';
import { replaceWhenStoppedForGood } from '../kafka/consumer-replacement';

export type ExecutorStatus = 'INITIALIZED' | 'STARTING' | 'RUNNING' | 'DRAINING' | 'STOPPED' | 'FAILED' | 'KILLED';

export interface Executor {
  readonly name: string;
  /** Connect, restore state from the ledger, join the group and start consuming. */
  start(): Promise<void>;
  /** Finish the command in flight, then disconnect. Leases stay in force (and in the state topic). */
  stop(): Promise<void>;
  /** Abandon the apply in flight and write nothing more: a crash, as the rest of the system sees it. */
  kill(): Promise<void>;
  status(): ExecutorStatus;
  /** Running and assigned its partitions. */
  ready(): boolean;
  leases(): ExecutorLease[];
  counts(): Readonly<Record<ActionStatus, number>>;
  /** Look for lapsed leases now (the timer does it every leaseCheckIntervalMs). */
  checkLeases(): Promise<ActionResultRecord[]>;
}

export function createExecutor(options: ExecutorOptions): Executor {
  checkExecutorOptions(options);
  const logger = (options.logger ?? silentLogger()).child({ executor: options.name });
  const names = resolveNames(options);
  const kafka = createKafka(options.kafka, logger);
  let status: ExecutorStatus = 'INITIALIZED';
  let consumer: Consumer | undefined;
  let ledger: ExecutorLedger | undefined;
  let core: ExecutorCore | undefined;
  let decoder: RecordDecoder<CommandRecord> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let joined = false;
  let chain: Promise<unknown> = Promise.resolve();

  const transition = (next: ExecutorStatus): void => {
    logger.info({ from: status, to: next }, 'executor state');
    status = next;
  };

  /** One job at a time: message handling and lease checks share the ledger and the lease table. */
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const p = chain.then(job);
    chain = p.catch(() => undefined);
    return p;
  };

  const decode = async (payload: EachMessagePayload): Promise<Incoming> => {
    const key = payload.message.key?.toString('utf8') ?? null;
    try {
      const record = await decoder!.decode(payload.message.value);
      // The codec checked the record against schemas/command.avsc; an unknown type string is
      // simply not one of this executor's types, and the core skips it.
      return { key, command: record };
    } catch (err) {
      if (err instanceof InputError) return { key, command: null, error: `${err.code}: ${err.message}` };
      throw err; // registry unreachable: retriable, kafkajs redelivers the message
    }
  };

  const eachMessage = async (payload: EachMessagePayload): Promise<void> => {
    const { topic, partition, message } = payload;
    const incoming = await decode(payload);
    const offset = { topic, partition, offset: (BigInt(message.offset) + 1n).toString() };
    await serial(() => core!.handle(incoming, offset));
  };

  const checkLeases = (): Promise<ActionResultRecord[]> => {
    if (!core) return Promise.resolve([]);
    return serial(() => core!.checkLeases());
  };

  const shutdown = async (): Promise<void> => {
    if (timer) clearInterval(timer);
    timer = undefined;
    await consumer
      ?.disconnect()
      .catch((err: unknown) => logger.warn({ err: describeError(err) }, 'consumer disconnect failed'));
    await chain;
    await ledger?.close().catch((err: unknown) => logger.warn({ err: describeError(err) }, 'ledger close failed'));
  };

  const startConsumer = async (): Promise<void> => {
    const c = kafka.consumer({
      groupId: names.groupId,
      readUncommitted: false,
      sessionTimeout: options.kafka.sessionTimeoutMs,
      heartbeatInterval: options.kafka.heartbeatIntervalMs,
      // Commands are rare: a short fetch wait costs little and lets stop() return within a second.
      maxWaitTimeInMs: 1_000,
    });
    consumer = c;
    c.on(c.events.GROUP_JOIN, (e) => {
      const assigned = new Set<number>(e.payload.memberAssignment[options.topics.actions] ?? []);
      core?.retainOffsets((o) => assigned.has(o.partition));
      joined = true;
      logger.info({ partitions: [...assigned].sort((a, b) => a - b) }, 'actions partitions assigned');
    });
    // A replacement resumes from the committed offsets; the seen-set keeps a redelivered
    // command from being applied twice.
    replaceWhenStoppedForGood(c, {
      what: 'the actions consumer',
      logger,
      current: () => consumer,
      alive: () => status === 'RUNNING',
      start: startConsumer,
    });
    await c.connect();
    await c.subscribe({ topic: options.topics.actions, fromBeginning: options.fromBeginning ?? false });
    await c.run({ autoCommit: false, eachMessage });
  };

  return {
    name: options.name,
    async start() {
      if (status !== 'INITIALIZED')
        throw new HomeostatError('INVALID_STATE', `start() called in state ${status}; create a new executor`);
      transition('STARTING');
      try {
        const resolver = options.registry ? createRegistryResolver(options.registry) : undefined;
        decoder = createRecordCodec('command').createDecoder({ resolver });
        if (options.dedupStore) ledger = options.dedupStore;
        else {
          const format = options.resultsFormat ?? (resolver ? 'avro' : 'json');
          ledger = createKafkaLedger({
            kafka,
            stateTopic: names.stateTopic,
            replicationFactor: options.stateReplicationFactor,
            retentionMs: options.stateRetentionMs,
            results: await createOutputEncoder('action-result', options.topics.actionResults, format, resolver),
            groupId: names.groupId,
            transactionalId: names.transactionalId,
            logger,
          });
        }
        core = createExecutorCore({ ...options, logger, ledger });
        core.restore(await ledger.open());
        await startConsumer();
        timer = setInterval(() => {
          checkLeases().catch((err: unknown) =>
            logger.error({ err: describeError(err) }, 'lease check failed; retrying on the next tick'),
          );
        }, options.leaseCheckIntervalMs ?? 1_000);
        timer.unref();
        transition('RUNNING');
      } catch (err) {
        transition('FAILED');
        await shutdown();
        throw err instanceof HomeostatError ? err : explainKafkaError(err, options.kafka.brokers);
      }
    },
    async stop() {
      if (status === 'STOPPED' || status === 'KILLED') return;
      if (status === 'INITIALIZED') {
        status = 'STOPPED';
        return;
      }
      transition('DRAINING');
      await shutdown();
      transition('STOPPED');
    },
    async kill() {
      if (status === 'STOPPED' || status === 'KILLED') return;
      core?.kill();
      transition('KILLED');
      await shutdown();
    },
    status: () => status,
    ready: () => status === 'RUNNING' && joined,
    leases: () => core?.leases() ?? [],
    counts: () =>
      core?.counts() ?? { applied: 0, rejected: 0, failed: 0, reverted: 0, expired: 0, shadowed: 0, duplicate: 0 },
    checkLeases,
  };
}
