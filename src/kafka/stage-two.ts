/**
 * Stage two of a group whose processes share the telemetry partitions (runner.scaleOut): reads
 * the stage topic that every process's stage one writes, releases complete windows in one
 * order (src/pipeline/gather.ts), writes the signals, and runs the policies — one process of
 * the group at a time. Its consumer group (`<groupId>.stage-two`) uses the single-owner
 * assigner, so every process runs one and all but the owner stand by; a standby takes over
 * when the owner leaves or dies.
 *
 * Exactly once, like the runner: each batch's signals, commands, decisions, outcomes, scope
 * histories, the gather checkpoint and the stage-topic offset go in one transaction. The
 * offset committed is that of the oldest stage record still buffered, so a new owner re-reads
 * what was waiting; its checkpoint says what was released already. One transactional id for
 * the group: the new owner's producer fences the old one before anything is read.
 */
import type { EachBatchPayload, TopicMessages } from 'kafkajs';
import type { KafkaPort, PortAdmin, PortConsumer, PortProducer } from './port';
import type { SchemaResolver } from '../codec';
import type { EngineConfig } from '../core';
import { describeError } from '../errors';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import type { HomeostatConfig } from '../ops/config';
import {
  createGather,
  emptyGatherOutputs,
  type Gather,
  type GatherCheckpoint,
  type GatherCounters,
  type GatherOutputs,
} from '../pipeline/gather';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-meta';
import { createKafka } from './client';
import { replaceWhenStoppedForGood } from './consumer-replacement';
import { nextAfter, onNonDataSkipped } from './non-data';
import { historyKeys, scopeHistoryMessage, type HistoryCheckpoint } from './history-checkpoint';
import { createOutputEncoder, type OutputEncoder } from './outputs';
import { resetExtension, type BatchExtension } from './batch-extension';
import { singleOwnerAssigner } from './single-owner-assigner';
import { decodeStageRecord } from './stage-records';
import { readCompacted } from './state-topic';
import { connectTransactional, writeTransaction } from './transaction';

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

/** How often the owner asks the brokers how far stage one has read (idleness, backlog). */
const OFFSETS_REFRESH_MS = 200;
/** A stage batch that released nothing is committed with the next that does, or after this long. */
const IDLE_COMMIT_MS = 1_000;

