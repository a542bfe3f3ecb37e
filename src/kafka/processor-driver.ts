/**
 * The processor on Kafka — the driver of the pure pipeline/processor.ts, as gather-driver.ts drives
 * pipeline/gather.ts: consume telemetry with eachBatch, drive the pure pipeline, and
 * write every output of a batch together with the consumed offsets in one Kafka
 * transaction (sendOffsets), so that outputs and offsets are committed together or not at
 * all. The committed offset of a partition is the oldest record still feeding an open
 * window; its metadata carries a checkpoint (see checkpoint-meta.ts) so that a restart
 * rebuilds open windows without emitting anything twice.
 *
 * The driver is a loop of named phases, as Kafka Streams' StreamThread is (poll → process →
 * punctuate → maybe commit): kafkajs polls and hands a batch to `eachBatch`, which first runs
 * a pending recovery (a typed ResetRequired, held until then), else decodes and steps the
 * batch (batch-feed.ts, batch-decoder.ts), judges backlogs and commits (transactional-writer.ts), then aligns
 * the partitions. Its collaborators own the rest: how this process owns partitions
 * (ownership.ts: single-owner.ts or shared-partitions.ts), the group's offsets and log ends
 * (group-offsets.ts), the counters that move with committed work (accounting.ts), and the
 * consumer skeleton every driver shares (driver-consumer.ts).
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { createTelemetryDecoder, resolveTelemetryLimits } from '../codec';
import { DriverFatalError, HomeostatError, ResetRequired, describeError } from '../errors';
import { emptyOutputs, type Processor, type ProcessorOutputs } from '../pipeline/processor';
import { Accounting, type RunnerCounters } from './accounting';
import { BatchCommitter } from './batch-commit';
import { BatchDecoder } from './batch-decoder';
import { feedBatch } from './batch-feed';
import { createKafka, explainKafkaError } from './client';
import { createBatchDead } from './dlq-arrival';
import { createDriverConsumer, type DriverConsumer } from './driver-consumer';
import type { RunnerOptions } from './driver-options';
import { GroupOffsets } from './group-offsets';
import { createLifecycle, type Lifecycle, type LifecycleState } from './lifecycle';
import { nextAfter } from './non-data';
import type { DriverState, Ownership } from './ownership';
import type { KafkaPort } from './port';
import { newProgress } from './runner-state';
import { SharedPartitions } from './shared-partitions';
import { SingleOwner, TOOK_PARTITIONS } from './single-owner';
import { createSourcePartitionWatch } from './source-partitions';
import { TransactionalWriter } from './transactional-writer';
import { processorOutputGuard } from './output-guard';

export type { BatchExtension } from './batch-extension';
export { resetExtension } from './batch-extension';
export type { RunnerOptions } from './driver-options';
export type { RunnerCounters } from './accounting';

/** The runner's lifecycle state (lifecycle.ts). */
export type RunnerStatus = LifecycleState;

export interface Runner {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): RunnerStatus;
  /** Partitions assigned and their checkpoints loaded. */
  ready(): boolean;
  processor(): Processor | undefined;
  counters(): RunnerCounters;
}

/** How often the extension's pending output and positions moved past markers are committed when idle. */
const PENDING_EVERY_MS = 200;

export function createRunner(options: RunnerOptions): Runner {
  const driver = new ProcessorDriver(options);
  return {
    start: () => driver.start(),
    stop: () => driver.stop(),
    status: () => driver.lifecycle.state(),
    ready: () => driver.ready(),
    processor: () => driver.ownership.processor(),
    counters: () => driver.accounting.counters(),
  };
}

