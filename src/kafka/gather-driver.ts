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
import type { HomeostatConfig } from '../config/homeostat-config';
import { emptyGatherOutputs, type Gather, type GatherCounters, type GatherOutputs } from '../pipeline/gather';
import { CheckpointWait } from './checkpoint-wait';
import { createKafka } from './client';
import { createLazyAdmin, type LazyAdmin } from './committed-offsets';
import { createDriverConsumer, type DriverConsumer } from './driver-consumer';
import { commitBatchNow, commitTickNow } from './gather-commit-policy';
import { createStageOneOffsets, OFFSETS_REFRESH_MS, type StageOneOffsets } from './gather-offsets';
import { restoreGather, resumeStage } from './gather-reset';
import { createGatherWriter, type GatherWriter } from './gather-transaction';
import type { HistoryCheckpoint } from './history-checkpoint';
import { createLifecycle, type Lifecycle } from './lifecycle';
import { nextAfter } from './non-data';
import { createOutputEncoder } from './outputs';
import type { BatchExtension } from './batch-extension';
import { createSerial } from './serial';
import { singleOwnerAssigner, type Spread } from './single-owner-assigner';
import { decodeStageRecord } from './stage-records';
import { processorOutputGuard } from './output-guard';

export interface StageTwoOptions {
  config: HomeostatConfig;
  engine: EngineConfig;
  logger: Logger;
  metrics?: HomeostatMetrics;
  /** The policies (decide-driver.ts): commands and decisions go in stage two's transactions. */
  extension?: BatchExtension;
  resolver?: SchemaResolver;
  history?: HistoryCheckpoint;
  /** The Kafka client (a fake in unit tests); default: kafkajs from config.kafka. */
  kafka?: KafkaPort;
  /**
   * A split stage two's shard or arbiter (runner.decisionShards): its own one-partition topic,
   * consumer group, transactional id and state key instead of stage two's.
   */
  names?: { topic: string; groupId: string; transactionalId: string; stateKey: string; what: string; part: string };
  /** A split stage two's part: spread over the group's processes by index (single-owner-assigner.ts). */
  spread?: Spread;
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

/** The records of a stage batch in hand, as kafkajs gives them. */
type StageBatch = EachBatchPayload['batch'];

export function createStageTwo(o: StageTwoOptions): StageTwo {
  return new StageTwoDriver(o);
}

/**
 * The driver: its fields are what it holds between units (a reset replaces all of it but the
 * counters), its methods the phases of the loop.
 */
class StageTwoDriver implements StageTwo {
  private readonly kafka: KafkaPort;
  private readonly groupId: string;
  private readonly stageTopic: string;
  /** Key of the gather checkpoint on the state topic. */
  private readonly stateKey: string;
  private readonly life: Lifecycle;
  private readonly admin: LazyAdmin;
  private readonly stageOne: StageOneOffsets;
  private readonly serial = createSerial();
  private readonly consumer: DriverConsumer;
  private writer: GatherWriter | undefined;
  private partitionCount = 0;
  private owned = false;
  /** When this process was given the stage (its claim in the group's assignment); undefined: standing by. */
  private ownedSince: number | undefined;
  /** A recovery the next unit must run before anything else. */
  private pending: ResetRequired | undefined;
  /** Undefined until the first reset (and during one). */
  private gather: Gather | undefined;
  /** Stage records below it were handled before the last reset: they only rebuild the buffer. */
  private restoreBelow = -1n;
  /** Next stage offset to read, -1n before the first record since the reset. */
  private position = -1n;
  /** Where the last reset sought to (the position before any record is read). */
  private resumeAt = -1n;
  private unreadable = 0;
  /** The unit running now and since when (the accounting shows a stall). */
  private inFlight: { what: string; since: number } | undefined;
  /** Resets that find an older checkpoint than the committed offset's read again, for a while (checkpoint-wait.ts). */
  private readonly wait: CheckpointWait;
  /** A tick is queued or running (ticks do not pile up behind a long batch). */
  private ticking = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly o: StageTwoOptions) {
    const { config, logger } = o;
    this.kafka = o.kafka ?? createKafka(config.kafka, logger);
    this.groupId = o.names?.groupId ?? `${config.kafka.groupId}.stage-two`;
    this.stageTopic = o.names?.topic ?? config.topics.stage;
    this.stateKey = o.names?.stateKey ?? `stage/${config.kafka.groupId}`;
    this.life = createLifecycle(o.names?.what ?? 'stage two', logger);
    this.wait = new CheckpointWait({ logger, what: o.names?.what ?? 'stage two', state: 'the checkpoint' });
    this.admin = createLazyAdmin(this.kafka);
    this.stageOne = createStageOneOffsets({
      admin: this.admin,
      groupId: config.kafka.groupId,
      topic: config.topics.telemetry,
    });
    this.consumer = this.createConsumer();
  }