export function createStageTwo(o: StageTwoOptions): StageTwo {
  const { config, logger } = o;
  const kafka: KafkaPort = o.kafka ?? createKafka(config.kafka, logger);
  const groupId = `${config.kafka.groupId}.stage-two`;
  const stageTopic = config.topics.stage;
  const telemetry = config.topics.telemetry;
  const stateKey = `stage/${config.kafka.groupId}`;
  let running = false;
  let consumer: PortConsumer | undefined;
  let producer: PortProducer | undefined;
  let admin: PortAdmin | undefined;
  let signalsOut: OutputEncoder<'signal'> | undefined;
  let partitionCount = 0;
  const rawPassThrough = config.actions.format === 'json';
  /** Stage records' bytes by decoded signal, for publishing unchanged (dropped with the signal). */
  const raw = new WeakMap<object, Buffer>();
  let gather: Gather | undefined;
  let owned = false;
  let needsReset = false;
  /** Stage records below it were handled before the last reset: they only rebuild the buffer. */
  let restoreBelow = -1n;
  /** Next stage offset to read, -1n before the first record since the reset. */
  let position = -1n;
  /** Where the last reset sought to (the position before any record is read). */
  let resumeAt = -1n;
  let unreadable = 0;
  /** The gather's `late` as of the last commit (metrics move with committed work only). */
  let lateCounted = 0;
  let transactions = 0;
  let offsetsAt = 0;
  let committedAt = 0;
  /** `position` as of the last commit (a deferred batch leaves them apart). */
  let committedPosition = -1n;
  let timer: NodeJS.Timeout | undefined;
  let accounting: NodeJS.Timeout | undefined;
  const counters = (): StageTwoCounters => ({
    ...(gather?.counters() ?? { signals: 0, marks: 0, released: 0, late: 0, rejected: 0 }),
    unreadable,
    transactions,
  });
  /** A tick is queued or running (ticks do not pile up behind a long batch). */
  let busy = false;

  /**
   * One unit of work at a time — a batch, an idle-time release, a reset — each from the
   * gather's steps to its transaction's commit, so outputs are written in release order.
   */
  let chain: Promise<unknown> = Promise.resolve();
  let running_: { what: string; since: number } | undefined;
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  const withAdmin = async (): Promise<PortAdmin> => {
    if (!admin) {
      admin = kafka.admin();
      await admin.connect();
    }
    return admin;
  };

  /** Where stage one is: each telemetry partition's high watermark and the group's committed offset. */
  const refreshOffsets = async (out: GatherOutputs): Promise<void> => {
    if (!gather || Date.now() - offsetsAt < OFFSETS_REFRESH_MS) return;
    const a = await withAdmin();
    const ends = await a.fetchTopicOffsets(telemetry);
    const [entry] = await a.fetchOffsets({ groupId: config.kafka.groupId, topics: [telemetry] });
    const high: string[] = [];
    const committed: string[] = [];
    for (const e of ends) {
      high[e.partition] = e.high;
      const c = entry?.partitions.find((x) => x.partition === e.partition)?.offset;
      committed[e.partition] = c !== undefined && c !== '-1' ? c : e.low;
    }
    offsetsAt = Date.now();
    gather.step({ kind: 'offsets', high, committed }, out);
  };

  /** A new owner (or a failed batch): fence the last owner, then rebuild from the last commit. */
  const reset = async (): Promise<void> => {
    const began = Date.now();
    needsReset = false;
    gather = undefined;
    await producer?.disconnect().catch(() => undefined);
    producer = await connectTransactional(kafka, `${config.kafka.transactionalIdPrefix}-stage-two`);
    let g = createGather({ partitionCount, engine: o.engine });
    // One read of the state topic for the checkpoint, the scope histories and the policies'
    // snapshot (see resetExtension).
    const scopes = o.history ? historyKeys(o.history, 'scopes') : undefined;
    const stored = await readCompacted(
      kafka,
      config.topics.state,
      (k) => k === stateKey || k === o.extension?.stateKey || (scopes !== undefined && k.startsWith(scopes.prefix)),
    );
    const saved = stored.get(stateKey);
    if (saved) {
      // Anyone who can write the state topic wrote this: a value that is not a checkpoint is
      // refused with a reason, and stage two starts afresh from the stage topic, never crashes.
      try {
        const parsed: unknown = JSON.parse(saved.toString('utf8'));
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        g.restore(parsed as GatherCheckpoint);
      } catch (err) {
        logger.error(
          { topic: config.topics.state, key: stateKey, reason: describeError(err) },
          'stage two: refused its checkpoint on the state topic; starting afresh — check who can write the state topic',
        );
        g = createGather({ partitionCount, engine: o.engine });
      }
    }
    if (scopes) g.seedHistories(scopes.parse(stored).scopes);
    await resetExtension(o.extension, stored);
    const a = await withAdmin();
    const [entry] = await a.fetchOffsets({ groupId, topics: [stageTopic] });
    const low = (await a.fetchTopicOffsets(stageTopic)).find((x) => x.partition === 0)?.low ?? '0';
    const c = entry?.partitions.find((x) => x.partition === 0);
    restoreBelow = BigInt(decodeCheckpoint(c?.metadata)?.next ?? '-1');
    position = -1n;
    offsetsAt = 0;
    gather = g;
    lateCounted = g.counters().late;
    const from = c !== undefined && c.offset !== '-1' ? c.offset : low;
    resumeAt = BigInt(from);
    consumer!.seek({ topic: stageTopic, partition: 0, offset: from });
    logger.info(
      {
        released: saved ? g.released() : null,
        from: c?.offset,
        restoreBelow: String(restoreBelow),
        ms: Date.now() - began,
      },
      'stage two: resumed from the last commit',
    );
  };

  /** Writes what `out` holds, the checkpoint and the stage offset in one transaction (inside a serialized unit). */
  const commit = async (out: GatherOutputs): Promise<void> => {
    const g = gather!;
    // The position as this transaction writes it (stepping over markers moves it meanwhile).
    const at = position;
    const messages: TopicMessages[] = [];
    if (out.published.length > 0) {
      messages.push({
        topic: config.topics.signals,
        messages: out.published.map((s) => ({ key: s.key, value: raw.get(s) ?? signalsOut!.message(s.key, s).value })),
      });
    }
    const ext = o.extension;
    if (ext && (out.finals.length > 0 || ext.hasPending?.())) messages.push(...(await ext.onFinals(out.finals)));
    const state = [];
    if (o.history) {
      const seen = new Set<string>();
      for (const s of out.finals) {
        if (s.scope === 'series' || s.count === 0 || seen.has(s.key)) continue;
        seen.add(s.key);
        const h = g.history(s.key);
        if (h) state.push(scopeHistoryMessage(o.history, s.key, h));
      }
    }
    state.push({ key: stateKey, value: Buffer.from(JSON.stringify(g.checkpoint())) });
    messages.push({ topic: config.topics.state, messages: state });
    const offsets =
      at < 0n
        ? undefined
        : {
            consumerGroupId: groupId,
            topics: [
              {
                topic: stageTopic,
                partitions: [
                  {
                    partition: 0,
                    offset: g.oldestBuffered() ?? at.toString(),
                    metadata: encodeCheckpoint({
                      next: (at > restoreBelow ? at : restoreBelow).toString(),
                      wm: g.released(),
                    }),
                  },
                ],
              },
            ],
          };
    await writeTransaction(producer!, messages, offsets);
    committedAt = Date.now();
    committedPosition = at;
    transactions++;
    const m = o.metrics;
    if (m) {
      m.transactions.inc({ result: 'committed' });
      m.stageTwoBufferedWindows.set(g.buffered());
      const late = g.counters().late;
      if (late > lateCounted) m.stageTwoLate.inc(late - lateCounted);
    }
    lateCounted = g.counters().late;
  };

  /** Runs a unit; a failure rebuilds the state from the last commit before the next. */
  const unit = (what: string, fn: () => Promise<void>): Promise<void> =>
    serialized(async () => {
      running_ = { what: needsReset ? 'a reset' : what, since: Date.now() };
      try {
        if (needsReset) await reset();
        else await fn();
        running_ = undefined;
      } catch (err) {
        running_ = undefined;
        needsReset = true;
        o.metrics?.transactions.inc({ result: 'aborted' });
        logger.error(
          { err: describeError(err) },
          `stage two: ${what} failed; its outputs were not committed and the state will be rebuilt`,
        );
        throw err;
      }
    });

  const eachBatch = async ({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> => {
    // A reset seeks: this batch is read again from where the last commit left off.
    const resetting = needsReset;
    await unit('a batch', async () => {
      if (!isRunning() || isStale() || !gather || batch.messages.length === 0) return;
      const out = emptyGatherOutputs();
      for (const m of batch.messages) {
        const input = decodeStageRecord(m);
        if ('error' in input) {
          unreadable++;
          logger.error(
            { topic: stageTopic, offset: m.offset, reason: input.error },
            'stage two: a record of the stage topic is not a stage record; skipped (only homeostat processes of this group should write there)',
          );
          continue;
        }
        // JSON outputs: a signal is published as the bytes stage one wrote (the same encoder's).
        if (input.kind === 'signal' && rawPassThrough && m.value) raw.set(input.signal, m.value);
        gather.step(input, out, BigInt(m.offset) < restoreBelow);
      }
      position = nextAfter(batch, batch.messages[batch.messages.length - 1].offset);
      await refreshOffsets(out);
      await heartbeat();
      // Most stage batches only buffer (a partition's mark arrives, no window completes):
      // their commit can wait — a restart re-reads them from the last commit — which halves
      // the group's transactions. What releases a window is written at once.
      if (
        out.published.length > 0 ||
        out.finals.length > 0 ||
        o.extension?.hasPending?.() ||
        Date.now() - committedAt >= IDLE_COMMIT_MS
      )
        await commit(out);
      resolveOffset(batch.messages[batch.messages.length - 1].offset);
    });
    if (!resetting) await heartbeat();
  };

  /** Between batches: take over (reset), release what a partition going idle allows, write an operator's control decisions. */
  const tick = (): Promise<void> =>
    unit('an idle-time commit', async () => {
      if (!owned || !gather) return;
      const out = emptyGatherOutputs();
      await refreshOffsets(out);
      const deferred = position >= 0n && committedPosition !== position && Date.now() - committedAt >= IDLE_COMMIT_MS;
      if (out.published.length > 0 || out.finals.length > 0 || o.extension?.hasPending?.() || deferred)
        await commit(out);
    });

  const startConsumer = async (): Promise<void> => {
    const c = kafka.consumer({
      groupId,
      readUncommitted: false,
      retry: { restartOnFailure: () => Promise.resolve(true), retries: 10 },
      sessionTimeout: config.kafka.sessionTimeoutMs,
      heartbeatInterval: config.kafka.heartbeatIntervalMs,
      partitionAssigners: [singleOwnerAssigner(() => owned)],
    });
    consumer = c;
    c.on(c.events.GROUP_JOIN, (e) => {
      const was = owned;
      owned = (e.payload.memberAssignment[stageTopic] ?? []).length > 0;
      o.metrics?.stageTwoOwner.set(owned ? 1 : 0);
      // Any join may follow a change of owner: rebuild from the last commit before reading.
      needsReset = true;
      if (owned !== was || !was) {
        logger.info(
          { group: groupId },
          owned
            ? 'stage two: this process merges the scopes and runs the policies'
            : 'stage two standing by: another process of the group merges the scopes and runs the policies',
        );
      }
    });
    // Stage one's transactions leave markers (and, when a rebalance fences a producer, aborted
    // records) after the last stage record: step over them, or the committed offset stays short
    // of the end and the group never shows caught up (see non-data.ts). A deferred commit
    // writes the new position.
    onNonDataSkipped(
      c,
      stageTopic,
      () => (gather && owned && !needsReset ? (position >= 0n ? position : resumeAt) : undefined),
      (_p, next) => {
        position = next;
      },
    );
    replaceWhenStoppedForGood(c, {
      what: 'the stage-two consumer',
      logger,
      current: () => consumer,
      alive: () => running,
      start: startConsumer,
      onReplace: () => {
        needsReset = true;
      },
    });
    await c.connect();
    await c.subscribe({ topic: stageTopic, fromBeginning: true });
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
  };

  return {
    async start() {
      running = true;
      const a = await withAdmin();
      const meta = await a.fetchTopicMetadata({ topics: [telemetry, stageTopic] });
      partitionCount = meta.topics.find((t) => t.name === telemetry)!.partitions.length;
      const stageParts = meta.topics.find((t) => t.name === stageTopic)!.partitions.length;
      if (stageParts !== 1)
        logger.warn(
          { topic: stageTopic, partitions: stageParts },
          'the stage topic should have one partition; stage one writes to partition 0 only',
        );
      signalsOut = await createOutputEncoder('signal', config.topics.signals, config.actions.format, o.resolver);
      await startConsumer();
      timer = setInterval(() => {
        if (owned && !busy) {
          busy = true;
          void tick()
            .catch(() => undefined)
            .finally(() => {
              busy = false;
            });
        }
      }, OFFSETS_REFRESH_MS);
      timer.unref();
      accounting = setInterval(() => {
        if (owned) {
          // What it is busy with (and since when), and where it has read to: a stall shows here.
          const busyWith = running_ ? `${running_.what} for ${Date.now() - running_.since} ms` : null;
          logger.info(
            {
              stageTwo: counters(),
              buffered: gather?.buffered() ?? 0,
              position: String(position),
              committed: String(committedPosition),
              busyWith,
              needsReset,
            },
            'stage two accounting',
          );
        }
      }, config.runner.logIntervalMs);
      accounting.unref();
    },
    async stop() {
      running = false;
      if (timer) clearInterval(timer);
      if (accounting) clearInterval(accounting);
      await consumer
        ?.disconnect()
        .catch((err: unknown) => logger.warn({ err: describeError(err) }, 'stage-two consumer disconnect failed'));
      await chain;
      await producer?.disconnect().catch(() => undefined);
      await admin?.disconnect().catch(() => undefined);
    },
    counters,
  };
}
