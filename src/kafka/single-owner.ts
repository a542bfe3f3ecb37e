/**
 * Single owner (the default ownership, ownership.ts): this process owns every partition of the
 * telemetry topic or stands by. One processor over all of them, which also runs the policies
 * (the extension); one transactional producer for the process.
 *
 * The group's assigner gives every partition to one member (single-owner-assigner.ts). A process
 * given the partitions takes the owner's transactional id — fencing the last owner, who may be a
 * zombie that does not know it lost them — before it reads the committed offsets and the state
 * topic: at its first join before the checkpoints are loaded (beforeCheckpoints), at a takeover
 * in the reset that join requires (rebuild). Should
 * a process still own only some partitions (a member of the group that is not a homeostat of
 * this version assigned them), it processes nothing until it owns all: working on the subset
 * would close windows over part of the input, and the checkpoint it committed would mark the
 * other partitions' windows as already emitted.
 */
import type { TopicMessages } from 'kafkajs';
import { ResetRequired } from '../errors';
import { createProcessor, emptyOutputs, type Processor, type ProcessorOutputs } from '../pipeline/processor';
import type { WindowSignal } from '../model/signal';
import { resetExtension } from './batch-extension';
import { decodeCheckpoint } from './checkpoint-meta';
import type { RunnerOptions } from './driver-options';
import type { GroupSnapshot } from './group-offsets';
import { historyKeys } from './history-checkpoint';
import { inconsistentProtocolMessage, type CommitPlan, type DriverState, type Join, type Ownership } from './ownership';
import { createOutputEncoder, type OutputEncoder } from './outputs';
import type { KafkaPort, PortConsumer } from './port';
import { alignment } from './runner-state';
import { singleOwnerAssigner } from './single-owner-assigner';
import { readCompacted } from './state-topic';
import type { TransactionalWriter } from './transactional-writer';
import { describeError } from '../errors';

const sorted = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b);

/** Logged when this process has taken the partitions over (at its first join, or in the reset of a takeover). */
export const TOOK_PARTITIONS =
  "took the partitions: the last owner's producer is fenced; resuming from its last commit";

const signalKey = (s: WindowSignal): string => s.key;

export class SingleOwner implements Ownership {
  readonly consumerConfig;
  readonly loadsOnJoin = true;
  readonly commitsAllPartitions = true;
  /**
   * No: in this mode only the owner writes the group's state, and a dead owner's transaction
   * still open began after its last commit, so it hides none of it. Another group or tool
   * writing the same state topic could (docs/scale-out.md, *Reading the state topic back*).
   */
  readonly namesHistoryCommits = false;
  private proc: Processor | undefined;
  /** When this process was given the partitions (its claim in the group's assignment); undefined: standing by. */
  private ownedSince: number | undefined;
  /** Given the partitions at its first join: fence and read the state before the checkpoints. */
  private firstTake = false;
  private signalsOut: OutputEncoder<'signal'> | undefined;

  constructor(
    private readonly o: RunnerOptions,
    private readonly kafka: KafkaPort,
    private readonly state: DriverState,
    private readonly writer: TransactionalWriter,
  ) {
    // All partitions to one process, the others stand by. The protocol's name differs from
    // kafkajs's round robin (shared partitions), so the broker refuses to mix the two kinds.
    this.consumerConfig = { partitionAssigners: [singleOwnerAssigner(() => this.ownedSince)] };
  }

  /**
   * Nothing read yet: a standby's reads would be stale by the time it takes over, and an owner's
   * must come after its producer fenced the last owner's (beforeCheckpoints at the first join,
   * rebuild at a takeover).
   */
  async start(): Promise<void> {
    const { o } = this;
    this.proc = createProcessor({ engine: o.engine, partitionCount: this.state.topicPartitions });
    this.signalsOut = await createOutputEncoder('signal', o.config.topics.signals, o.config.actions.format, o.resolver);
  }

  procFor(): Processor | undefined {
    return this.proc;
  }

  processor(): Processor | undefined {
    return this.proc;
  }

  counters(): ReturnType<Processor['counters']> | undefined {
    return this.proc?.counters();
  }

  join(j: Join): ResetRequired | undefined {
    const { state, o } = this;
    const proc = this.proc!;
    if (j.revoked.length > 0) {
      proc.step({ kind: 'revoke', partitions: j.revoked }, emptyOutputs());
      for (const r of j.revoked) state.progress.delete(r);
    }
    if (j.added.length > 0) proc.step({ kind: 'assign', partitions: j.added }, emptyOutputs());
    if (j.now.size === 0) this.ownedSince = undefined;
    else if (state.assigned.size === 0) this.ownedSince = Date.now();
    state.assigned = j.now;
    if (j.now.size === 0) {
      o.logger.info(
        { group: o.config.kafka.groupId },
        'standing by: another process of the group owns the partitions; this one takes over if it leaves',
      );
    } else o.logger.info({ assigned: sorted(j.now), revoked: j.revoked }, 'partitions assigned');
    if (this.holdingPartial()) {
      o.logger.warn(
        { assigned: sorted(j.now), partitions: state.topicPartitions },
        'holding: this process owns only some partitions (a predecessor that died may still hold the others ' +
          'until its session expires)',
      );
    }
    if (j.first) {
      this.firstTake = this.owning();
      return undefined;
    }
    if (this.owning() && j.added.length > 0) {
      return new ResetRequired(
        'took-ownership',
        "given the partitions: fencing the last owner's producer, then resuming from its last commit",
      );
    }
    // After any rejoin kafkajs fetches again from the committed offsets, which lag the position
    // on purpose (they point at the oldest record of an open window): records already in the
    // state would be stepped twice. Rebuild from the checkpoint instead.
    return new ResetRequired('rejoined', 'the group was joined again');
  }