  async start(): Promise<void> {
    this.life.to('STARTING');
    try {
      await this.prepare();
      await this.consumer.start();
    } catch (err) {
      if (this.life.can('FAILED')) this.life.to('FAILED');
      throw err;
    }
    if (!this.life.is('STARTING')) return; // stopped while starting: no timers to leave behind
    this.startTicking();
    this.startAccounting();
    this.life.to('RUNNING');
  }

  async stop(): Promise<void> {
    if (this.life.is('STOPPED', 'KILLED')) return;
    if (this.life.is('INITIALIZED')) return this.life.to('STOPPED');
    this.life.to('DRAINING');
    for (const t of this.timers) clearInterval(t);
    await this.consumer.stop();
    await this.serial.settled();
    await this.writer?.close();
    await this.admin.close();
    this.life.to('STOPPED');
  }

  counters(): StageTwoCounters {
    return {
      ...(this.gather?.counters() ?? { signals: 0, marks: 0, released: 0, late: 0, rejected: 0 }),
      unreadable: this.unreadable,
      transactions: this.writer?.transactions() ?? 0,
    };
  }

  /** The consumer of the stage topic: the single-owner assigner, joins and markers followed. */
  private createConsumer(): DriverConsumer {
    const { config } = this.o;
    return createDriverConsumer({
      kafka: this.kafka,
      logger: this.o.logger,
      what: 'the stage-two consumer',
      topic: this.stageTopic,
      fromBeginning: true,
      config: {
        groupId: this.groupId,
        retry: { restartOnFailure: () => Promise.resolve(true), retries: 10 },
        sessionTimeout: config.kafka.sessionTimeoutMs,
        heartbeatInterval: config.kafka.heartbeatIntervalMs,
        partitionAssigners: [singleOwnerAssigner(() => this.ownedSince, this.o.spread)],
      },
      run: { eachBatchAutoResolve: false, eachBatch: (payload) => this.eachBatch(payload) },
      alive: () => this.life.is('STARTING', 'RUNNING'),
      onJoin: (partitions) => this.onJoin(partitions),
      // Stage one's transactions leave markers (and, when a rebalance fences a producer, aborted
      // records) after the last stage record: step over them, or the committed offset stays short
      // of the end and the group never shows caught up (see non-data.ts). A deferred commit
      // writes the new position.
      nonData: {
        positionOf: () => this.readingFrom(),
        skip: (_p, next) => {
          this.position = next;
        },
      },
      onReplace: () => {
        this.pending = new ResetRequired('consumer-replaced', 'stage two: its consumer was replaced');
      },
    });
  }

  /** Where this owner reads the stage topic from now; undefined while it stands by or must reset. */
  private readingFrom(): bigint | undefined {
    if (!this.gather || !this.owned || this.pending !== undefined) return undefined;
    return this.position >= 0n ? this.position : this.resumeAt;
  }

