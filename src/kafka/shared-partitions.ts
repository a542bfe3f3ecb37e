/**
 * Shared partitions (runner.scaleOut; ownership.ts): the telemetry partitions are shared with
 * the group's other processes (kafkajs's round robin). One processor per owned partition — its
 * windows depend on that partition alone — and one transactional producer per partition, so
 * that its next owner fences this one. Outputs and marks go to the stage topic for stage two
 * (gather-driver.ts, which merges scopes and runs the policies); processor-runners.ts puts the two
 * stages together.
 */
import type { TopicMessages } from 'kafkajs';
import { ResetRequired } from '../errors';
import { createProcessor, emptyOutputs, type Processor } from '../pipeline/processor';
import { decodeCheckpoint } from './checkpoint-meta';
import type { RunnerOptions } from './driver-options';
import type { GroupSnapshot } from './group-offsets';
import { CheckpointWait } from './checkpoint-wait';
import { readSeriesHistories, type HistoryCheckpoint } from './history-checkpoint';
import { inconsistentProtocolMessage, type CommitPlan, type DriverState, type Join, type Ownership } from './ownership';
import type { KafkaPort } from './port';
import type { PartitionProgress } from './runner-state';
import { stageMark, stageSignals } from './stage-records';
import type { PartitionMark, WindowSummary } from '../pipeline/gather';
import type { WindowSignal } from '../model/signal';
import type { TransactionalWriter } from './transactional-writer';

type Counters = ReturnType<Processor['counters']>;

export class SharedPartitions implements Ownership {
  readonly consumerConfig = {};
  readonly loadsOnJoin = false;
  readonly commitsAllPartitions = false;
  readonly namesHistoryCommits = true;
  private readonly procs = new Map<number, Processor>();
  /** Resets that read older histories than a committed offset names read again, for a while (checkpoint-wait.ts). */
  private readonly wait: CheckpointWait;

  constructor(
    private readonly o: RunnerOptions,
    private readonly kafka: KafkaPort,
    private readonly state: DriverState,
    private readonly writer: TransactionalWriter,
  ) {
    this.wait = new CheckpointWait({ logger: o.logger, what: 'stage one', state: 'the histories' });
  }

  /** The partitions' engines and producers are built when the group assigns them (rebuild). */
  start(): Promise<void> {
    return Promise.resolve();
  }

  procFor(partition: number): Processor | undefined {
    return this.procs.get(partition);
  }

  processor(): undefined {
    return undefined;
  }

  /** The sum over the owned partitions' processors (undefined: none owned). */
  counters(): Counters | undefined {
    let sum: Counters | undefined;
    for (const pr of this.procs.values()) {
      const c = pr.counters();
      if (sum === undefined) sum = { ...c };
      else for (const k of Object.keys(sum) as (keyof Counters)[]) sum[k] += c[k];
    }
    return sum;
  }

  /**
   * Every join resets, the first too: the reset builds the partitions' engines and producers
   * (fencing their previous owners) before anything is read.
   */
  join(j: Join): ResetRequired {
    for (const r of j.revoked) this.state.progress.delete(r);
    this.state.assigned = j.now;
    this.o.logger.info(
      { assigned: [...j.now].sort((a, b) => a - b), revoked: j.revoked },
      j.now.size === 0
        ? 'no partitions for this process: the group has more processes than partitions'
        : 'partitions assigned',
    );
    return new ResetRequired('rejoined', 'the group was joined: the owned partitions are rebuilt');
  }

  /**
   * A fresh engine per owned partition, and a fresh transactional producer per partition
   * whose transactional id, initialised at once, fences the partition's previous owner and
   * ends its open transaction — before the committed offsets and histories are read, so they
   * are final. The histories must be those of the commits the offsets name (restoreHistories).
   */
  async rebuild(committed: () => Promise<GroupSnapshot>): Promise<void> {
    const { o, state } = this;
    const began = Date.now();
    await this.writer.renewPartitions(state.assigned);
    this.procs.clear();
    const histories = o.history ? await this.restoreHistories(o.history, await committed()) : undefined;
    for (const p of state.assigned) {
      const proc = createProcessor({ engine: o.engine, partitionCount: state.topicPartitions, mergeScopes: false });
      proc.step({ kind: 'assign', partitions: [p] }, emptyOutputs());
      if (histories) proc.seedHistories(histories, new Map());
      this.procs.set(p, proc);
    }
    o.logger.info(
      { partitions: [...state.assigned].sort((a, b) => a - b), histories: histories?.size, ms: Date.now() - began },
      'partitions restored: engines, producers and histories',
    );
  }