  /** Every partition: the one case in which this process writes (see holdingPartial). */
  private owning(): boolean {
    return this.state.assigned.size > 0 && !this.holdingPartial();
  }

  /**
   * The owner's producer first: it fences the last owner's, so what is read after it is final.
   * A standby lets the producer go instead. The committed offsets are not needed: see
   * namesHistoryCommits.
   */
  async rebuild(): Promise<void> {
    const { o, state } = this;
    this.proc = createProcessor({ engine: o.engine, partitionCount: state.topicPartitions });
    this.proc.step({ kind: 'assign', partitions: [...state.assigned] }, emptyOutputs());
    if (!this.owning()) {
      await this.writer.releaseOwn();
      return;
    }
    await this.takeOwnership();
  }

  /** The first join as owner: the producer and the state as rebuild takes them, into the fresh processor. */
  async beforeCheckpoints(): Promise<void> {
    if (!this.firstTake) return;
    this.firstTake = false;
    await this.takeOwnership();
    this.o.logger.info({ partitions: sorted(this.state.assigned) }, TOOK_PARTITIONS);
  }

  /** The owner's producer, fencing the last owner's; then the histories and the policies' state it committed. */
  private async takeOwnership(): Promise<void> {
    const { o } = this;
    await this.writer.renewOwn();
    if (!o.history) {
      await o.extension?.reset();
      return;
    }
    // One read of the state topic for the histories and the policies' snapshot (the
    // extension's state lives on the same topic): see resetExtension.
    const { prefix, parse } = historyKeys(o.history);
    const stored = await readCompacted(
      this.kafka,
      o.history.topic,
      (k) => k.startsWith(prefix) || o.extension?.ownsKey(k) === true,
    );
    const { series, scopes } = parse(stored);
    this.proc!.seedHistories(series, scopes);
    o.logger.info(
      { topic: o.history.topic, keys: series.size + scopes.size },
      'restored EWMA/trend histories from the state topic',
    );
    await resetExtension(o.extension, stored);
  }

  /** A partition with records left to read is not idle, whatever the others' event time; then the one watermark. */
  restoreCheckpoints(snapshot: GroupSnapshot, backlogs: ReadonlyMap<number, boolean>): void {
    for (const [partition, backlog] of backlogs)
      this.proc?.step({ kind: 'backlog', partition, backlog }, emptyOutputs());
    const partitions = [...backlogs.keys()];
    let wm = -Infinity;
    for (const p of partitions) {
      const meta = decodeCheckpoint(snapshot.of(p).metadata);
      if (meta && meta.wm > wm) wm = meta.wm;
    }
    if (this.proc && Number.isFinite(wm)) {
      this.proc.step({ kind: 'tick', watermark: wm }, emptyOutputs());
      this.o.logger.info({ watermark: wm, partitions }, 'restored the watermark from the committed checkpoint');
    }
  }

  backlog(partition: number, backlog: boolean, out: ProcessorOutputs): void {
    this.proc?.step({ kind: 'backlog', partition, backlog }, out);
  }

  holdingPartial(): boolean {
    const { assigned, topicPartitions } = this.state;
    return assigned.size > 0 && assigned.size < topicPartitions;
  }

  outputMessages(plan: CommitPlan): TopicMessages[] {
    const { published } = plan.out;
    if (published.length === 0) return [];
    const enc = this.signalsOut!;
    return [{ topic: this.o.config.topics.signals, messages: enc.messages(published, signalKey) }];
  }

  /** Every partition's checkpoint carries the one watermark. */
  committedPartitions(): number[] {
    return [...this.state.progress.entries()].filter(([, s]) => s.position >= 0n).map(([p]) => p);
  }

  producerKey(): undefined {
    return undefined;
  }

  async extensionMessages(out: ProcessorOutputs): Promise<TopicMessages[]> {
    const ext = this.o.extension;
    if (!ext || (out.finals.length === 0 && !ext.hasPending())) return [];
    return await ext.onFinals(out.finals);
  }

  processWatermark(batchWatermark: number): number {
    return batchWatermark;
  }

  seriesActive(): number {
    return this.proc?.seriesCount() ?? 0;
  }

  align(consumer: PortConsumer): void {
    if (!this.proc) return;
    const { progress } = this.state;
    const topic = this.o.config.topics.telemetry;
    const { pause, resume } = alignment(progress, this.proc.watermark(), this.o.maxAheadMs ?? Infinity);
    if (pause.length > 0) {
      consumer.pause([{ topic, partitions: pause }]);
      for (const p of pause) progress.get(p)!.paused = true;
      this.o.logger.debug({ partitions: pause }, 'paused partitions ahead of the watermark');
    }
    if (resume.length > 0) {
      consumer.resume([{ topic, partitions: resume }]);
      for (const p of resume) progress.get(p)!.paused = false;
    }
  }

  flushPending(): Promise<void> {
    return this.writer.serialized(async () => {
      const ext = this.o.extension;
      // Only the process that owns the partitions writes: a standby's policy state is the one it
      // started with, and its snapshot would overwrite the owner's.
      if (!this.writer.hasOwn() || !this.owning() || !ext?.hasPending()) return;
      try {
        await this.writer.writeOwn(ext.takePending());
      } catch (err) {
        this.o.logger.error(
          { err: describeError(err) },
          'writing control decisions failed; they are rebuilt from the control topic on restart',
        );
      }
    });
  }

  refusedMessage(groupId: string): string {
    return inconsistentProtocolMessage(groupId, false);
  }
}
