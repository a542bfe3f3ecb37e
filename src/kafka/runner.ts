/**
 * The processor on Kafka: consume telemetry with eachBatch, drive the pure pipeline, and
 * write every output of a batch together with the consumed offsets in one Kafka
 * transaction (sendOffsets), so that outputs and offsets are committed together or not at
 * all. The committed offset of a partition is the oldest record still feeding an open
 * window; its metadata carries a checkpoint (see checkpoint-meta.ts) so that a restart
 * rebuilds open windows without emitting anything twice.
 */
import type { Admin, Consumer, ProducerConfig, EachBatchPayload, KafkaMessage, Message, Producer, TopicMessages } from 'kafkajs';
import { createTelemetryDecoder, encodeTelemetryJson, resolveTelemetryLimits, type SchemaResolver, type TelemetryDecoder } from '../codec';
import { aheadOfLogTime } from '../codec/log-time';
import type { IngestDecoder } from '../ingest';
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
import { historyMessages, seedHistories, type HistoryCheckpoint } from './history-checkpoint';
import { dlqMessage } from './dlq';
import { createOutputEncoder, type OutputEncoder } from './outputs';
import { alignment, newProgress, type PartitionProgress } from './runner-state';
import type { HomeostatConfig } from '../ops/config';
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

/**
 * Kafka refuses a record batch above the broker's message.max.bytes (1 MiB by default), and a
 * batch of windows closing at once (sketches included) can exceed that; so a transaction's
 * messages are sent in requests of at most this many bytes.
 */
const MAX_REQUEST_BYTES = 512 * 1024;

/** How stale the brokers' high watermarks may be when judging which partitions have a backlog. */
const BACKLOG_REFRESH_MS = 100;

function messageBytes(m: Message): number {
  const len = (v: unknown): number => (v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : (v as Buffer).length);
  let n = 64 + len(m.key) + len(m.value);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += k.length + len(v);
  return n;
}

export function chunkMessages(topicMessages: TopicMessages[], maxBytes: number): TopicMessages[][] {
  const chunks: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let bytes = 0;
  for (const tm of topicMessages) {
    let part: Message[] = [];
    for (const m of tm.messages) {
      const b = messageBytes(m);
      if (bytes + b > maxBytes && bytes > 0) {
        if (part.length > 0) current.push({ topic: tm.topic, messages: part });
        chunks.push(current);
        current = [];
        part = [];
        bytes = 0;
      }
      part.push(m);
      bytes += b;
    }
    if (part.length > 0) current.push({ topic: tm.topic, messages: part });
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The transaction coordinator answers CONCURRENT_TRANSACTIONS while it is still writing the
 * markers of the previous transaction; the Java client retries it, kafkajs does not.
 */
async function whileConcurrent<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type !== 'CONCURRENT_TRANSACTIONS' || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, Math.min(100, 5 * 2 ** attempt)));
    }
  }
}

