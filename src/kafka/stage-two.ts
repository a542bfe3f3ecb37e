/**
 * Stage two of a group whose processes share the telemetry partitions (runner.scaleOut): reads
 * the stage topic that every process's stage one writes, releases complete windows in one
 * order (src/pipeline/gather.ts), writes the signals, and runs the policies — one process of
 * the group at a time. Its consumer group (`<groupId>.stage-two`) uses the single-owner
 * assigner, so every process runs one and all but the owner stand by; a standby takes over
 * when the owner leaves or dies.
 *
 * Exactly once, like the runner: each batch's signals, commands, decisions, outcomes, scope
 * histories, the gather checkpoint and the stage-topic offset go in one transaction
 * (gather-transaction.ts). One transactional id for the group: the new owner's producer fences
 * the old one before anything is read (gather-reset.ts).
 *
 * The driver is a loop of units of work, one at a time (serial.ts): a batch (read → gather →
 * maybe commit, gather-commit-policy.ts), a tick between batches (stage one's offsets,
 * gather-offsets.ts → maybe commit), and a reset. A recovery found anywhere — a join, a
 * replaced consumer, a failed unit — is held as a typed ResetRequired and run by the next unit.
 */
import type { EachBatchPayload } from 'kafkajs';
import type { KafkaPort } from './port';
import type { SchemaResolver } from '../codec';
import type { EngineConfig } from '../core';
import { describeError, ResetRequired } from '../errors';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import type { HomeostatConfig } from '../ops/config';
import { emptyGatherOutputs, type Gather, type GatherCounters, type GatherOutputs } from '../pipeline/gather';
import { createKafka } from './client';
import { createLazyAdmin } from './committed-offsets';
import { createDriverConsumer } from './driver-consumer';
import { commitBatchNow, commitTickNow } from './gather-commit-policy';
import { createStageOneOffsets, OFFSETS_REFRESH_MS } from './gather-offsets';
import { restoreGather, resumeStage } from './gather-reset';
import { createGatherWriter, type GatherWriter } from './gather-transaction';
import type { HistoryCheckpoint } from './history-checkpoint';
import { createLifecycle } from './lifecycle';
import { nextAfter } from './non-data';
import { createOutputEncoder } from './outputs';
import type { BatchExtension } from './runner';
import { createSerial } from './serial';
import { singleOwnerAssigner } from './single-owner-assigner';
import { decodeStageRecord } from './stage-records';

export interface StageTwoOptions {
  config: HomeostatConfig;
  engine: EngineConfig;
  logger: Logger;
  metrics?: HomeostatMetrics;
  /** The policies (decision-extension.ts): commands and decisions go in stage two's transactions. */
  extension?: BatchExtension;
  resolver?: SchemaResolver;
  history?: HistoryCheckpoint;
  /** The Kafka client (a fake in unit tests); default: kafkajs from config.kafka. */
  kafka?: KafkaPort;
}

export interface StageTwoCounters extends GatherCounters {
  /** Stage records that were not stage records (logged; nothing of the group writes them). */
  unreadable: number;
  transactions: number;
}

export interface StageTwo {
  start(): Promise<void>;
  stop(): Promise<void>;
  counters(): StageTwoCounters;
}

/** What the driver holds between units; a reset replaces all of it but the counters. */
interface StageTwoState {
  owned: boolean;
  /** A recovery the next unit must run before anything else. */
  pending: ResetRequired | undefined;
  /** Undefined until the first reset (and during one). */
  gather: Gather | undefined;
  /** Stage records below it were handled before the last reset: they only rebuild the buffer. */
  restoreBelow: bigint;
  /** Next stage offset to read, -1n before the first record since the reset. */
  position: bigint;
  /** Where the last reset sought to (the position before any record is read). */
  resumeAt: bigint;
  unreadable: number;
  /** The unit running now and since when (the accounting shows a stall). */
  inFlight: { what: string; since: number } | undefined;
  /** A tick is queued or running (ticks do not pile up behind a long batch). */
  ticking: boolean;
}