  /** Partition counts (the stage topic should have one), the signals' encoder and the writer. */
  private async prepare(): Promise<void> {
    const { config, logger } = this.o;
    const a = await this.admin.get();
    const meta = await a.fetchTopicMetadata({ topics: [config.topics.telemetry, this.stageTopic] });
    this.partitionCount = meta.topics.find((t) => t.name === config.topics.telemetry)!.partitions.length;
    const stageParts = meta.topics.find((t) => t.name === this.stageTopic)!.partitions.length;
    if (stageParts !== 1)
      logger.warn(
        { topic: this.stageTopic, partitions: stageParts },
        'the stage topic should have one partition; stage one writes to partition 0 only',
      );
    const guard = processorOutputGuard(config.topics, logger, this.o.metrics);
    await guard.load(this.kafka);
    this.writer = createGatherWriter({
      kafka: this.kafka,
      transactionalId: this.o.names?.transactionalId ?? `${config.kafka.transactionalIdPrefix}-stage-two`,
      groupId: this.groupId,
      stageTopic: this.stageTopic,
      signalsTopic: config.topics.signals,
      stateTopic: config.topics.state,
      stateKey: this.stateKey,
      signals: await createOutputEncoder('signal', config.topics.signals, config.actions.format, this.o.resolver),
      rawPassThrough: config.actions.format === 'json',
      extension: this.o.extension,
      history: this.o.history,
      metrics: this.o.metrics,
      guard,
    });
  }

  private onJoin(partitions: number[]): void {
    const was = this.owned;
    this.owned = partitions.length > 0;
    this.ownedSince = !this.owned ? undefined : was ? this.ownedSince : Date.now();
    this.o.metrics?.stageTwoOwner.set({ part: this.o.names?.part ?? 'stage-two' }, this.owned ? 1 : 0);
    // Any join may follow a change of owner: rebuild from the last commit before reading.
    this.pending = new ResetRequired('rejoined', 'stage two: the group was joined again');
    if (this.owned !== was || !was) {
      this.o.logger.info(
        { group: this.groupId },
        this.owned
          ? 'stage two: this process merges the scopes and runs the policies'
          : 'stage two standing by: another process of the group merges the scopes and runs the policies',
      );
    }
  }

  /** Runs a unit — or the pending reset instead; a failure leaves a reset pending for the next. */
  private unit(what: string, fn: () => Promise<void>): Promise<void> {
    return this.serial.run(async () => {
      const recovery = this.pending;
      this.inFlight = { what: recovery ? 'a reset' : what, since: Date.now() };
      try {
        if (recovery) await this.reset(recovery);
        else await fn();
      } catch (err) {
        this.pending =
          err instanceof ResetRequired
            ? err
            : new ResetRequired('batch-failed', `stage two: ${what} failed`, { cause: err });
        // A reset that must read the state topic again has said so (checkpointNotVisible).
        if (this.pending.reason === 'checkpoint-not-visible') throw err;
        this.o.metrics?.transactions.inc({ result: 'aborted' });
        this.o.logger.error(
          { err: describeError(err) },
          `stage two: ${what} failed; its outputs were not committed and the state will be rebuilt`,
        );
        throw err;
      } finally {
        this.inFlight = undefined;
      }
    });
  }

  /** A new owner (or a failed unit): fence the last owner, then rebuild from the last commit. */
  private async reset(why: ResetRequired): Promise<void> {
    const began = Date.now();
    this.pending = undefined;
    this.gather = undefined;
    await this.writer!.fence();
    const { config, logger } = this.o;
    const resumed = await resumeStage(this.admin, this.consumer.current()!, this.groupId, this.stageTopic);
    const restored = await restoreGather({
      kafka: this.kafka,
      stateTopic: config.topics.state,
      stateKey: this.stateKey,
      partitionCount: this.partitionCount,
      engine: this.o.engine,
      extension: this.o.extension,
      history: this.o.history,
      logger,
      expectTx: resumed.tx,
    });
    // An older checkpoint than the committed offset's: a transaction open on the state topic
    // hides the newest; resuming would pair older state with a newer offset (checkpoint-wait.ts).
    if (!restored.current) this.wait.notVisible({ key: this.stateKey });
    this.wait.found();
    const g = restored.gather;
    this.restoreBelow = resumed.restoreBelow;
    this.position = -1n;
    this.resumeAt = resumed.resumeAt;
    this.stageOne.expire();
    this.gather = g;
    this.writer!.restored(g);
    logger.info(
      {
        released: restored.checkpointed ? g.released() : null,
        from: resumed.committed,
        restoreBelow: String(this.restoreBelow),
        reason: why.reason,
        ms: Date.now() - began,
      },
      'stage two: resumed from the last commit',
    );
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    // A reset seeks: this batch is read again from where the last commit left off.
    const resetting = this.pending !== undefined;
    await this.unit('a batch', () => this.handleBatch(payload));
    if (!resetting) await payload.heartbeat();
  }

