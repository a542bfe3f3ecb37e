/**
 * The processor on Kafka: consume telemetry with eachBatch, drive the pure pipeline, and
 * write every output of a batch together with the consumed offsets in one Kafka
 * transaction (sendOffsets), so that outputs and offsets are committed together or not at
 * all. The committed offset of a partition is the oldest record still feeding an open
 * window; its metadata carries a checkpoint (see checkpoint-meta.ts) so that a restart
 * rebuilds open windows without emitting anything twice.
 */
import type { EachBatchPayload, KafkaMessage, TopicMessages } from 'kafkajs';
import type { KafkaPort, PortAdmin, PortConsumer, PortProducer } from './port';
import { createTelemetryDecoder, resolveTelemetryLimits, type SchemaResolver, type TelemetryDecoder } from '../codec';
import { aheadOfLogTime } from '../codec/log-time';
import type { IngestDecoder } from '../ingest';
import { acceptSamples } from '../ingest/arrival';
import { HomeostatError, describeError } from '../errors';
import type { WindowSignal } from '../model/signal';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import { createProcessor, emptyOutputs, type Processor, type ProcessorOutputs } from '../pipeline/processor';
import type { EngineConfig } from '../core';
import { createKafka, explainKafkaError } from './client';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-meta';
import { singleOwnerAssigner } from './single-owner-assigner';
import { replaceWhenStoppedForGood } from './consumer-replacement';
import {
  historyKeys,
  historyMessages,
  readHistories,
  seedHistories,
  type HistoryCheckpoint,
} from './history-checkpoint';
import { readCompacted } from './state-topic';
import { createBatchDead } from './dlq-arrival';
import { createSourcePartitionWatch } from './source-partitions';
import { nextAfter, onNonDataSkipped } from './non-data';
import { createOutputEncoder, type OutputEncoder } from './outputs';
import { alignment, newProgress, type PartitionProgress } from './runner-state';
import { stageMark, stageSignals } from './stage-records';
import { connectTransactional, writeTransaction } from './transaction';
import type { HomeostatConfig } from '../config/homeostat-config';
import type { TelemetryLimits } from '../codec';

/** What a policy stage adds to a batch's transaction (commands, decisions); see src/pipeline. */
export interface BatchExtension {
  /** Called with the final signals of a batch, in order; returns extra messages for the same transaction. */
  onFinals(finals: readonly WindowSignal[]): Promise<TopicMessages[]> | TopicMessages[];
  /** True when the extension has output to write even without new input (e.g. control decisions). */
  hasPending?(): boolean;
  /** That output, for a transaction of its own. */
  takePending?(): TopicMessages[];
  /** Forget uncommitted state (after a failed batch) and reload from the last commit. */
  reset?(): Promise<void>;
  /** With `resetFrom`: the key of its state on the state topic, so a reset reads the topic once for all. */
  readonly stateKey?: string;
  /** `reset` with its state-topic record already read (undefined: none there). */
  resetFrom?(snapshot: Buffer | undefined): void;
}

/**
 * Resets an extension from a read of the state topic its caller made anyway (when it can take
 * its record that way), else lets it read its own: each read of the topic joins a consumer
 * group of its own, which a broker delays by group.initial.rebalance.delay.ms (3 s by default).
 */
export async function resetExtension(
  ext: BatchExtension | undefined,
  stored: ReadonlyMap<string, Buffer>,
): Promise<void> {
  if (ext?.resetFrom && ext.stateKey !== undefined) ext.resetFrom(stored.get(ext.stateKey));
  else await ext?.reset?.();
}

export interface RunnerOptions {
  config: HomeostatConfig;
  /** Decoder of foreign formats (OTLP, Influx); unset: homeostat's own Avro/JSON only. */
  ingest?: IngestDecoder;
  engine: EngineConfig;
  limits?: Partial<TelemetryLimits>;
  resolver?: SchemaResolver;
  logger: Logger;
  metrics?: HomeostatMetrics;
  extension?: BatchExtension;
  /** Appended to the transactional id prefix; stable per instance so a zombie is fenced. */
  instanceId?: string;
  /** Watermark alignment: pause a partition this far (event time) ahead of the watermark. */
  maxAheadMs?: number;
  /** Carry EWMA/trend across restarts on this compacted topic (history-checkpoint.ts). */
  history?: HistoryCheckpoint;
  /** The Kafka client (the fake of test/helpers/fake-kafka.ts in unit tests); default: kafkajs from config.kafka. */
  kafka?: KafkaPort;
  /** The runner cannot go on (e.g. the group refuses this process): the process should exit. */
  onFatal?(err: HomeostatError): void;
}

export type RunnerStatus = 'INITIALIZED' | 'STARTING' | 'RUNNING' | 'DRAINING' | 'STOPPED' | 'FAILED';

export interface Runner {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): RunnerStatus;
  /** Partitions assigned and their checkpoints loaded. */
  ready(): boolean;
  processor(): Processor | undefined;
  counters(): RunnerCounters;
}

export interface RunnerCounters {
  consumed: number;
  aggregated: number;
  late: number;
  deadLettered: number;
  restored: number;
  transactions: number;
  signalsWritten: number;
}

/** Samples stepped between two heartbeats within a batch of foreign records (a few tens of ms of work). */
const HEARTBEAT_EVERY_SAMPLES = 100_000;