export function createStageTwo(o: StageTwoOptions): StageTwo {
  const { config, logger } = o;
  const kafka: KafkaPort = o.kafka ?? createKafka(config.kafka, logger);
  const groupId = `${config.kafka.groupId}.stage-two`;
  const stageTopic = config.topics.stage;
  const stateKey = `stage/${config.kafka.groupId}`;
  const life = createLifecycle('stage two', logger);
  const admin = createLazyAdmin(kafka);
  const stageOne = createStageOneOffsets({ admin, groupId: config.kafka.groupId, topic: config.topics.telemetry });
  const serial = createSerial();
  const s: StageTwoState = {
    owned: false,
    pending: undefined,
    gather: undefined,
    restoreBelow: -1n,
    position: -1n,
    resumeAt: -1n,
    unreadable: 0,
    inFlight: undefined,
    ticking: false,
  };
  let partitionCount = 0;
  let writer: GatherWriter | undefined;
  const timers: NodeJS.Timeout[] = [];
  const counters = (): StageTwoCounters => ({
    ...(s.gather?.counters() ?? { signals: 0, marks: 0, released: 0, late: 0, rejected: 0 }),
    unreadable: s.unreadable,
    transactions: writer?.transactions() ?? 0,
  });

  /** A new owner (or a failed unit): fence the last owner, then rebuild from the last commit. */
  const reset = async (why: ResetRequired): Promise<void> => {
    const began = Date.now();
    s.pending = undefined;
    s.gather = undefined;
    await writer!.fence();
    const restored = await restoreGather({
      kafka,
      stateTopic: config.topics.state,
      stateKey,
      partitionCount,
      engine: o.engine,
      extension: o.extension,
      history: o.history,
      logger,
    });
    const g = restored.gather;
    const resumed = await resumeStage(admin, consumer.current()!, groupId, stageTopic);
    s.restoreBelow = resumed.restoreBelow;
    s.position = -1n;
    s.resumeAt = resumed.resumeAt;
    stageOne.expire();
    s.gather = g;
    writer!.restored(g);
    logger.info(
      {
        released: restored.checkpointed ? g.released() : null,
        from: resumed.committed,
        restoreBelow: String(s.restoreBelow),
        reason: why.reason,
        ms: Date.now() - began,
      },
      'stage two: resumed from the last commit',
    );
  };

  /** Commits what `out` holds with the position read to (inside a unit). */
  const commit = (g: Gather, out: GatherOutputs): Promise<void> =>
    writer!.commit(g, out, { at: s.position, restoreBelow: s.restoreBelow });

  /** Runs a unit — or the pending reset instead; a failure leaves a reset pending for the next. */
  const unit = (what: string, fn: () => Promise<void>): Promise<void> =>
    serial.run(async () => {
      const recovery = s.pending;
      s.inFlight = { what: recovery ? 'a reset' : what, since: Date.now() };
      try {
        if (recovery) await reset(recovery);
        else await fn();
      } catch (err) {
        s.pending = new ResetRequired('batch-failed', `stage two: ${what} failed`, { cause: err });
        o.metrics?.transactions.inc({ result: 'aborted' });
        logger.error(
          { err: describeError(err) },
          `stage two: ${what} failed; its outputs were not committed and the state will be rebuilt`,
        );
        throw err;
      } finally {
        s.inFlight = undefined;
      }
    });

  /** Steps the gather with a batch's stage records; what is not a stage record is counted and logged. */
  const gatherBatch = (g: Gather, batch: EachBatchPayload['batch'], out: GatherOutputs): void => {
    for (const m of batch.messages) {
      const input = decodeStageRecord(m);
      if ('error' in input) {
        s.unreadable++;
        logger.error(
          { topic: stageTopic, offset: m.offset, reason: input.error },
          'stage two: a record of the stage topic is not a stage record; skipped ' +
            '(only homeostat processes of this group should write there)',
        );
        continue;
      }
      if (input.kind === 'signal' && m.value) writer!.keepBytes(input.signal, m.value);
      g.step(input, out, BigInt(m.offset) < s.restoreBelow);
    }
  };

  const handleBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    const g = s.gather;
    if (!isRunning() || isStale() || !g || batch.messages.length === 0) return;
    const out = emptyGatherOutputs();
    gatherBatch(g, batch, out);
    const last = batch.messages[batch.messages.length - 1].offset;
    s.position = nextAfter(batch, last);
    await stageOne.refresh(g, out);
    await heartbeat();
    if (commitBatchNow(out, o.extension, writer!.committedAt(), Date.now())) await commit(g, out);
    resolveOffset(last);
  };

  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    // A reset seeks: this batch is read again from where the last commit left off.
    const resetting = s.pending !== undefined;
    await unit('a batch', () => handleBatch(payload));
    if (!resetting) await payload.heartbeat();
  };

  /** Between batches: take over (reset), release what a partition going idle allows, write an operator's control decisions. */
  const tick = (): Promise<void> =>
    unit('an idle-time commit', async () => {
      const g = s.gather;
      if (!s.owned || !g) return;
      const out = emptyGatherOutputs();
      await stageOne.refresh(g, out);
      const w = writer!;
      const position = { position: s.position, committedPosition: w.committedPosition(), committedAt: w.committedAt() };
      if (commitTickNow(out, o.extension, { ...position, now: Date.now() })) await commit(g, out);
    });

  const onJoin = (partitions: number[]): void => {
    const was = s.owned;
    s.owned = partitions.length > 0;
    o.metrics?.stageTwoOwner.set(s.owned ? 1 : 0);
    // Any join may follow a change of owner: rebuild from the last commit before reading.
    s.pending = new ResetRequired('rejoined', 'stage two: the group was joined again');
    if (s.owned !== was || !was) {
      logger.info(
        { group: groupId },
        s.owned
          ? 'stage two: this process merges the scopes and runs the policies'
          : 'stage two standing by: another process of the group merges the scopes and runs the policies',
      );
    }
  };

  const consumer = createDriverConsumer({
    kafka,
    logger,
    what: 'the stage-two consumer',
    topic: stageTopic,
    fromBeginning: true,
    config: {
      groupId,
      retry: { restartOnFailure: () => Promise.resolve(true), retries: 10 },
      sessionTimeout: config.kafka.sessionTimeoutMs,
      heartbeatInterval: config.kafka.heartbeatIntervalMs,
      partitionAssigners: [singleOwnerAssigner(() => s.owned)],
    },
    run: { eachBatchAutoResolve: false, eachBatch },
    alive: () => life.is('STARTING', 'RUNNING'),
    onJoin,
    // Stage one's transactions leave markers (and, when a rebalance fences a producer, aborted
    // records) after the last stage record: step over them, or the committed offset stays short
    // of the end and the group never shows caught up (see non-data.ts). A deferred commit
    // writes the new position.
    nonData: {
      positionOf: () =>
        s.gather && s.owned && s.pending === undefined ? (s.position >= 0n ? s.position : s.resumeAt) : undefined,
      skip: (_p, next) => {
        s.position = next;
      },
    },
    onReplace: () => {
      s.pending = new ResetRequired('consumer-replaced', 'stage two: its consumer was replaced');
    },
  });

  /** Ticks every OFFSETS_REFRESH_MS while this process owns the stage, one at a time. */
  const startTicking = (): void => {
    const timer = setInterval(() => {
      if (!s.owned || s.ticking) return;
      s.ticking = true;
      void tick()
        .catch(() => undefined)
        .finally(() => {
          s.ticking = false;
        });
    }, OFFSETS_REFRESH_MS);
    timer.unref();
    timers.push(timer);
  };

  /** What the owner is busy with (and since when), and where it has read to: a stall shows here. */
  const startAccounting = (): void => {
    const timer = setInterval(() => {
      if (!s.owned) return;
      const busyWith = s.inFlight ? `${s.inFlight.what} for ${Date.now() - s.inFlight.since} ms` : null;
      logger.info(
        {
          stageTwo: counters(),
          buffered: s.gather?.buffered() ?? 0,
          position: String(s.position),
          committed: String(writer?.committedPosition() ?? -1n),
          busyWith,
          needsReset: s.pending?.reason ?? false,
        },
        'stage two accounting',
      );
    }, config.runner.logIntervalMs);
    timer.unref();
    timers.push(timer);
  };

  /** Partition counts (the stage topic should have one), the signals' encoder and the writer. */
  const prepare = async (): Promise<void> => {
    const a = await admin.get();
    const meta = await a.fetchTopicMetadata({ topics: [config.topics.telemetry, stageTopic] });
    partitionCount = meta.topics.find((t) => t.name === config.topics.telemetry)!.partitions.length;
    const stageParts = meta.topics.find((t) => t.name === stageTopic)!.partitions.length;
    if (stageParts !== 1)
      logger.warn(
        { topic: stageTopic, partitions: stageParts },
        'the stage topic should have one partition; stage one writes to partition 0 only',
      );
    writer = createGatherWriter({
      kafka,
      transactionalId: `${config.kafka.transactionalIdPrefix}-stage-two`,
      groupId,
      stageTopic,
      signalsTopic: config.topics.signals,
      stateTopic: config.topics.state,
      stateKey,
      signals: await createOutputEncoder('signal', config.topics.signals, config.actions.format, o.resolver),
      rawPassThrough: config.actions.format === 'json',
      extension: o.extension,
      history: o.history,
      metrics: o.metrics,
    });
  };

  return {
    async start() {
      life.to('STARTING');
      try {
        await prepare();
        await consumer.start();
      } catch (err) {
        if (life.can('FAILED')) life.to('FAILED');
        throw err;
      }
      if (!life.is('STARTING')) return; // stopped while starting: no timers to leave behind
      startTicking();
      startAccounting();
      life.to('RUNNING');
    },
    async stop() {
      if (life.is('STOPPED', 'KILLED')) return;
      if (life.is('INITIALIZED')) return life.to('STOPPED');
      life.to('DRAINING');
      for (const t of timers) clearInterval(t);
      await consumer.stop();
      await serial.settled();
      await writer?.close();
      await admin.close();
      life.to('STOPPED');
    },
    counters,
  };
}