class ProcessorDriver {
  readonly lifecycle: Lifecycle;
  readonly ownership: Ownership;
  readonly accounting: Accounting;
  private readonly topic: string;
  private readonly groupId: string;
  private readonly kafka: KafkaPort;
  private readonly state: DriverState = { progress: new Map(), assigned: new Set(), topicPartitions: 0 };
  private readonly writer: TransactionalWriter;
  private readonly offsets: GroupOffsets;
  private readonly decoder: BatchDecoder;
  private readonly dead = createBatchDead();
  private readonly consumer: DriverConsumer;
  private readonly committer: BatchCommitter;
  /** A recovery found outside the loop (a join, a failed commit, a replaced consumer), run by the next batch. */
  private pending: ResetRequired | undefined;
  private joinedOnce = false;
  /** Checkpoints of the current assignment: loaded on join, awaited by the first batch. */
  private checkpointLoad: Promise<void> | undefined;
  private checkpointsLoaded = false;
  /** A batch (or a reset) is between its first step and its commit: see commitSkipped. */
  private batchInFlight = false;
  private partialSince: number | undefined;
  /** Partitions whose position moved over transaction markers (non-data.ts) since their last commit. */
  private readonly skipped = new Set<number>();
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly o: RunnerOptions) {
    const { config, logger } = o;
    this.topic = config.topics.telemetry;
    this.groupId = config.kafka.groupId;
    this.kafka = o.kafka ?? createKafka(config.kafka, logger);
    this.lifecycle = createLifecycle('processor', logger);
    if (config.runner.scaleOut && o.extension) {
      throw new HomeostatError(
        'INVALID_STATE',
        'scaled out, the policies run in stage two: give the extension to createStageTwo ' +
          '(see createProcessorRunners), not to the runner',
      );
    }
    this.accounting = new Accounting(this.topic, o.metrics);
    this.writer = new TransactionalWriter({
      kafka: this.kafka,
      logger,
      metrics: o.metrics,
      transactionalIdPrefix: config.kafka.transactionalIdPrefix,
      guard: processorOutputGuard(config.topics, logger, o.metrics),
    });
    this.offsets = new GroupOffsets(this.kafka, this.groupId, this.topic);
    const Mode = config.runner.scaleOut ? SharedPartitions : SingleOwner;
    this.ownership = new Mode(o, this.kafka, this.state, this.writer);
    this.decoder = new BatchDecoder({
      decoder: createTelemetryDecoder({ resolver: o.resolver, limits: resolveTelemetryLimits(o.limits) }),
      ingest: o.ingest,
      limits: resolveTelemetryLimits(o.limits),
      logger,
      accounting: this.accounting,
      sourcePartitions: createSourcePartitionWatch({ logger, onSplit: () => o.metrics?.sourcesSplit.inc() }),
      dead: this.dead,
    });
    this.committer = new BatchCommitter({
      o,
      ownership: this.ownership,
      state: this.state,
      dead: this.dead,
      writer: this.writer,
      accounting: this.accounting,
    });
    this.consumer = this.createConsumer();
  }

  private createConsumer(): DriverConsumer {
    const { config, logger } = this.o;
    return createDriverConsumer({
      kafka: this.kafka,
      logger,
      what: 'the telemetry consumer',
      topic: this.topic,
      valuesInPlace: true,
      fromBeginning: true,
      config: {
        groupId: this.groupId,
        maxBytesPerPartition: config.runner.maxBytesPerPartition,
        // After a crash the consumer rejoins and the next batch resets the state to the last
        // commit, so restarting is always safe. kafkajs asks this only after retriable errors;
        // the skeleton replaces a consumer that stopped after any other.
        retry: { restartOnFailure: () => Promise.resolve(true), retries: 10 },
        sessionTimeout: config.kafka.sessionTimeoutMs,
        heartbeatInterval: config.kafka.heartbeatIntervalMs,
        ...this.ownership.consumerConfig,
      },
      run: { eachBatchAutoResolve: false, eachBatch: (payload) => this.eachBatch(payload) },
      alive: () => this.lifecycle.is('RUNNING', 'STARTING'),
      onJoin: (partitions) => this.onJoin(partitions),
      // Telemetry written by transactional producers ends in transaction markers, which take
      // offsets but never reach eachBatch: step over them, or a partition read to its end still
      // counts as having a backlog, is never judged idle, and holds every window open.
      nonData: { positionOf: (p) => this.positionOf(p), skip: (p, next) => this.skip(p, next) },
      // A replacement rejoins and resumes from the last commit; its first batch resets the state.
      onReplace: () => this.require(new ResetRequired('consumer-replaced', 'the telemetry consumer was replaced')),
      fatal: (err) =>
        (err as { type?: string }).type === 'INCONSISTENT_GROUP_PROTOCOL'
          ? this.ownership.refusedMessage(this.groupId)
          : undefined,
      onFatal: (message) => {
        if (this.lifecycle.can('FAILED')) this.lifecycle.to('FAILED');
        this.o.onFatal?.(new DriverFatalError(message));
      },
    });
  }

  private require(reset: ResetRequired): void {
    this.pending = reset.reason === 'took-ownership' ? reset : (this.pending ?? reset);
  }

  ready(): boolean {
    const { assigned } = this.state;
    return (
      this.lifecycle.is('RUNNING') && assigned.size > 0 && !this.ownership.holdingPartial() && this.checkpointsLoaded
    );
  }

  async start(): Promise<void> {
    const { lifecycle, o } = this;
    if (!lifecycle.is('INITIALIZED'))
      throw new HomeostatError('INVALID_STATE', `start() called in state ${lifecycle.state()}; create a new runner`);
    lifecycle.to('STARTING');
    try {
      this.state.topicPartitions = await this.offsets.partitionCount();
      await this.writer.loadLimits();
      await this.ownership.start();
      await this.consumer.start();
      // stop() may have been called while joining the group: then it owns the lifecycle.
      if (!lifecycle.is('STARTING')) return;
      const accounting = setInterval(
        () => o.logger.info({ accounting: this.accounting.counters() }, 'accounting'),
        o.config.runner.logIntervalMs,
      );
      const pending = setInterval(() => {
        void this.ownership.flushPending();
        if (this.skipped.size > 0) void this.commitSkipped();
      }, PENDING_EVERY_MS);
      this.timers = [accounting, pending];
      for (const t of this.timers) t.unref();
      lifecycle.to('RUNNING');
    } catch (err) {
      if (lifecycle.can('FAILED')) lifecycle.to('FAILED');
      throw explainKafkaError(err, o.config.kafka.brokers);
    }
  }

  async stop(): Promise<void> {
    const { lifecycle } = this;
    if (lifecycle.is('STOPPED', 'DRAINING', 'KILLED')) return;
    if (lifecycle.is('INITIALIZED')) return lifecycle.to('STOPPED');
    lifecycle.to('DRAINING');
    for (const t of this.timers) clearInterval(t);
    await this.ownership.flushPending();
    // The consumer's disconnect lets the running batch finish (and commit its transaction) first.
    await this.consumer.stop();
    await this.offsets.close();
    await this.writer.close();
    this.o.logger.info({ accounting: this.accounting.counters() }, 'final accounting');
    lifecycle.to('STOPPED');
  }

  // ---- the group: joins, checkpoints, positions past markers ----

  private onJoin(partitions: number[]): void {
    const { assigned } = this.state;
    const now = new Set(partitions);
    const revoked = [...assigned].filter((x) => !now.has(x));
    const added = [...now].filter((x) => !assigned.has(x));
    // Cumulative OTLP streams of a partition another process now owns: its state is theirs.
    if (revoked.length > 0) this.o.ingest?.forgetPartitions(revoked);
    const reset = this.ownership.join({ now, revoked, added, first: !this.joinedOnce });
    this.joinedOnce = true;
    if (reset) this.require(reset);
    if (this.ownership.loadsOnJoin) void this.loadAssigned();
  }

  private loadAssigned(): Promise<void> {
    this.checkpointsLoaded = false;
    const p = this.loadCheckpoints([...this.state.assigned]).then(() => {
      if (this.checkpointLoad === p) this.checkpointsLoaded = true;
    });
    // Awaited by the next batch; a failure there resets and retries.
    p.catch(() => undefined);
    this.checkpointLoad = p;
    return p;
  }

  /** Loads committed offsets' checkpoints for newly assigned partitions; raises the watermark to theirs. */
  private async loadCheckpoints(partitions: number[]): Promise<void> {
    await this.ownership.beforeCheckpoints();
    const snapshot = await this.offsets.snapshot();
    this.ownership.restoreCheckpoints(snapshot, snapshot.restoreProgress(partitions, this.state.progress));
  }

  private positionOf(p: number): bigint | undefined {
    const pr = this.state.assigned.has(p) && !this.pending ? this.state.progress.get(p) : undefined;
    if (!pr) return undefined;
    return pr.position >= 0n ? pr.position : this.checkpointsLoaded ? pr.start : undefined;
  }

  private skip(p: number, next: bigint): void {
    const pr = this.state.progress.get(p)!;
    pr.position = next;
    // The high watermark last seen may predate the markers stepped over: the log reaches at
    // least `next`, so the partition is read to its end then — never a negative lag, which
    // would keep the mark that tells stage two so from being written (shared-partitions.ts).
    const high = this.offsets.highs.get(p);
    if (high !== undefined && high < next) this.offsets.highs.set(p, next);
    if (high !== undefined) pr.lag = high > next ? Number(high - next) : 0;
    this.skipped.add(p);
    void this.commitSkipped();
  }

  // ---- the loop: recover, or process and commit ----

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    this.batchInFlight = true;
    try {
      await this.runBatch(payload);
    } finally {
      this.batchInFlight = false;
    }
  }

  private async runBatch(payload: EachBatchPayload): Promise<void> {
    if (this.ownership.holdingPartial()) return this.holdPartial();
    this.partialSince = undefined;
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      return this.resetOrWait(pending);
    }
    try {
      await this.processBatch(payload);
    } catch (err) {
      this.require(new ResetRequired('batch-failed', describeError(err), { cause: err }));
      this.o.logger.error(
        { err: describeError(err) },
        'batch failed; its outputs were not committed and the state will be rebuilt',
      );
      throw err;
    }
  }

  /** Unresolved: the next join (with every partition) resets to the committed offsets. */
  private async holdPartial(): Promise<void> {
    this.require(new ResetRequired('partial-assignment', 'this process holds only some partitions'));
    const now = Date.now();
    this.partialSince ??= now;
    if (now - this.partialSince > 2 * this.o.config.kafka.sessionTimeoutMs) {
      this.partialSince = now;
      this.o.logger.error(
        {
          group: this.groupId,
          assigned: [...this.state.assigned].sort((a, b) => a - b),
          partitions: this.state.topicPartitions,
        },
        'another live member of the consumer group holds some partitions; a homeostat process works only with all of them: ' +
          'stop the other process or give it another kafka.groupId',
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  /** A reset that read older histories than the offsets name stays pending; kafkajs hands the unresolved batch over again. */
  private async resetOrWait(why: ResetRequired): Promise<void> {
    await this.reset(why).catch(async (err: unknown) => {
      if (!(err instanceof ResetRequired) || err.reason !== 'checkpoint-not-visible') throw err;
      this.require(err);
      await new Promise((r) => setTimeout(r, PENDING_EVERY_MS));
    });
  }

  /**
   * After a failed batch (e.g. the transaction was aborted while the broker restarted), a
   * rejoin or a replaced consumer, the in-memory state holds records whose outputs were never
   * committed. Throw it away and resume from the committed offsets and checkpoints, exactly
   * as a restarted process would.
   */
  private async reset(why: ResetRequired): Promise<void> {
    const { assigned, progress } = this.state;
    // Rebuilding renews the producers first: their transactional ids fence any cut-off
    // transaction, so the offsets read below are final.
    await this.ownership.rebuild(() => this.offsets.snapshot());
    progress.clear();
    // The records after the committed offsets were differenced in memory: re-reading them must
    // rebuild the cumulative OTLP baselines, not find them "duplicates" of what was forgotten.
    this.o.ingest?.forgetPartitions([...assigned]);
    const snapshot = await this.offsets.snapshot();
    const committed = new Map([...snapshot.committedOffsets()].filter(([p]) => assigned.has(p)));
    if (this.accounting.rebase(committed)) {
      this.o.logger.warn({}, 'the transaction whose commit failed had committed: its records are counted');
    }
    const consumer = this.consumer.current()!;
    for (const p of assigned) consumer.seek({ topic: this.topic, partition: p, offset: snapshot.startOf(p) });
    void this.loadAssigned();
    const took = why.reason === 'took-ownership';
    this.o.logger[took ? 'info' : 'warn'](
      { partitions: [...assigned], reason: why.reason },
      took ? TOOK_PARTITIONS : 'state reset to the last committed checkpoint',
    );
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const started = process.hrtime.bigint();
    // The edge's arrival clock, once per batch: bounds producer-set Kafka timestamps (log-time.ts).
    this.decoder.arrival = Date.now();
    const p = batch.partition;
    const proc = this.ownership.procFor(p);
    if (proc === undefined) return;
    await (this.checkpointLoad ?? this.loadAssigned());
    const { progress } = this.state;
    const pr = progress.get(p) ?? newProgress();
    progress.set(p, pr);
    const out = emptyOutputs();
    // Left by a batch that failed before its commit: the state is rebuilt, its outputs never written.
    this.dead.clear();
    await this.refreshBacklog(out);
    // The loop awaits nothing unless a schema must be fetched, so isRunning/isStale (a
    // rebalance or a seek) cannot change between two records: checking them before the loop
    // and after that await is the same as checking per record, at a fraction of the cost
    // (kafkajs builds a string key per isStale call).
    if (!isRunning() || isStale()) return;
    const target = { partition: p, proc, progress: pr, restoring: false, out };
    const last = await feedBatch(payload, target, this.decoder, this.dead);
    if (last === undefined) return;
    pr.position = nextAfter(batch, last);
    // Only dead letters need their original message: index the batch only when there are some.
    const byOffset = new Map<string, KafkaMessage>();
    if (out.dead.length > 0 || this.dead.groups().length > 0) for (const m of batch.messages) byOffset.set(m.offset, m);
    pr.lag = Number(BigInt(batch.highWatermark) - pr.position);
    this.offsets.highs.set(p, BigInt(batch.highWatermark));
    this.ownership.backlog(p, pr.lag > 0, out);
    await heartbeat();
    await this.writer.serialized(() => this.committer.commit(out, byOffset, p, started));
    resolveOffset(last);
    await heartbeat();
    const consumer = this.consumer.current();
    if (consumer) this.ownership.align(consumer);
    this.o.metrics?.batchDurationSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * Which partitions hold unread records, from the brokers' high watermarks (refreshed at most
   * every BACKLOG_REFRESH_MS). A partition with a backlog is never idle: otherwise a batch of
   * one partition read far ahead of another's would make the other idle and its records late,
   * and the result would depend on fetch order instead of on the data.
   */
  private async refreshBacklog(out: ProcessorOutputs): Promise<void> {
    await this.offsets.refreshHighs();
    for (const p of this.state.assigned) {
      const pr = this.state.progress.get(p);
      const high = this.offsets.highs.get(p);
      if (!pr || high === undefined) continue;
      const next = pr.position >= 0n ? pr.position : pr.start;
      pr.lag = Number(high - next);
      this.ownership.backlog(p, high > next, out);
    }
  }

  /**
   * Commits positions moved over transaction markers in a transaction of their own — scaled
   * out with a mark, so that stage two sees the partition read to its end (and may judge it
   * idle) — but only between batches: a batch's records are stepped before its transaction,
   * and a commit in between would carry their counters and watermark without their outputs.
   * Retried by the pending timer when a batch was in flight.
   */
  private commitSkipped(): Promise<void> {
    return this.writer.serialized(async () => {
      const { skipped, state } = this;
      for (const p of [...skipped]) {
        if (this.batchInFlight || this.pending || this.ownership.holdingPartial() || !this.lifecycle.is('RUNNING'))
          return;
        skipped.delete(p);
        if (!state.assigned.has(p) || !this.ownership.procFor(p) || !state.progress.has(p)) continue;
        if (this.ownership.commitsAllPartitions) skipped.clear();
        try {
          await this.committer.commit(emptyOutputs(), new Map(), p, process.hrtime.bigint());
        } catch (err) {
          this.require(new ResetRequired('batch-failed', describeError(err), { cause: err }));
          this.o.logger.warn(
            { err: describeError(err), partition: p },
            'committing the position past transaction markers failed; the state will be rebuilt',
          );
        }
      }
    });
  }
}