  /**
   * The series' histories, as of the commits the owned partitions' offsets name. Fencing ended
   * the open transactions of these partitions' producers only: another partition's dead owner
   * (not yet taken over) or stage two may hold one open on the state topic from before this
   * partition's last commit, which hides that commit's histories from read_committed readers.
   * Seeding older histories would make EWMA and trend differ from an uninterrupted run, with no
   * error: so a read that does not show the commit a checkpoint names fails the reset, and the
   * next batch reads again (checkpoint-wait.ts). A checkpoint of an earlier version names none:
   * its partition takes the histories the read shows, as before.
   */
  private async restoreHistories(o: HistoryCheckpoint, snapshot: GroupSnapshot): Promise<Map<string, Float64Array>> {
    const { series, commits } = await readSeriesHistories(this.kafka, o);
    const behind: number[] = [];
    for (const p of this.state.assigned) {
      const h = decodeCheckpoint(snapshot.of(p).metadata)?.h;
      if (h !== undefined && commits.get(p) !== h) behind.push(p);
    }
    if (behind.length > 0) this.wait.notVisible({ topic: o.topic, partitions: behind.sort((a, b) => a - b) });
    else this.wait.found();
    return series;
  }

  /** Each partition has its own engine and its own watermark. */
  /** Nothing: a join requires a reset here, whose rebuild renews the partitions' producers first. */
  beforeCheckpoints(): Promise<void> {
    return Promise.resolve();
  }

  restoreCheckpoints(snapshot: GroupSnapshot, backlogs: ReadonlyMap<number, boolean>): void {
    for (const p of backlogs.keys()) {
      const meta = decodeCheckpoint(snapshot.of(p).metadata);
      if (meta && Number.isFinite(meta.wm))
        this.procs.get(p)?.step({ kind: 'tick', watermark: meta.wm }, emptyOutputs());
    }
    for (const [partition, backlog] of backlogs)
      this.procs.get(partition)?.step({ kind: 'backlog', partition, backlog }, emptyOutputs());
  }

  /** A partition's engine sees only that partition, which is never idle to itself. */
  backlog(): void {}

  holdingPartial(): boolean {
    return false;
  }

  /**
   * Signals go to stage two, then the mark that says how far this partition has got — when
   * stage two can use it: with signals, when the watermark has passed another window end (a
   * window of another partition may complete), or when the partition is read to its end
   * (stage two then knows it has nothing unread, e.g. to judge it idle). A transaction
   * without them writes no record at all, only its offsets: while catching up, most do.
   */
  outputMessages(plan: CommitPlan, next: (s: PartitionProgress) => bigint): TopicMessages[] {
    const { partition: p, watermark: wm } = plan;
    const pr = this.state.progress.get(p)!;
    const { advanceMs, graceMs } = this.o.engine.window;
    const ends = Number.isFinite(wm) ? Math.floor((wm - graceMs) / advanceMs) : -Infinity;
    const published = plan.out.published;
    if (published.length === 0 && ends === pr.markedEnds && pr.lag !== 0) return [];
    pr.markedEnds = ends;
    const mark: PartitionMark = { partition: p, wm, maxTs: pr.maxTs, next: next(pr).toString() };
    if (this.o.split) return splitMessages(this.o.split, published, mark);
    const messages = stageSignals(published);
    messages.push(stageMark(mark));
    return [{ topic: this.o.config.topics.stage, messages }];
  }

  /** This partition's checkpoint alone: its producer commits nothing else. */
  committedPartitions(partition: number): number[] {
    const s = this.state.progress.get(partition);
    return s !== undefined && s.position >= 0n ? [partition] : [];
  }

  producerKey(partition: number): number {
    return partition;
  }

  /** The policies run in stage two. */
  extensionMessages(): Promise<TopicMessages[]> {
    return Promise.resolve([]);
  }

  /** The slowest owned partition's watermark stands for the process. */
  processWatermark(): number {
    return Math.min(...[...this.procs.values()].map((x) => x.watermark()));
  }

  seriesActive(): number {
    return [...this.procs.values()].reduce((n, x) => n + x.seriesCount(), 0);
  }

  /** No partition's windows wait for another's, so nothing to align. */
  align(): void {}

  /** No extension here (stage two has it). */
  flushPending(): Promise<void> {
    return Promise.resolve();
  }

  refusedMessage(groupId: string): string {
    return inconsistentProtocolMessage(groupId, true);
  }
}

/**
 * A split stage two's records of one stage-one transaction: each signal to the topics of the
 * shards that read it, and the mark — with the windows this transaction emitted and their
 * earliest starts — to every shard's topic.
 */
function splitMessages(
  split: NonNullable<RunnerOptions['split']>,
  published: readonly WindowSignal[],
  mark: PartitionMark,
): TopicMessages[] {
  const perTopic = split.topics.map((topic) => ({ topic, messages: [] as TopicMessages['messages'] }));
  const windows = new Map<number, number>();
  const encoded = stageSignals(published);
  published.forEach((s, i) => {
    for (const d of split.route(s)) perTopic[d].messages.push({ ...encoded[i] });
    const start = windows.get(s.windowEnd);
    if (start === undefined || s.windowStart < start) windows.set(s.windowEnd, s.windowStart);
  });
  const summaries: WindowSummary[] = [...windows].map(([end, minStart]) => ({ end, minStart }));
  for (const t of perTopic) t.messages.push(stageMark({ ...mark, windows: summaries }));
  return perTopic;
}
