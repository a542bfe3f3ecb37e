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
import type { EachMessagePayload, Kafka } from 'kafkajs';
import {
  createRecordCodec,
  type ActionResultRecord,
  type ActionStatus,
  type CommandRecord,
  type RecordDecoder,
  type SchemaResolver,
} from '../codec';
import { HomeostatError, InputError, describeError } from '../errors';
import { createKafka, explainKafkaError } from '../kafka/client';
import { createDriverConsumer, type DriverConsumer, type DriverConsumerOptions } from '../kafka/driver-consumer';
import { createLifecycle, type LifecycleState } from '../kafka/lifecycle';
import { createOutputEncoder } from '../kafka/outputs';
import type { KafkaPort } from '../kafka/port';
import { createRegistryResolver } from '../kafka/registry';
import { createSerial } from '../kafka/serial';
import { silentLogger, type Logger } from '../ops/logger';
import { createExecutorCore, type ExecutorCore, type Incoming } from './core';
import { createKafkaLedger } from './kafka-ledger';
import { checkExecutorOptions, resolveNames, type ExecutorOptions, type ResolvedNames } from './options';
import type { ExecutorLease, ExecutorLedger } from './types';

/** The executor's lifecycle (kafka/lifecycle.ts): KILLED is its kill(). */
export type ExecutorStatus = LifecycleState;

/** What a test can put in place of the real thing. */
export interface ExecutorSeams {
  /**
   * The client the actions consumer is made from (a fake in unit tests); default: kafkajs
   * from options.kafka. The Kafka ledger keeps the real client: give `dedupStore` with it.
   */
  kafka?: KafkaPort;
}

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

export function createExecutor(options: ExecutorOptions, seams: ExecutorSeams = {}): Executor {
  checkExecutorOptions(options);
  const logger = (options.logger ?? silentLogger()).child({ executor: options.name });
  const names = resolveNames(options);
  const kafka = createKafka(options.kafka, logger);
  const life = createLifecycle('executor');
  let ledger: ExecutorLedger | undefined;
  let core: ExecutorCore | undefined;
  let decoder: RecordDecoder<CommandRecord> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let joined = false;
  /** One job at a time: message handling and lease checks share the ledger and the lease table. */
  const serial = createSerial();

  const transition = (next: ExecutorStatus): void => {
    const from = life.state();
    life.to(next);
    logger.info({ from, to: next }, 'executor state');
  };

  const eachMessage = async (payload: EachMessagePayload): Promise<void> => {
    const { topic, partition, message } = payload;
    const incoming = await decodeCommand(decoder!, payload);
    const offset = { topic, partition, offset: (BigInt(message.offset) + 1n).toString() };
    await serial.run(() => core!.handle(incoming, offset));
  };

  const checkLeases = (): Promise<ActionResultRecord[]> => {
    if (!core) return Promise.resolve([]);
    return serial.run(() => core!.checkLeases());
  };

  const consumer = actionsConsumer(options, {
    kafka: seams.kafka ?? kafka,
    logger,
    groupId: names.groupId,
    eachMessage,
    alive: () => life.is('RUNNING'),
    onJoin(partitions) {
      const assigned = new Set(partitions);
      core?.retainOffsets((o) => assigned.has(o.partition));
      joined = true;
      logger.info({ partitions }, 'actions partitions assigned');
    },
  });

  const shutdown = async (): Promise<void> => {
    if (timer) clearInterval(timer);
    timer = undefined;
    await consumer.stop();
    await serial.settled();
    await ledger?.close().catch((err: unknown) => logger.warn({ err: describeError(err) }, 'ledger close failed'));
  };

  return {
    name: options.name,
    async start() {
      if (!life.is('INITIALIZED'))
        throw new HomeostatError('INVALID_STATE', `start() called in state ${life.state()}; create a new executor`);
      transition('STARTING');
      try {
        const resolver = options.registry ? createRegistryResolver(options.registry) : undefined;
        decoder = createRecordCodec('command').createDecoder({ resolver });
        ledger = await openLedger(options, { kafka, names, logger, resolver });
        core = createExecutorCore({ ...options, logger, ledger });
        core.restore(await ledger.open());
        await consumer.start();
        if (!life.is('STARTING')) {
          // Killed or stopped while starting: its shutdown ran before this consumer existed.
          await consumer.stop();
          return;
        }
        timer = setInterval(() => {
          checkLeases().catch((err: unknown) =>
            logger.error({ err: describeError(err) }, 'lease check failed; retrying on the next tick'),
          );
        }, options.leaseCheckIntervalMs ?? 1_000);
        timer.unref();
        transition('RUNNING');
      } catch (err) {
        if (!life.can('FAILED')) throw err; // killed while starting: it failed as a crash would
        transition('FAILED');
        await shutdown();
        throw err instanceof HomeostatError ? err : explainKafkaError(err, options.kafka.brokers);
      }
    },
    async stop() {
      if (life.is('STOPPED', 'KILLED')) return;
      if (life.is('INITIALIZED')) return life.to('STOPPED');
      transition('DRAINING');
      await shutdown();
      transition('STOPPED');
    },
    async kill() {
      if (life.is('STOPPED', 'KILLED')) return;
      core?.kill();
      transition('KILLED');
      await shutdown();
    },
    status: () => life.state(),
    ready: () => life.is('RUNNING') && joined,
    leases: () => core?.leases() ?? [],
    counts: () =>
      core?.counts() ?? { applied: 0, rejected: 0, failed: 0, reverted: 0, expired: 0, shadowed: 0, duplicate: 0 },
    checkLeases,
  };
}