/** How stale the brokers' high watermarks may be when judging which partitions have a backlog. */
const BACKLOG_REFRESH_MS = 100;

export function createRunner(options: RunnerOptions): Runner {
  const { config, logger } = options;
  const topic = config.topics.telemetry;
  const groupId = config.kafka.groupId;
  const kafka: KafkaPort = options.kafka ?? createKafka(config.kafka, logger);
  let status: RunnerStatus = 'INITIALIZED';
  const limits = resolveTelemetryLimits(options.limits);
  let consumer: PortConsumer | undefined;
  let producer: PortProducer | undefined;
  let processor: Processor | undefined;
  /**
   * Shared mode (config.runner.scaleOut): the partitions are shared with the group's other
   * processes — one processor per owned partition (its windows depend on that partition
   * alone), its outputs and marks to the stage topic for stage two (stage-two.ts, which runs
   * the policies), one transactional producer per partition. Otherwise this process owns
   * every partition or stands by. processor-runners.ts puts the two stages together.
   */
  const shared = config.runner.scaleOut ? { stageTopic: config.topics.stage } : undefined;
  if (shared && options.extension) {
    throw new HomeostatError(
      'INVALID_STATE',
      'scaled out, the policies run in stage two: give the extension to createStageTwo (see createProcessorRunners), not to the runner',
    );
  }
  const procs = new Map<number, Processor>();
  const sourcePartitions = createSourcePartitionWatch({ logger, onSplit: () => options.metrics?.sourcesSplit.inc() });
  /** Shared mode: one transactional producer per owned partition, so its next owner fences this one. */
  const partitionProducers = new Map<number, PortProducer>();
  const procFor = (p: number): Processor | undefined => (shared ? procs.get(p) : processor);
  /** Counters of every processor of this process (shared mode: the sum over partitions). */
  const processorCounters = (): ReturnType<Processor['counters']> | undefined => {
    if (!shared) return processor?.counters();
    const sum = {
      consumed: 0,
      aggregated: 0,
      late: 0,
      deadLettered: 0,
      windowsClosed: 0,
      signals: 0,
      evicted: 0,
      scopeRejected: 0,
      restored: 0,
    };
    for (const pr of procs.values()) {
      const c = pr.counters();
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += c[k];
    }
    return sum;
  };
  let decoder: TelemetryDecoder | undefined;
  let signalsOut: OutputEncoder<'signal'> | undefined;
  let assigned = new Set<number>();
  /** Checkpoints of the current assignment: loaded on join, awaited by the first batch. */
  let checkpointLoad: Promise<void> | undefined;
  let checkpointsLoaded = false;
  const loadAssigned = (): Promise<void> => {
    checkpointsLoaded = false;
    const p = loadCheckpoints([...assigned]).then(() => {
      if (checkpointLoad === p) checkpointsLoaded = true;
    });
    // Awaited by the next batch; a failure there resets and retries.
    p.catch(() => undefined);
    checkpointLoad = p;
    return p;
  };
  const progress = new Map<number, PartitionProgress>();
  const totals = { restored: 0, transactions: 0, signalsWritten: 0 };
  /**
   * Counters as of the last committed transaction: outputs of an aborted batch are not
   * counted, so that the accounting adds up across failures and restarts.
   */
  type Acc = { consumed: number; aggregated: number; late: number; deadLettered: number };
  const zero = (): Acc => ({ consumed: 0, aggregated: 0, late: 0, deadLettered: 0 });
  let base = zero();
  let committed = zero();
  let committedWindows = 0;
  let accountingTimer: NodeJS.Timeout | undefined;
  let pendingTimer: NodeJS.Timeout | undefined;

  const transition = (to: RunnerStatus): void => {
    logger.info({ from: status, to }, `processor ${to.toLowerCase()}`);
    status = to;
  };

  const partitionCount = async (): Promise<number> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      return meta.topics[0].partitions.length;
    } finally {
      await admin.disconnect();
    }
  };

  /** Loads committed offsets' checkpoints for newly assigned partitions; raises the watermark to theirs. */
  const loadCheckpoints = async (partitions: number[]): Promise<void> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      let wm = -Infinity;
      for (const p of partitions) if (!progress.has(p)) progress.set(p, newProgress());
      for (const po of entry?.partitions ?? []) {
        if (!partitions.includes(po.partition)) continue;
        const meta = decodeCheckpoint(po.metadata);
        const pr = progress.get(po.partition) ?? newProgress();
        if (meta) {
          pr.restoreBelow = BigInt(meta.next);
          if (meta.wm > wm) wm = meta.wm;
          // Shared: each partition has its own engine and its own watermark.
          if (shared && Number.isFinite(meta.wm))
            procs.get(po.partition)?.step({ kind: 'tick', watermark: meta.wm }, emptyOutputs());
        }
        progress.set(po.partition, pr);
      }
      // A partition with records left to read is not idle, whatever the others' event time.
      for (const p of partitions) {
        const committedOffset = entry?.partitions.find((x) => x.partition === p)?.offset ?? '-1';
        const e = ends.find((x) => x.partition === p);
        const from = committedOffset !== '-1' ? BigInt(committedOffset) : BigInt(e?.low ?? '0');
        const backlog = e !== undefined && BigInt(e.high) > from;
        progress.get(p)!.lag = e ? Number(BigInt(e.high) - from) : 0;
        progress.get(p)!.start = from;
        procFor(p)?.step({ kind: 'backlog', partition: p, backlog }, emptyOutputs());
      }
      if (!shared && processor && Number.isFinite(wm)) {
        processor.step({ kind: 'tick', watermark: wm }, emptyOutputs());
        logger.info({ watermark: wm, partitions }, 'restored the watermark from the committed checkpoint');
      }
    } finally {
      await admin.disconnect();
    }
  };

  /**
   * Which partitions hold unread records, from the brokers' high watermarks (refreshed at most
   * every BACKLOG_REFRESH_MS). A partition with a backlog is never idle: otherwise a batch of
   * one partition read far ahead of another's would make the other idle and its records late,
   * and the result would depend on fetch order instead of on the data.
   */
  const highs = new Map<number, bigint>();
  let highsAt = 0;
  let lagAdmin: PortAdmin | undefined;
  const refreshBacklog = async (out: ProcessorOutputs): Promise<void> => {
    if (Date.now() - highsAt >= BACKLOG_REFRESH_MS) {
      if (!lagAdmin) {
        lagAdmin = kafka.admin();
        await lagAdmin.connect();
      }
      for (const o of await lagAdmin.fetchTopicOffsets(topic)) highs.set(o.partition, BigInt(o.high));
      highsAt = Date.now();
    }
    for (const p of assigned) {
      const pr = progress.get(p);
      const high = highs.get(p);
      if (!pr || high === undefined) continue;
      const next = pr.position >= 0n ? pr.position : pr.start;
      pr.lag = Number(high - next);
      // Shared: a partition's engine sees only that partition, which is never idle to itself.
      if (!shared) processor!.step({ kind: 'backlog', partition: p, backlog: high > next }, out);
    }
  };

  const decodeOne = async (m: KafkaMessage): Promise<ReturnType<TelemetryDecoder['decodeSync']>> => {
    const d = decoder!;
    let r = d.decodeSync(m.value);
    if (r.status === 'schema-miss') {
      // A registry outage is retried here (it is not bad input); kafkajs's session
      // stays alive through heartbeats in the batch loop.
      for (let attempt = 0; ; attempt++) {
        try {
          await d.loadSchema(r.schemaId);
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          logger.warn({ err: describeError(err), attempt }, 'schema registry unavailable; retrying');
          await new Promise((res) => setTimeout(res, 200 * 2 ** attempt));
        }
      }
      r = d.decodeSync(m.value);
    }
    return r;
  };

  /**
   * After a failed batch (e.g. the transaction was aborted while the broker restarted), the
   * in-memory state holds records whose outputs were never committed. Throw it away and
   * resume from the committed offsets and checkpoints, exactly as a restarted process would.
   */
  const reset = async (): Promise<void> => {
    // A transaction cut off by a broker outage can leave kafkajs's producer stuck (e.g. in
    // COMMITTING), failing every later beginTransaction. A new producer with the same
    // transactional id fences the old one and has the coordinator finish or abort the cut-off
    // transaction first, so the offsets read below are the final ones.
    if (!shared) {
      await serialized(async () => {
        await producer?.disconnect().catch(() => undefined);
        producer = await connectTransactional(kafka, transactionalIdOf());
      });
    }
    base = {
      consumed: base.consumed + committed.consumed,
      aggregated: base.aggregated + committed.aggregated,
      late: base.late + committed.late,
      deadLettered: base.deadLettered + committed.deadLettered,
    };
    committed = zero();
    committedWindows = 0;
    if (shared) await resetPartitions();
    else {
      processor = createProcessor({ engine: options.engine, partitionCount: topicPartitions });
      processor.step({ kind: 'assign', partitions: [...assigned] }, emptyOutputs());
      if (options.history) {
        // One read of the state topic for the histories and the policies' snapshot (the
        // extension's state lives on the same topic): see resetExtension.
        const { prefix, parse } = historyKeys(options.history);
        const stored = await readCompacted(
          kafka,
          options.history.topic,
          (k) => k.startsWith(prefix) || k === options.extension?.stateKey,
        );
        const { series, scopes } = parse(stored);
        processor.seedHistories(series, scopes);
        await resetExtension(options.extension, stored);
      } else await options.extension?.reset?.();
    }
    progress.clear();
    // The records after the committed offsets were differenced in memory: re-reading them must
    // rebuild the cumulative OTLP baselines, not find them "duplicates" of what was forgotten.
    options.ingest?.forgetPartitions([...assigned]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const low = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.low]));
      for (const p of assigned) {
        const committed = entry?.partitions.find((x) => x.partition === p)?.offset;
        const offset = committed !== undefined && committed !== '-1' ? committed : (low.get(p) ?? '0');
        consumer!.seek({ topic, partition: p, offset });
      }
    } finally {
      await admin.disconnect();
    }
    void loadAssigned();
    logger.warn({ partitions: [...assigned] }, 'state reset to the last committed checkpoint');
  };
  /**
   * Shared mode: a fresh engine per owned partition, and a fresh transactional producer per
   * partition whose transactional id, initialised at once (connectTransactional), fences the
   * partition's previous owner and ends its open transaction — before the committed offsets
   * and histories are read, so they are final.
   */
  const resetPartitions = async (): Promise<void> => {
    const began = Date.now();
    await serialized(async () => {
      await Promise.all([...partitionProducers.values()].map((pp) => pp.disconnect().catch(() => undefined)));
      partitionProducers.clear();
      for (const p of assigned) {
        partitionProducers.set(p, await connectTransactional(kafka, transactionalIdOf(p)));
      }
    });
    procs.clear();
    const histories = options.history ? (await readHistories(kafka, options.history, 'series')).series : undefined;
    for (const p of assigned) {
      const proc = createProcessor({ engine: options.engine, partitionCount: topicPartitions, mergeScopes: false });
      proc.step({ kind: 'assign', partitions: [p] }, emptyOutputs());
      if (histories) proc.seedHistories(histories, new Map());
      procs.set(p, proc);
    }
    logger.info(
      { partitions: [...assigned].sort((a, b) => a - b), histories: histories?.size, ms: Date.now() - began },
      'partitions restored: engines, producers and histories',
    );
  };

  let needsReset = false;
  let joinedOnce = false;
  /**
   * The input topic's partition count. One process owns the whole group's work (stage two
   * and the policies' state live in it): the group's assigner gives every partition to one
   * member. Should a process still own only some partitions (a member of the group that is
   * not a homeostat of this version assigned them), it processes nothing until it owns all:
   * working on the subset would close windows over part of the input, and the checkpoint it
   * committed would mark the other partitions' windows as already emitted.
   */
  let topicPartitions = 0;
  let partialSince: number | undefined;
  const holdingPartial = (): boolean => !shared && assigned.size > 0 && assigned.size < topicPartitions;

  /** A batch (or a reset) is between its first step and its commit: see commitSkipped. */
  let batchInFlight = false;
  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    batchInFlight = true;
    try {
      await eachBatchNow(payload);
    } finally {
      batchInFlight = false;
    }
  };
  const eachBatchNow = async (payload: EachBatchPayload): Promise<void> => {
    if (holdingPartial()) {
      // Unresolved: the next join (with every partition) resets to the committed offsets.
      needsReset = true;
      const now = Date.now();
      partialSince ??= now;
      if (now - partialSince > 2 * config.kafka.sessionTimeoutMs) {
        partialSince = now;
        logger.error(
          { group: groupId, assigned: [...assigned].sort((a, b) => a - b), partitions: topicPartitions },
          'another live member of the consumer group holds some partitions; a homeostat process works only with all of them: stop the other process or give it another kafka.groupId',
        );
      }
      await new Promise((r) => setTimeout(r, 200));
      return;
    }
    partialSince = undefined;
    if (needsReset) {
      needsReset = false;
      await reset();
      return;
    }
    try {
      await processBatch(payload);
    } catch (err) {
      needsReset = true;
      logger.error(
        { err: describeError(err) },
        'batch failed; its outputs were not committed and the state will be rebuilt',
      );
      throw err;
    }
  };

  /**
   * One Kafka record of any supported format: one OTLP or line-protocol record carries many
   * samples, stepped together as one arrival with the record's offset (commits stay per
   * record): each is judged against the watermark as it stood before the record, which then
   * advances once (engine input `records`). `consumed` counts samples (plus one per record
   * refused whole); the refused samples of one record make one DLQ record (dlq-arrival.ts).
   */
  /** The batch's dead letters, one group per input record (dlq-arrival.ts). */
  const batchDead = createBatchDead();
  /** Wall clock when the batch in hand was fetched (set by processBatch). */
  let arrival = 0;
  const ingestOne = async (
    m: KafkaMessage,
    p: number,
    restoring: boolean,
    pr: PartitionProgress,
    out: ProcessorOutputs,
  ): Promise<number> => {
    const ingest = options.ingest!;
    const ctx = { partition: p, timestamp: Number(m.timestamp) };
    let r = ingest.decodeSync(m.value, ctx);
    if (r.status === 'schema-miss') {
      await ingest.loadSchema(r.schemaId);
      r = ingest.decodeSync(m.value, ctx);
    }
    const proc = procFor(p)!;
    if (r.status === 'ok') {
      if (r.format !== 'avro' && r.format !== 'json') batchDead.noteSamples(m.offset, r.values.length);
      const accepted = acceptSamples(r.values, ctx.timestamp, limits, arrival, (t, e) => {
        // Dead-lettered before a restart; the rebuilt state never held it.
        if (!restoring)
          proc.step(
            {
              kind: 'invalid',
              partition: p,
              offset: m.offset,
              code: e.code,
              message: e.message,
              field: e.field,
              record: t,
            },
            out,
          );
      });
      for (const t of accepted) if (t.ts > pr.maxTs) pr.maxTs = t.ts;
      sourcePartitions.see(accepted, p);
      const input = { kind: 'records' as const, partition: p, offset: m.offset, records: accepted };
      if (restoring) {
        proc.restore(input, out);
        totals.restored++;
        options.metrics?.recordsRestored.inc();
      } else proc.step(input, out);
      return r.values.length;
    }
    if (!restoring) {
      const e =
        r.status === 'invalid'
          ? r.error
          : {
              code: 'UNKNOWN_SCHEMA_ID' as const,
              message: `schema id ${r.schemaId} is not in the registry`,
              field: undefined,
            };
      proc.step(
        { kind: 'invalid', partition: p, offset: m.offset, code: e.code, message: e.message, field: e.field },
        out,
      );
    }
    return 1;
  };

  const processBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const started = process.hrtime.bigint();
    // The edge's arrival clock, once per batch: bounds producer-set Kafka timestamps (log-time.ts).
    arrival = Date.now();
    const p = batch.partition;
    const proc = procFor(p);
    if (proc === undefined) return;
    await (checkpointLoad ?? loadAssigned());
    const pr = progress.get(p) ?? newProgress();
    progress.set(p, pr);
    const out = emptyOutputs();
    // Left by a batch that failed before its commit: the state is rebuilt, its outputs never written.
    batchDead.clear();
    await refreshBacklog(out);
    let last: string | undefined;
    const restoreBelow = pr.restoreBelow;
    // The loop awaits nothing unless a schema must be fetched, so isRunning/isStale (a
    // rebalance or a seek) cannot change between two records: checking them before the loop
    // and after that await is the same as checking per record, at a fraction of the cost
    // (kafkajs builds a string key per isStale call).
    if (!isRunning() || isStale()) return;
    let samplesSinceBeat = 0;
    for (const m of batch.messages) {
      const restoring = restoreBelow > 0n && BigInt(m.offset) < restoreBelow;
      if (options.ingest) {
        samplesSinceBeat += await ingestOne(m, p, restoring, pr, out);
        batchDead.fold(out.dead);
        last = m.offset;
        // A batch of records that each expand to many samples can take longer than the
        // session: keep it alive (kafkajs sends at most one heartbeat per heartbeatInterval).
        if (samplesSinceBeat >= HEARTBEAT_EVERY_SAMPLES) {
          samplesSinceBeat = 0;
          await heartbeat();
          if (!isRunning() || isStale()) break;
        }
        continue;
      }
      let r = decoder!.decodeSync(m.value);
      if (r.status === 'schema-miss') {
        r = await decodeOne(m);
        if (!isRunning() || isStale()) break;
      }
      if (r.status === 'ok') {
        const ahead = aheadOfLogTime(r.value.ts, Number(m.timestamp), limits, arrival);
        if (ahead) r = { status: 'invalid', error: ahead };
      }
      if (restoring) {
        // Handled before the restart: rebuild open windows, emit what closes, but never
        // dead-letter or count it again.
        totals.restored++;
        options.metrics?.recordsRestored.inc();
        if (r.status === 'ok') {
          proc.restore({ kind: 'record', partition: p, offset: m.offset, record: r.value }, out);
          if (r.value.ts > pr.maxTs) pr.maxTs = r.value.ts;
        }
      } else if (r.status === 'ok') {
        if (r.value.ts > pr.maxTs) pr.maxTs = r.value.ts;
        proc.step({ kind: 'record', partition: p, offset: m.offset, record: r.value }, out);
      } else if (r.status === 'invalid') {
        proc.step(
          {
            kind: 'invalid',
            partition: p,
            offset: m.offset,
            code: r.error.code,
            message: r.error.message,
            field: r.error.field,
          },
          out,
        );
      } else {
        proc.step(
          {
            kind: 'invalid',
            partition: p,
            offset: m.offset,
            code: 'UNKNOWN_SCHEMA_ID',
            message: `schema id ${r.schemaId} is not in the registry`,
          },
          out,
        );
      }
      last = m.offset;
    }
    if (last === undefined) return;
    pr.position = nextAfter(batch, last);
    // Only dead letters need their original message: index the batch only when there are some.
    const byOffset = new Map<string, KafkaMessage>();
    if (out.dead.length > 0 || batchDead.groups().length > 0) for (const m of batch.messages) byOffset.set(m.offset, m);
    pr.lag = Number(BigInt(batch.highWatermark) - pr.position);
    highs.set(p, BigInt(batch.highWatermark));
    if (!shared) proc.step({ kind: 'backlog', partition: p, backlog: pr.lag > 0 }, out);
    await heartbeat();
    await commitBatch(out, byOffset, p, started);
    resolveOffset(last);
    await heartbeat();
    applyAlignment();
    options.metrics?.batchDurationSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  };

  /** One transaction at a time: batches and idle flushes share the transactional producer. */
  let txChain: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = txChain.then(fn, fn);
    txChain = next.catch(() => undefined);
    return next;
  };

  /** Writes the extension's pending output when no telemetry arrives to carry it. */
  const flushPending = (): Promise<void> =>
    serialized(async () => {
      const ext = options.extension;
      // Only the process that owns the partitions writes: a standby's policy state is the one it
      // started with, and its snapshot would overwrite the owner's.
      if (!producer || assigned.size === 0 || holdingPartial() || !ext?.hasPending?.() || !ext.takePending) return;
      const messages = ext.takePending();
      try {
        await writeTransaction(producer, messages);
      } catch (err) {
        logger.error(
          { err: describeError(err) },
          'writing control decisions failed; they are rebuilt from the control topic on restart',
        );
      }
    });

  /**
   * Partitions whose position moved over transaction markers (non-data.ts) since their last
   * commit. Their new position is committed in a transaction of its own — scaled out with a
   * mark, so that stage two sees the partition read to its end (and may judge it idle) — but
   * only between batches: a batch's records are stepped before its transaction, and a commit
   * in between would carry their counters and watermark without their outputs. Retried by
   * the pending timer when a batch was in flight.
   */
  const skipped = new Set<number>();
  const commitSkipped = (): Promise<void> =>
    serialized(async () => {
      for (const p of [...skipped]) {
        if (batchInFlight || needsReset || holdingPartial() || status !== 'RUNNING') return;
        skipped.delete(p);
        if (!assigned.has(p) || !procFor(p) || !progress.has(p)) continue;
        // Single owner: one transaction carries every partition's offset.
        if (!shared) skipped.clear();
        try {
          await commitBatchNow(emptyOutputs(), new Map(), p, process.hrtime.bigint());
        } catch (err) {
          needsReset = true;
          logger.warn(
            { err: describeError(err), partition: p },
            'committing the position past transaction markers failed; the state will be rebuilt',
          );
        }
      }
    });

  const commitBatch = (
    out: ProcessorOutputs,
    byOffset: Map<string, KafkaMessage>,
    p: number,
    started: bigint,
  ): Promise<void> => serialized(() => commitBatchNow(out, byOffset, p, started));

  const commitBatchNow = async (
    out: ProcessorOutputs,
    byOffset: Map<string, KafkaMessage>,
    p: number,
    started: bigint,
  ): Promise<void> => {
    const proc = procFor(p)!;
    const topicMessages: TopicMessages[] = [];
    // One DLQ record per input record, however many of its samples were refused.
    batchDead.fold(out.dead);
    const deadInputs = batchDead.groups();
    if (deadInputs.length > 0)
      topicMessages.push({
        topic: config.topics.dlq,
        messages: batchDead.messages(topic, p, byOffset, config.topics.dlqMaxMessageBytes),
      });
    const wm = proc.watermark();
    const pr = progress.get(p)!;
    const nextOf = (s: PartitionProgress): bigint => (s.restoreBelow > s.position ? s.restoreBelow : s.position);
    if (shared) {
      // Signals go to stage two, then the mark that says how far this partition has got —
      // when stage two can use it: with signals, when the watermark has passed another
      // window end (a window of another partition may complete), or when the partition is
      // read to its end (stage two then knows it has nothing unread, e.g. to judge it idle).
      // A transaction without them writes no record at all, only its offsets: while catching
      // up, most do.
      const { advanceMs, graceMs } = options.engine.window;
      const ends = Number.isFinite(wm) ? Math.floor((wm - graceMs) / advanceMs) : -Infinity;
      const messages = stageSignals(out.published);
      if (messages.length > 0 || ends !== pr.markedEnds || pr.lag === 0) {
        messages.push(stageMark({ partition: p, wm, maxTs: pr.maxTs, next: nextOf(pr).toString() }));
        pr.markedEnds = ends;
      }
      if (messages.length > 0) topicMessages.push({ topic: shared.stageTopic, messages });
    } else if (out.published.length > 0) {
      topicMessages.push({
        topic: config.topics.signals,
        messages: out.published.map((s) => signalsOut!.message(s.key, s)),
      });
    }
    const histories = options.history ? historyMessages(proc, out, options.history) : undefined;
    // Single owner: every partition's checkpoint carries the one watermark. Shared: this
    // partition's alone (its producer commits nothing else).
    const partitions = [...progress.entries()]
      .filter(([part, s]) => s.position >= 0n && (!shared || part === p))
      .map(([part, s]) => {
        const pending = proc.pendingOffset(part);
        const safe = pending !== undefined ? BigInt(pending) : s.position;
        return {
          partition: part,
          offset: safe.toString(),
          metadata: encodeCheckpoint({ next: nextOf(s).toString(), wm }),
        };
      });
    // The state this transaction commits is taken before its first await (see commitSkipped).
    const c = processorCounters()!;
    if (!shared && options.extension && (out.finals.length > 0 || options.extension.hasPending?.())) {
      topicMessages.push(...(await options.extension.onFinals(out.finals)));
    }
    if (histories) topicMessages.push(histories);
    if (deadInputs.length > 0 && logger.isLevelEnabled('debug')) {
      for (const { first: d } of deadInputs.slice(0, 3))
        logger.debug(
          {
            partition: p,
            offset: d.offset,
            code: d.code,
            ts: d.record?.ts,
            watermark: wm,
            progress: [...progress.entries()].map(([k, v]) => ({
              k,
              maxTs: v.maxTs,
              lag: v.lag,
              pos: String(v.position),
            })),
          },
          'dead letter',
        );
    }
    const txProducer = shared ? partitionProducers.get(p) : producer;
    if (!txProducer)
      throw new HomeostatError(
        'INVALID_STATE',
        `no transactional producer for partition ${p}; the state will be rebuilt`,
      );
    try {
      await writeTransaction(txProducer, topicMessages, { consumerGroupId: groupId, topics: [{ topic, partitions }] });
    } catch (err) {
      options.metrics?.transactions.inc({ result: 'aborted' });
      throw err;
    }
    const m = options.metrics;
    if (m) {
      // Counters move only with committed work, by the delta since the last commit.
      m.recordsConsumed.inc({ topic }, c.consumed - committed.consumed);
      m.recordsAggregated.inc(c.aggregated - committed.aggregated);
      m.recordsLate.inc(c.late - committed.late);
      for (const g of deadInputs) {
        for (const [code, n] of g.byCode) if (code !== 'LATE') m.recordsDeadLettered.inc({ reason: code }, n);
        m.dlqRecords.inc({ reason: g.first.code });
      }
      m.windowsClosed.inc(Math.max(0, c.windowsClosed - committedWindows));
      committedWindows = c.windowsClosed;
      // Shared: the slowest owned partition's watermark stands for the process.
      const processWm = shared ? Math.min(...[...procs.values()].map((x) => x.watermark())) : wm;
      if (Number.isFinite(processWm)) {
        m.watermarkMs.set(processWm);
        const maxTs = Math.max(...[...progress.values()].map((x) => x.maxTs));
        if (Number.isFinite(maxTs)) m.watermarkDelaySeconds.set(Math.max(0, maxTs - processWm) / 1000);
      }
      m.seriesActive.set(shared ? [...procs.values()].reduce((n, x) => n + x.seriesCount(), 0) : proc.seriesCount());
      for (const [part, pr] of progress) m.consumerLag.set({ topic, partition: String(part) }, Math.max(0, pr.lag));
      if (topicMessages.some((tm) => tm.topic === config.topics.actions)) {
        // Window close → command written: the batch that closed the window started at `started`.
        m.commandLatencySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
    committed = { consumed: c.consumed, aggregated: c.aggregated, late: c.late, deadLettered: c.deadLettered };
    batchDead.clear();
    totals.transactions++;
    totals.signalsWritten += out.published.length;
    options.metrics?.transactions.inc({ result: 'committed' });
  };

  const applyAlignment = (): void => {
    // Shared: no partition's windows wait for another's, so nothing to align.
    if (!consumer || !processor || shared) return;
    const { pause, resume } = alignment(progress, processor.watermark(), options.maxAheadMs ?? Infinity);
    if (pause.length > 0) {
      consumer.pause([{ topic, partitions: pause }]);
      for (const p of pause) progress.get(p)!.paused = true;
      logger.debug({ partitions: pause }, 'paused partitions ahead of the watermark');
    }
    if (resume.length > 0) {
      consumer.resume([{ topic, partitions: resume }]);
      for (const p of resume) progress.get(p)!.paused = false;
    }
  };

  const counters = (): RunnerCounters => {
    return {
      consumed: base.consumed + committed.consumed,
      aggregated: base.aggregated + committed.aggregated,
      late: base.late + committed.late,
      deadLettered: base.deadLettered + committed.deadLettered,
      restored: totals.restored,
      transactions: totals.transactions,
      signalsWritten: totals.signalsWritten,
    };
  };

  /**
   * Single owner: one transactional id per process. Shared: one per telemetry partition,
   * whoever owns it — the new owner's producer fences the old owner's (the pattern of Kafka
   * Streams before KIP-447; kafkajs's sendOffsets cannot fence by group generation).
   */
  const transactionalIdOf = (partition?: number): string =>
    `${config.kafka.transactionalIdPrefix}-${partition === undefined ? (options.instanceId ?? '0') : `p${partition}`}`;

  const startConsumer = async (): Promise<void> => {
    const c = kafka.consumer({
      groupId,
      readUncommitted: false,
      maxBytesPerPartition: config.runner.maxBytesPerPartition,
      // After a crash the consumer rejoins and the next batch resets the state to the last
      // commit, so restarting is always safe. kafkajs asks this only after retriable errors;
      // the CRASH handler below replaces a consumer that stopped after any other.
      retry: { restartOnFailure: () => Promise.resolve(true), retries: 10 },
      sessionTimeout: config.kafka.sessionTimeoutMs,
      heartbeatInterval: config.kafka.heartbeatIntervalMs,
      // Single owner: all partitions to one process, the others stand by (see
      // single-owner-assigner.ts). Shared: kafkajs's round robin. The protocols' names differ,
      // so the broker refuses to mix processes of the two kinds in one group.
      ...(shared ? {} : { partitionAssigners: [singleOwnerAssigner(() => assigned.size > 0)] }),
    });
    consumer = c;
    c.on(c.events.GROUP_JOIN, (e) => {
      // After any rejoin kafkajs fetches again from the committed offsets, which lag the
      // position on purpose (they point at the oldest record of an open window): records
      // already in the state would be stepped twice. Rebuild from the checkpoint instead.
      // Shared: every join, the first too — the reset builds the partitions' engines and
      // producers (fencing their previous owners) before anything is read.
      if (joinedOnce || shared) needsReset = true;
      joinedOnce = true;
      const now = new Set<number>(e.payload.memberAssignment[topic] ?? []);
      const revoked = [...assigned].filter((x) => !now.has(x));
      const added = [...now].filter((x) => !assigned.has(x));
      // Cumulative OTLP streams of a partition another process now owns: its state is theirs.
      if (revoked.length > 0) options.ingest?.forgetPartitions(revoked);
      if (shared) {
        for (const r of revoked) progress.delete(r);
        assigned = now;
        logger.info(
          { assigned: [...now].sort((a, b) => a - b), revoked },
          now.size === 0
            ? 'no partitions for this process: the group has more processes than partitions'
            : 'partitions assigned',
        );
        return;
      }
      if (revoked.length > 0) {
        processor!.step({ kind: 'revoke', partitions: revoked }, emptyOutputs());
        for (const r of revoked) progress.delete(r);
      }
      if (added.length > 0) processor!.step({ kind: 'assign', partitions: added }, emptyOutputs());
      assigned = now;
      void loadAssigned();
      if (now.size === 0)
        logger.info(
          { group: groupId },
          'standing by: another process of the group owns the partitions; this one takes over if it leaves',
        );
      else logger.info({ assigned: [...now].sort((a, b) => a - b), revoked }, 'partitions assigned');
      if (holdingPartial()) {
        logger.warn(
          { assigned: [...now].sort((a, b) => a - b), partitions: topicPartitions },
          'holding: this process owns only some partitions (a predecessor that died may still hold the others until its session expires)',
        );
      }
    });
    // Telemetry written by transactional producers ends in transaction markers, which take
    // offsets but never reach eachBatch: step over them, or a partition read to its end still
    // counts as having a backlog, is never judged idle, and holds every window open (non-data.ts).
    onNonDataSkipped(
      c,
      topic,
      (p) => {
        const pr = assigned.has(p) && !needsReset ? progress.get(p) : undefined;
        if (!pr) return undefined;
        return pr.position >= 0n ? pr.position : checkpointsLoaded ? pr.start : undefined;
      },
      (p, next) => {
        const pr = progress.get(p)!;
        pr.position = next;
        const high = highs.get(p);
        if (high !== undefined) pr.lag = Number(high - next);
        skipped.add(p);
        void commitSkipped();
      },
    );
    // A replacement rejoins and resumes from the last commit; its first batch resets the state.
    replaceWhenStoppedForGood(c, {
      what: 'the telemetry consumer',
      logger,
      current: () => consumer,
      alive: () => status === 'RUNNING' || status === 'STARTING',
      start: startConsumer,
      onReplace: () => {
        needsReset = true;
      },
      fatal: (err) =>
        (err as { type?: string }).type === 'INCONSISTENT_GROUP_PROTOCOL'
          ? `the consumer group ${groupId} refuses this process: its members assign partitions another way — a homeostat with runner.scaleOut ${shared ? 'off' : 'on'} (this one has it ${shared ? 'on' : 'off'}), or another program using this group id; every process of a group must have the same runner.scaleOut: stop the others or give this one another kafka.groupId`
          : undefined,
      onFatal: (message) => {
        transition('FAILED');
        options.onFatal?.(new HomeostatError('CONFIG_INVALID', message));
      },
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
  };

  return {
    async start() {
      if (status !== 'INITIALIZED')
        throw new HomeostatError('INVALID_STATE', `start() called in state ${status}; create a new runner`);
      transition('STARTING');
      try {
        const n = await partitionCount();
        topicPartitions = n;
        // Shared: the partitions' engines are built when the group assigns them (resetPartitions).
        if (!shared) processor = createProcessor({ engine: options.engine, partitionCount: n });
        // The producer first: its transactional id fences this instance's predecessor and ends
        // its open transaction, which would otherwise hold the state topic's read below.
        if (!shared) {
          producer = await connectTransactional(kafka, transactionalIdOf());
        }
        if (processor && options.history) {
          const seeded = await seedHistories(kafka, processor, options.history);
          logger.info(
            { topic: options.history.topic, keys: seeded },
            'restored EWMA/trend histories from the state topic',
          );
        }
        decoder = createTelemetryDecoder({ resolver: options.resolver, limits });
        // Shared: stage two writes the signals topic.
        if (!shared)
          signalsOut = await createOutputEncoder(
            'signal',
            config.topics.signals,
            config.actions.format,
            options.resolver,
          );
        await startConsumer();
        // stop() may have been called while joining the group: then it owns the lifecycle.
        if ((status as RunnerStatus) !== 'STARTING') return;
        accountingTimer = setInterval(
          () => logger.info({ accounting: counters() }, 'accounting'),
          config.runner.logIntervalMs,
        );
        accountingTimer.unref();
        pendingTimer = setInterval(() => {
          void flushPending();
          if (skipped.size > 0) void commitSkipped();
        }, 200);
        pendingTimer.unref();
        transition('RUNNING');
      } catch (err) {
        transition('FAILED');
        throw explainKafkaError(err, config.kafka.brokers);
      }
    },
    async stop() {
      if (status === 'STOPPED' || status === 'INITIALIZED') {
        status = 'STOPPED';
        return;
      }
      transition('DRAINING');
      if (accountingTimer) clearInterval(accountingTimer);
      if (pendingTimer) clearInterval(pendingTimer);
      await flushPending();
      // consumer.disconnect() lets the running batch finish (and commit its transaction) first.
      await consumer
        ?.disconnect()
        .catch((err: unknown) => logger.warn({ err: describeError(err) }, 'consumer disconnect failed'));
      await lagAdmin?.disconnect().catch(() => undefined);
      await Promise.all([...partitionProducers.values()].map((pp) => pp.disconnect().catch(() => undefined)));
      await producer
        ?.disconnect()
        .catch((err: unknown) => logger.warn({ err: describeError(err) }, 'producer disconnect failed'));
      logger.info({ accounting: counters() }, 'final accounting');
      transition('STOPPED');
    },
    status: () => status,
    ready: () => status === 'RUNNING' && assigned.size > 0 && !holdingPartial() && checkpointsLoaded,
    processor: () => processor,
    counters,
  };
}