export function createRunner(options: RunnerOptions): Runner {
  const { config, logger } = options;
  const topic = config.topics.telemetry;
  const groupId = config.kafka.groupId;
  const kafka = createKafka(config.kafka, logger);
  let status: RunnerStatus = 'INITIALIZED';
  const limits = resolveTelemetryLimits(options.limits);
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let processor: Processor | undefined;
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
        processor?.step({ kind: 'backlog', partition: p, backlog }, emptyOutputs());
      }
      if (processor && Number.isFinite(wm)) {
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
  let lagAdmin: Admin | undefined;
  const refreshBacklog = async (proc: Processor, out: ProcessorOutputs): Promise<void> => {
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
      proc.step({ kind: 'backlog', partition: p, backlog: high > next }, out);
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
    await serialized(async () => {
      await producer?.disconnect().catch(() => undefined);
      producer = kafka.producer(producerOptions());
      await producer.connect();
    });
    base = { consumed: base.consumed + committed.consumed, aggregated: base.aggregated + committed.aggregated, late: base.late + committed.late, deadLettered: base.deadLettered + committed.deadLettered };
    committed = zero();
    committedWindows = 0;
    processor = createProcessor({ engine: options.engine, partitionCount: processor!.merger.config.partitionCount });
    processor.step({ kind: 'assign', partitions: [...assigned] }, emptyOutputs());
    if (options.history) await seedHistories(kafka, processor, options.history);
    progress.clear();
    await options.extension?.reset?.();
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
  const holdingPartial = (): boolean => assigned.size > 0 && assigned.size < topicPartitions;

  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
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
      logger.error({ err: describeError(err) }, 'batch failed; its outputs were not committed and the state will be rebuilt');
      throw err;
    }
  };

  /**
   * One Kafka record of any supported format: one OTLP or line-protocol record carries many
   * samples, each stepped with the record's offset (so commits stay per record). `consumed`
   * counts samples (plus one per undecodable record); a late sample of a foreign record is
   * dead-lettered as the sample itself, not as the whole batch it came in.
   */
  const foreignOffsets = new Set<string>();
  const ingestOne = async (m: KafkaMessage, p: number, restoring: boolean, pr: PartitionProgress, out: ProcessorOutputs): Promise<void> => {
    const ingest = options.ingest!;
    const ctx = { partition: p, timestamp: Number(m.timestamp) };
    let r = ingest.decodeSync(m.value, ctx);
    if (r.status === 'schema-miss') {
      await ingest.loadSchema(r.schemaId);
      r = ingest.decodeSync(m.value, ctx);
    }
    const proc = processor!;
    if (r.status === 'ok') {
      if (r.format !== 'avro' && r.format !== 'json') foreignOffsets.add(m.offset);
      for (const t of r.values) {
        const ahead = aheadOfLogTime(t.ts, ctx.timestamp, limits);
        if (ahead) {
          // Dead-lettered before a restart; the rebuilt state never held it.
          if (!restoring) proc.step({ kind: 'invalid', partition: p, offset: m.offset, code: ahead.code, message: ahead.message, field: ahead.field, record: t }, out);
          continue;
        }
        if (t.ts > pr.maxTs) pr.maxTs = t.ts;
        const input = { kind: 'record' as const, partition: p, offset: m.offset, record: t };
        if (restoring) proc.restore(input, out);
        else proc.step(input, out);
      }
      if (restoring) totals.restored++;
    } else if (!restoring) {
      const e = r.status === 'invalid' ? r.error : { code: 'UNKNOWN_SCHEMA_ID' as const, message: `schema id ${r.schemaId} is not in the registry`, field: undefined };
      proc.step({ kind: 'invalid', partition: p, offset: m.offset, code: e.code, message: e.message, field: e.field }, out);
    }
  };

  const processBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const started = process.hrtime.bigint();
    const p = batch.partition;
    const proc = processor!;
    await (checkpointLoad ?? loadAssigned());
    const pr = progress.get(p) ?? newProgress();
    progress.set(p, pr);
    const out = emptyOutputs();
    await refreshBacklog(proc, out);
    let last: string | undefined;
    const restoreBelow = pr.restoreBelow;
    // The loop awaits nothing unless a schema must be fetched, so isRunning/isStale (a
    // rebalance or a seek) cannot change between two records: checking them before the loop
    // and after that await is the same as checking per record, at a fraction of the cost
    // (kafkajs builds a string key per isStale call).
    if (!isRunning() || isStale()) return;
    for (const m of batch.messages) {
      const restoring = restoreBelow > 0n && BigInt(m.offset) < restoreBelow;
      if (options.ingest) {
        await ingestOne(m, p, restoring, pr, out);
        last = m.offset;
        continue;
      }
      let r = decoder!.decodeSync(m.value);
      if (r.status === 'schema-miss') {
        r = await decodeOne(m);
        if (!isRunning() || isStale()) break;
      }
      if (r.status === 'ok') {
        const ahead = aheadOfLogTime(r.value.ts, Number(m.timestamp), limits);
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
        proc.step({ kind: 'invalid', partition: p, offset: m.offset, code: r.error.code, message: r.error.message, field: r.error.field }, out);
      } else {
        proc.step({ kind: 'invalid', partition: p, offset: m.offset, code: 'UNKNOWN_SCHEMA_ID', message: `schema id ${r.schemaId} is not in the registry` }, out);
      }
      last = m.offset;
    }
    if (last === undefined) return;
    pr.position = BigInt(last) + 1n;
    // Only dead letters need their original message: index the batch only when there are some.
    const byOffset = new Map<string, KafkaMessage>();
    if (out.dead.length > 0) for (const m of batch.messages) byOffset.set(m.offset, m);
    pr.lag = Number(BigInt(batch.highWatermark) - pr.position);
    highs.set(p, BigInt(batch.highWatermark));
    proc.step({ kind: 'backlog', partition: p, backlog: pr.lag > 0 }, out);
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
      if (!producer || !ext?.hasPending?.() || !ext.takePending) return;
      const messages = ext.takePending();
      const tx = await producer.transaction();
      try {
        for (const tm of messages) await whileConcurrent(() => tx.sendBatch({ topicMessages: [tm] }));
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => undefined);
        logger.error({ err: describeError(err) }, 'writing control decisions failed; they are rebuilt from the control topic on restart');
      }
    });

  const commitBatch = (out: ProcessorOutputs, byOffset: Map<string, KafkaMessage>, p: number, started: bigint): Promise<void> =>
    serialized(() => commitBatchNow(out, byOffset, p, started));

  const commitBatchNow = async (out: ProcessorOutputs, byOffset: Map<string, KafkaMessage>, p: number, started: bigint): Promise<void> => {
    const proc = processor!;
    const topicMessages: TopicMessages[] = [];
    if (out.dead.length > 0) {
      const messages: Message[] = out.dead.map((d) => {
        const m = byOffset.get(d.offset);
        // A sample taken from a foreign record (OTLP, Influx) is dead-lettered as itself.
        const value = d.record && foreignOffsets.has(d.offset) ? encodeTelemetryJson(d.record) : (m?.value ?? null);
        return dlqMessage(
          { topic, partition: p, offset: d.offset, key: m?.key ?? null, value, timestamp: m?.timestamp ?? '', headers: m?.headers },
          { code: d.code, message: d.message, field: d.field },
        );
      });
      topicMessages.push({ topic: config.topics.dlq, messages });
    }
    if (out.published.length > 0) {
      topicMessages.push({ topic: config.topics.signals, messages: out.published.map((s) => signalsOut!.message(s.key, s)) });
    }
    if (options.extension && (out.finals.length > 0 || options.extension.hasPending?.())) {
      topicMessages.push(...(await options.extension.onFinals(out.finals)));
    }
    const histories = options.history ? historyMessages(proc, out, options.history) : undefined;
    if (histories) topicMessages.push(histories);
    const wm = proc.watermark();
    const partitions = [...progress.entries()]
      .filter(([, s]) => s.position >= 0n)
      .map(([part, s]) => {
        const pending = proc.pendingOffset(part);
        const safe = pending !== undefined ? BigInt(pending) : s.position;
        const next = s.restoreBelow > s.position ? s.restoreBelow : s.position;
        return { partition: part, offset: safe.toString(), metadata: encodeCheckpoint({ next: next.toString(), wm }) };
      });
    if (out.dead.length > 0 && logger.isLevelEnabled('debug')) {
      for (const d of out.dead.slice(0, 3)) logger.debug({ partition: p, offset: d.offset, code: d.code, ts: d.record?.ts, watermark: wm, progress: [...progress.entries()].map(([k, v]) => ({ k, maxTs: v.maxTs, lag: v.lag, pos: String(v.position) })) }, 'dead letter');
    }
    const tx = await producer!.transaction();
    try {
      // One topic per request: kafkajs adds the partitions of concurrent sends to the
      // transaction concurrently, which the coordinator refuses (CONCURRENT_TRANSACTIONS).
      for (const tm of topicMessages) {
        for (const chunk of chunkMessages([tm], MAX_REQUEST_BYTES)) await whileConcurrent(() => tx.sendBatch({ topicMessages: chunk }));
      }
      await whileConcurrent(() => tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions }] }));
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      options.metrics?.transactions.inc({ result: 'aborted' });
      throw err;
    }
    const c = proc.counters();
    const m = options.metrics;
    if (m) {
      // Counters move only with committed work, by the delta since the last commit.
      m.recordsConsumed.inc({ topic }, c.consumed - committed.consumed);
      m.recordsAggregated.inc(c.aggregated - committed.aggregated);
      m.recordsLate.inc(c.late - committed.late);
      for (const d of out.dead) if (d.code !== 'LATE') m.recordsDeadLettered.inc({ reason: d.code });
      m.windowsClosed.inc(Math.max(0, c.windowsClosed - committedWindows));
      committedWindows = c.windowsClosed;
      if (Number.isFinite(wm)) {
        m.watermarkMs.set(wm);
        const maxTs = Math.max(...[...progress.values()].map((x) => x.maxTs));
        if (Number.isFinite(maxTs)) m.watermarkDelaySeconds.set(Math.max(0, maxTs - wm) / 1000);
      }
      m.seriesActive.set(proc.seriesCount());
      for (const [part, pr] of progress) m.consumerLag.set({ topic, partition: String(part) }, Math.max(0, pr.lag));
      if (topicMessages.some((tm) => tm.topic === config.topics.actions)) {
        // Window close → command written: the batch that closed the window started at `started`.
        m.commandLatencySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
    committed = { consumed: c.consumed, aggregated: c.aggregated, late: c.late, deadLettered: c.deadLettered };
    foreignOffsets.clear();
    totals.transactions++;
    totals.signalsWritten += out.published.length;
    options.metrics?.transactions.inc({ result: 'committed' });
  };

  const applyAlignment = (): void => {
    if (!consumer || !processor) return;
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

  const producerOptions = (): ProducerConfig => ({
    transactionalId: `${config.kafka.transactionalIdPrefix}-${options.instanceId ?? '0'}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });

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
      // All partitions to one process, the others stand by (see single-owner-assigner.ts).
      partitionAssigners: [singleOwnerAssigner(() => assigned.size > 0)],
    });
    consumer = c;
    c.on(c.events.GROUP_JOIN, (e) => {
      // After any rejoin kafkajs fetches again from the committed offsets, which lag the
      // position on purpose (they point at the oldest record of an open window): records
      // already in the state would be stepped twice. Rebuild from the checkpoint instead.
      if (joinedOnce) needsReset = true;
      joinedOnce = true;
      const now = new Set<number>(e.payload.memberAssignment[topic] ?? []);
      const revoked = [...assigned].filter((x) => !now.has(x));
      const added = [...now].filter((x) => !assigned.has(x));
      if (revoked.length > 0) {
        processor!.step({ kind: 'revoke', partitions: revoked }, emptyOutputs());
        for (const r of revoked) progress.delete(r);
      }
      if (added.length > 0) processor!.step({ kind: 'assign', partitions: added }, emptyOutputs());
      assigned = now;
      void loadAssigned();
      if (now.size === 0) logger.info({ group: groupId }, 'standing by: another process of the group owns the partitions; this one takes over if it leaves');
      else logger.info({ assigned: [...now].sort((a, b) => a - b), revoked }, 'partitions assigned');
      if (holdingPartial()) {
        logger.warn(
          { assigned: [...now].sort((a, b) => a - b), partitions: topicPartitions },
          'holding: this process owns only some partitions (a predecessor that died may still hold the others until its session expires)',
        );
      }
    });
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
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
  };

  return {
    async start() {
      if (status !== 'INITIALIZED') throw new HomeostatError('INVALID_STATE', `start() called in state ${status}; create a new runner`);
      transition('STARTING');
      try {
        const n = await partitionCount();
        topicPartitions = n;
        processor = createProcessor({ engine: options.engine, partitionCount: n });
        if (options.history) {
          const seeded = await seedHistories(kafka, processor, options.history);
          logger.info({ topic: options.history.topic, keys: seeded }, 'restored EWMA/trend histories from the state topic');
        }
        decoder = createTelemetryDecoder({ resolver: options.resolver, limits });
        signalsOut = await createOutputEncoder('signal', config.topics.signals, config.actions.format, options.resolver);
        producer = kafka.producer(producerOptions());
        await producer.connect();
        await startConsumer();
        // stop() may have been called while joining the group: then it owns the lifecycle.
        if ((status as RunnerStatus) !== 'STARTING') return;
        accountingTimer = setInterval(() => logger.info({ accounting: counters() }, 'accounting'), config.runner.logIntervalMs);
        accountingTimer.unref();
        pendingTimer = setInterval(() => void flushPending(), 200);
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
      await consumer?.disconnect().catch((err: unknown) => logger.warn({ err: describeError(err) }, 'consumer disconnect failed'));
      await lagAdmin?.disconnect().catch(() => undefined);
      await producer?.disconnect().catch((err: unknown) => logger.warn({ err: describeError(err) }, 'producer disconnect failed'));
      logger.info({ accounting: counters() }, 'final accounting');
      transition('STOPPED');
    },
    status: () => status,
    ready: () => status === 'RUNNING' && assigned.size > 0 && !holdingPartial() && checkpointsLoaded,
    processor: () => processor,
    counters,
  };
}