  /** A batch: gather its records, move the position, maybe commit (gather-commit-policy.ts). */
  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const g = this.gather;
    if (!isRunning() || isStale() || !g || batch.messages.length === 0) return;
    const out = emptyGatherOutputs();
    this.gatherBatch(g, batch, out);
    const last = batch.messages[batch.messages.length - 1].offset;
    this.position = nextAfter(batch, last);
    await this.stageOne.refresh(g, out);
    await heartbeat();
    if (commitBatchNow(out, this.o.extension, this.writer!.committedAt(), Date.now())) await this.commit(g, out);
    resolveOffset(last);
  }

  /** Steps the gather with a batch's stage records; what is not a stage record is counted and logged. */
  private gatherBatch(g: Gather, batch: StageBatch, out: GatherOutputs): void {
    for (const m of batch.messages) {
      const input = decodeStageRecord(m);
      if ('error' in input && this.o.extension?.onRecord?.(m, BigInt(m.offset) < this.restoreBelow)) {
        // A split stage two's settlement may lift the hold: release what is due after it, in order.
        g.step({ kind: 'resume' }, out);
        continue;
      }
      if ('error' in input) {
        this.unreadable++;
        this.o.logger.error(
          { topic: this.stageTopic, offset: m.offset, reason: input.error },
          'stage two: a record of the stage topic is not a stage record; skipped ' +
            '(only homeostat processes of this group should write there)',
        );
        continue;
      }
      if (input.kind === 'signal' && m.value) this.writer!.keepBytes(input.signal, m.value);
      g.step(input, out, BigInt(m.offset) < this.restoreBelow);
    }
  }

  /** Between batches: take over (reset), release what a partition going idle allows, write an operator's control decisions. */
  private tick(): Promise<void> {
    return this.unit('an idle-time commit', async () => {
      const g = this.gather;
      if (!this.owned || !g) return;
      const out = emptyGatherOutputs();
      await this.stageOne.refresh(g, out);
      const w = this.writer!;
      const at = { position: this.position, committedPosition: w.committedPosition(), committedAt: w.committedAt() };
      if (commitTickNow(out, this.o.extension, { ...at, now: Date.now() })) await this.commit(g, out);
    });
  }

  /** Commits what `out` holds with the position read to (inside a unit). */
  private async commit(g: Gather, out: GatherOutputs): Promise<void> {
    // Nothing read since the reset: the offset stays where it was, committed again with this
    // transaction's id, so that the checkpoint written now is the one a reset looks for.
    const at = this.position >= 0n ? this.position : this.resumeAt;
    await this.writer!.commit(g, out, { at, restoreBelow: this.restoreBelow });
    // A decision shard took the window it was handed in this transaction (split stage two).
    if (this.o.extension?.holds) g.step({ kind: 'taken' }, out);
  }

  /** Ticks every OFFSETS_REFRESH_MS while this process owns the stage, one at a time. */
  private startTicking(): void {
    this.every(OFFSETS_REFRESH_MS, () => {
      if (!this.owned || this.ticking) return;
      this.ticking = true;
      void this.tick()
        .catch(() => undefined)
        .finally(() => {
          this.ticking = false;
        });
    });
  }

  /** What the owner is busy with (and since when), and where it has read to: a stall shows here. */
  private startAccounting(): void {
    this.every(this.o.config.runner.logIntervalMs, () => {
      if (!this.owned) return;
      const busy = this.inFlight;
      this.o.logger.info(
        {
          stageTwo: this.counters(),
          buffered: this.gather?.buffered() ?? 0,
          position: String(this.position),
          committed: String(this.writer?.committedPosition() ?? -1n),
          busyWith: busy ? `${busy.what} for ${Date.now() - busy.since} ms` : null,
          needsReset: this.pending?.reason ?? false,
        },
        'stage two accounting',
      );
    });
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
