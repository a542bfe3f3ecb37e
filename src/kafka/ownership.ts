/**
 * How this process owns the telemetry partitions — one strategy per mode, as Kafka Streams
 * puts StreamTask and StandbyTask behind Task. The driver's loop (processor-driver.ts) is the
 * same for both; each mode's rules live in its implementation:
 *
 * - SingleOwner (single-owner.ts, the default): one processor over every partition, which also
 *   runs the policies (the extension); the group's assigner gives all partitions to one process
 *   and the others stand by. One transactional producer per process; signals to the signals
 *   topic; every partition's checkpoint carries the one watermark; partitions far ahead of the
 *   watermark are paused.
 * - SharedPartitions (shared-partitions.ts, runner.scaleOut): the partitions are shared with the
 *   group's other processes — one processor and one transactional producer per owned partition
 *   (its next owner fences this one), outputs and marks to the stage topic for stage two.
 */
import type { ConsumerConfig, TopicMessages } from 'kafkajs';
import type { ResetRequired } from '../errors';
import type { Processor, ProcessorCounters, ProcessorOutputs } from '../pipeline/processor';
import type { GroupSnapshot } from './group-offsets';
import type { PortConsumer } from './port';
import type { PartitionProgress } from './runner-state';
import type { ProducerKey } from './transactional-writer';

/** What the driver and its ownership share: where each partition stands, and what is owned. */
export interface DriverState {
  readonly progress: Map<number, PartitionProgress>;
  /** The partitions the group gave this process at its last join. */
  assigned: Set<number>;
  /** The input topic's partition count, read at start. */
  topicPartitions: number;
}

/** A join of the group, as the driver saw it. */
export interface Join {
  now: Set<number>;
  revoked: number[];
  added: number[];
  /** No join before this one (the first after start). */
  first: boolean;
}

/** What one commit of partition `partition` writes beside the DLQ, history and offsets. */
export interface CommitPlan {
  partition: number;
  out: ProcessorOutputs;
  watermark: number;
}

export interface Ownership {
  /** The consumer settings this mode needs (e.g. its partition assigner). */
  readonly consumerConfig: Partial<ConsumerConfig>;
  /** What exists before the group is joined (processor, producer, histories, encoders). */
  start(): Promise<void>;
  /** The processor of a partition's records (undefined: not owned, or not built yet). */
  procFor(partition: number): Processor | undefined;
  /** The single processor (single owner only). */
  processor(): Processor | undefined;
  /** Counters of every processor of this process. */
  counters(): ProcessorCounters | undefined;
  /** Applies a join to the processors and `state.assigned`; the reset it requires, if any. */
  join(j: Join): ResetRequired | undefined;
  /** Whether a join loads the new assignment's checkpoints at once (else the reset it requires does). */
  readonly loadsOnJoin: boolean;
  /**
   * Throws the in-memory state away and rebuilds processors (and producers) as a restarted
   * process would; `committed` reads the group's committed offsets once the producers have
   * fenced their predecessors (they are final then).
   */
  rebuild(committed: () => Promise<GroupSnapshot>): Promise<void>;
  /**
   * Whether a transaction that writes a partition's histories names itself on the state topic
   * and in the offset's metadata, for the partition's next owner to check (scaled out).
   */
  readonly namesHistoryCommits: boolean;
  /**
   * Before the checkpoints of a join are read: whatever must come first so that they are final
   * (single owner, first given the partitions: its producer fences the last owner's).
   */
  beforeCheckpoints(): Promise<void>;
  /**
   * Applies the committed checkpoints of `partitions` (their watermarks) after a join or a
   * reset, and whether each has records left to read (`backlogs`).
   */
  restoreCheckpoints(snapshot: GroupSnapshot, backlogs: ReadonlyMap<number, boolean>): void;
  /** Tells the processor, between batches, whether a partition has unread records (a partition with a backlog is never idle). */
  backlog(partition: number, backlog: boolean, out: ProcessorOutputs): void;
  /** Holding an incomplete assignment: nothing is processed until it is whole. */
  holdingPartial(): boolean;
  /** The records a commit of `partition` writes for its outputs (signals, or stage records and marks). */
  outputMessages(plan: CommitPlan, next: (s: PartitionProgress) => bigint): TopicMessages[];
  /** The partitions whose offsets a commit of `partition` carries. */
  committedPartitions(partition: number): number[];
  /** Which producer commits `partition`. */
  producerKey(partition: number): ProducerKey;
  /** The policies' messages for the transaction (single owner with an extension). */
  extensionMessages(out: ProcessorOutputs): Promise<TopicMessages[]>;
  /** The watermark that stands for the process in metrics. */
  processWatermark(batchWatermark: number): number;
  seriesActive(): number;
  /** Pauses partitions far ahead of the watermark, resumes them when it catches up. */
  align(consumer: PortConsumer): void;
  /** Whether one commit past markers carries every partition's offset (so all skipped partitions are done). */
  readonly commitsAllPartitions: boolean;
  /** Writes the extension's pending output when no telemetry arrives to carry it. */
  flushPending(): Promise<void>;
  /** Why the group refuses this process when its protocol differs (INCONSISTENT_GROUP_PROTOCOL). */
  refusedMessage(groupId: string): string;
}

/** The message when the group's members assign partitions another way than this process. */
export function inconsistentProtocolMessage(groupId: string, scaleOut: boolean): string {
  const on = scaleOut ? 'on' : 'off';
  const other = scaleOut ? 'off' : 'on';
  return (
    `the consumer group ${groupId} refuses this process: its members assign partitions another way — ` +
    `a homeostat with runner.scaleOut ${other} (this one has it ${on}), or another program using this group id; ` +
    'every process of a group must have the same runner.scaleOut: stop the others or give this one another kafka.groupId'
  );
}
