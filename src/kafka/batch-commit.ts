/**
 * A batch's transaction, as Kafka Streams' RecordCollector gathers a task's output: the
 * batch's dead letters (one DLQ record per input record), its outputs as the ownership writes
 * them (signals, or stage records and marks), the policies' messages, the histories that
 * moved, and the consumed offsets with their checkpoints — committed together by the
 * transactional writer, then counted (accounting.ts) and reflected in the gauges.
 */
import type { KafkaMessage, TopicMessages } from 'kafkajs';
import type { ProcessorOutputs } from '../pipeline/processor';
import type { Accounting, CommitWork } from './accounting';
import { encodeCheckpoint } from './checkpoint-meta';
import type { BatchDead, DeadInput } from './dlq-arrival';
import type { RunnerOptions } from './driver-options';
import { newCommitId } from './checkpoint-wait';
import { historyCommitMessage, historyMessages } from './history-checkpoint';
import type { DriverState, Ownership } from './ownership';
import type { PartitionProgress } from './runner-state';
import type { TransactionalWriter } from './transactional-writer';

/** The next offset a checkpoint records: past the records restored after a restart, too. */
export const nextOf = (s: PartitionProgress): bigint => (s.restoreBelow > s.position ? s.restoreBelow : s.position);

export interface BatchCommitDeps {
  o: RunnerOptions;
  ownership: Ownership;
  state: DriverState;
  dead: BatchDead;
  writer: TransactionalWriter;
  accounting: Accounting;
}

export class BatchCommitter {
  private readonly topic: string;
  private readonly groupId: string;

  constructor(private readonly d: BatchCommitDeps) {
    this.topic = d.o.config.topics.telemetry;
    this.groupId = d.o.config.kafka.groupId;
  }

  /** One transaction: dead letters, outputs, the policies' messages, histories and the offsets with their checkpoints. */
  async commit(out: ProcessorOutputs, byOffset: Map<string, KafkaMessage>, p: number, started: bigint): Promise<void> {
    const { o, ownership, state, dead, writer, accounting } = this.d;
    const proc = ownership.procFor(p)!;
    const topicMessages: TopicMessages[] = [];
    // One DLQ record per input record, however many of its samples were refused.
    dead.fold(out.dead);
    const deadInputs = [...dead.groups()];
    if (deadInputs.length > 0) {
      const messages = dead.messages(this.topic, p, byOffset, o.config.topics.dlqMaxMessageBytes);
      topicMessages.push({ topic: o.config.topics.dlq, messages });
    }
    const wm = proc.watermark();
    topicMessages.push(...ownership.outputMessages({ partition: p, out, watermark: wm }, nextOf));
    const histories = o.history ? historyMessages(proc, out, o.history) : undefined;
    const historyTx = this.nameHistoryCommit(p, histories);
    const partitions = ownership.committedPartitions(p).map((part) => {
      const s = state.progress.get(part)!;
      const pending = proc.pendingOffset(part);
      const safe = pending !== undefined ? BigInt(pending) : s.position;
      const h = ownership.namesHistoryCommits ? (part === p ? (historyTx ?? s.historyTx) : s.historyTx) : undefined;
      return {
        partition: part,
        offset: safe.toString(),
        metadata: encodeCheckpoint({ next: nextOf(s).toString(), wm, h }),
      };
    });
    const progress = state.progress.get(p);
    // The state this transaction commits is taken before its first await (see commitSkipped).
    const work: CommitWork = { counters: ownership.counters()!, deadInputs, signalsWritten: out.published.length };
    topicMessages.push(...(await ownership.extensionMessages(out)));
    if (histories) topicMessages.push(histories);
    this.logDeadLetters(deadInputs, p, wm);
    try {
      const offsets = { consumerGroupId: this.groupId, topics: [{ topic: this.topic, partitions }] };
      await writer.commit(ownership.producerKey(p), topicMessages, offsets);
    } catch (err) {
      accounting.failed({ work, offsets: partitions });
      throw err;
    }
    accounting.committedWork(work);
    if (historyTx !== undefined && progress) progress.historyTx = historyTx;
    this.gauges(wm, topicMessages, started);
    dead.clear();
  }

  /**
   * Scaled out, a transaction that writes partition `p`'s histories names itself: a record on
   * the state topic and the offset's metadata carry one id, so that the partition's next owner
   * knows whether the histories it reads are this commit's (shared-partitions.ts).
   */
  private nameHistoryCommit(p: number, histories: TopicMessages | undefined): string | undefined {
    const { o, ownership } = this.d;
    if (!histories || !o.history || !ownership.namesHistoryCommits) return undefined;
    const id = newCommitId();
    histories.messages.push(historyCommitMessage(o.history, p, id));
    return id;
  }

  /** Gauges after a commit: watermark and its delay, live series, lag, and the command latency. */
  private gauges(wm: number, topicMessages: readonly TopicMessages[], started: bigint): void {
    const m = this.d.o.metrics;
    if (!m) return;
    const { progress } = this.d.state;
    const processWm = this.d.ownership.processWatermark(wm);
    if (Number.isFinite(processWm)) {
      m.watermarkMs.set(processWm);
      const maxTs = Math.max(...[...progress.values()].map((x) => x.maxTs));
      if (Number.isFinite(maxTs)) m.watermarkDelaySeconds.set(Math.max(0, maxTs - processWm) / 1000);
    }
    m.seriesActive.set(this.d.ownership.seriesActive());
    for (const [part, pr] of progress)
      m.consumerLag.set({ topic: this.topic, partition: String(part) }, Math.max(0, pr.lag));
    if (topicMessages.some((tm) => tm.topic === this.d.o.config.topics.actions)) {
      // Window close → command written: the batch that closed the window started at `started`.
      m.commandLatencySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private logDeadLetters(deadInputs: readonly DeadInput[], partition: number, watermark: number): void {
    const { logger } = this.d.o;
    if (deadInputs.length === 0 || !logger.isLevelEnabled('debug')) return;
    const progress = [...this.d.state.progress.entries()].map(([k, v]) => ({
      k,
      maxTs: v.maxTs,
      lag: v.lag,
      pos: String(v.position),
    }));
    for (const { first: d } of deadInputs.slice(0, 3)) {
      logger.debug({ partition, offset: d.offset, code: d.code, ts: d.record?.ts, watermark, progress }, 'dead letter');
    }
  }
}