/** A command record, or why it is not one (the core reports it); a registry outage is thrown (redelivered). */
async function decodeCommand(decoder: RecordDecoder<CommandRecord>, payload: EachMessagePayload): Promise<Incoming> {
  const key = payload.message.key?.toString('utf8') ?? null;
  try {
    const record = await decoder.decode(payload.message.value);
    // The codec checked the record against schemas/command.avsc; an unknown type string is
    // simply not one of this executor's types, and the core skips it.
    return { key, command: record };
  } catch (err) {
    if (err instanceof InputError) return { key, command: null, error: `${err.code}: ${err.message}` };
    throw err; // registry unreachable: retriable, kafkajs redelivers the message
  }
}

/** The ledger: the one given (tests), else the state topic with transactional results. */
async function openLedger(
  options: ExecutorOptions,
  o: { kafka: Kafka; names: ResolvedNames; logger: Logger; resolver: SchemaResolver | undefined },
): Promise<ExecutorLedger> {
  if (options.dedupStore) return options.dedupStore;
  const format = options.resultsFormat ?? (o.resolver ? 'avro' : 'json');
  return createKafkaLedger({
    kafka: o.kafka,
    stateTopic: o.names.stateTopic,
    replicationFactor: options.stateReplicationFactor,
    retentionMs: options.stateRetentionMs,
    results: await createOutputEncoder('action-result', options.topics.actionResults, format, o.resolver),
    groupId: o.names.groupId,
    transactionalId: o.names.transactionalId,
    logger: o.logger,
  });
}

/**
 * The consumer of the actions topic, on the drivers' one skeleton. A replacement (after kafkajs
 * stopped one for good) resumes from the committed offsets; the seen-set keeps a redelivered
 * command from being applied twice.
 */
function actionsConsumer(
  options: ExecutorOptions,
  o: Pick<DriverConsumerOptions, 'kafka' | 'logger' | 'alive' | 'onJoin'> & {
    groupId: string;
    eachMessage(payload: EachMessagePayload): Promise<void>;
  },
): DriverConsumer {
  return createDriverConsumer({
    kafka: o.kafka,
    logger: o.logger,
    what: 'the actions consumer',
    topic: options.topics.actions,
    fromBeginning: options.fromBeginning ?? false,
    config: {
      groupId: o.groupId,
      sessionTimeout: options.kafka.sessionTimeoutMs,
      heartbeatInterval: options.kafka.heartbeatIntervalMs,
      // Commands are rare: a short fetch wait costs little and lets stop() return within a second.
      maxWaitTimeInMs: 1_000,
    },
    run: { eachMessage: o.eachMessage },
    alive: o.alive,
    onJoin: o.onJoin,
  });
}
