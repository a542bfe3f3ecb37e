/**
 * An in-memory fake of the Kafka port (src/kafka/port.ts) for unit tests of the drivers: a
 * rebalance mid-batch, a fenced producer, a fetch of transaction markers only, a broker outage,
 * a consumer stopped for good — each in milliseconds. It models what the drivers rely on, the
 * way kafkajs and the broker behave (the integration and fault tiers remain the truth):
 *
 * - **Logs.** Each partition is an array of offsets. A transactional producer's records are
 *   appended when its transaction commits, followed by one commit marker per partition it wrote;
 *   an abort appends what was sent as aborted records plus an abort marker. Markers and aborted
 *   records take offsets but are never handed to a read_committed consumer.
 * - **Groups.** Committed offsets with their metadata, written by `sendOffsets` in a committed
 *   transaction. Members join on `run()`; every join, leave or `rebalance()` makes a new
 *   generation, assigned by the first member's partition assigner (run as kafkajs runs it, with
 *   the members' protocol metadata) or round robin; members whose assigners differ are refused
 *   with INCONSISTENT_GROUP_PROTOCOL. Each member gets GROUP_JOIN and starts its partitions from
 *   the committed offsets (else the log start, or end when not `fromBeginning`).
 * - **Fetching.** A member's loop fetches each assigned, unpaused partition from its position.
 *   Data records go to eachBatch (isStale turns true after a seek of the partition or a new
 *   generation); with `eachBatchAutoResolve: false` the position moves past the last resolved
 *   offset (past the batch when that is its last record, as kafkajs does), else past the batch. A fetch of markers and aborted records only is resolved
 *   inside, as kafkajs does, and reported by END_BATCH_PROCESS with batchSize 0. An error out of
 *   eachBatch re-delivers the batch from the last resolved offset (kafkajs's retry); one marked
 *   as a rebalance makes the member rejoin.
 * - **Producers.** A transactional id is held by its newest producer: a producer whose id was
 *   taken since its first transaction is fenced (INVALID_PRODUCER_EPOCH) on every later call,
 *   and its open transaction is aborted.
 * - **Knobs.** `failNext(op)` fails the next calls of an operation as a broker outage would;
 *   `rebalance(group)` starts a new generation (a member in a batch learns of it at its next
 *   heartbeat, which throws REBALANCE_IN_PROGRESS); `expel(group, member)` drops a member that
 *   missed its session without telling it (a zombie: it learns at its next heartbeat or fetch,
 *   and rejoins); `crash(group)` stops a member for good with
 *   a CRASH event (restart: false), as kafkajs does after a non-retriable error;
 *   `openTransactionAt(topic, p)` holds a partition's last stable offset where a dead producer's
 *   transaction opened, until `endTransactionAt`.
 */
import {
  Partitioners,
  ConfigResourceTypes,
  type DescribeConfigResponse,
  AssignerProtocol,
  type Batch,
  type ConsumerConfig,
  type ConsumerRunConfig,
  type EachBatchPayload,
  type KafkaMessage,
  type Message,
  type ProducerConfig,
  type TopicMessages,
} from 'kafkajs';
import type {
  KafkaPort,
  PortAdmin,
  PortConsumer,
  PortProducer,
  PortTransaction,
  TransactionOffsets,
} from '../../src/kafka/port';

type Entry = { kind: 'data'; message: KafkaMessage; aborted: boolean } | { kind: 'marker'; commit: boolean };

/** The operations `failNext` can fail. */
export type FakeOp =
  | 'connect'
  | 'transaction'
  | 'sendBatch'
  | 'sendOffsets'
  | 'commit'
  | 'fetchOffsets'
  | 'fetchTopicOffsets'
  | 'fetchTopicMetadata';

/** An error shaped like kafkajs's: `name`, `type` where the broker gave one, `retriable`. */
export class FakeKafkaError extends Error {
  constructor(
    message: string,
    readonly type: string,
    readonly retriable: boolean,
    name = 'KafkaJSProtocolError',
  ) {
    super(message);
    this.name = name;
  }
}

export const brokerDown = (): FakeKafkaError =>
  new FakeKafkaError(
    'Connection error: connect ECONNREFUSED (fake broker down)',
    'CONNECTION',
    true,
    'KafkaJSConnectionError',
  );

const EVENTS = {
  GROUP_JOIN: 'consumer.group_join',
  CRASH: 'consumer.crash',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  FETCH: 'consumer.fetch',
} as const;

type Listener = (event: { id: number; type: string; timestamp: number; payload: unknown }) => void;

interface Group {
  offsets: Map<string, { offset: string; metadata: string | null }>;
  members: FakeConsumer[];
  generation: number;
}

const pkey = (topic: string, partition: number): string => `${topic}:${partition}`;
/** `fn` as a promise: its result, or its throw as a rejection (as an async broker call fails). */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

export interface FakeKafkaOptions {
  /** Topics and their partition counts; `createTopic` adds more. */
  topics?: Record<string, number>;
  /** Records a fetch hands over at most, per partition (a broker's max bytes, in records). */
  maxRecordsPerFetch?: number;
}

export class FakeKafka implements KafkaPort {
  readonly logs = new Map<string, Entry[]>();
  readonly partitions = new Map<string, number>();
  /** max.message.bytes of topics that set one (describeConfigs reports it; sends are not checked). */
  readonly maxMessageBytes = new Map<string, number>();
  readonly groups = new Map<string, Group>();
  /** The newest holder of each transactional id. */
  readonly holders = new Map<string, FakeProducer>();
  readonly consumers: FakeConsumer[] = [];
  readonly maxRecordsPerFetch: number;
  private readonly failures = new Map<FakeOp, { times: number; error: () => Error }>();
  private memberSeq = 0;
  /** Last stable offsets held back by `openTransactionAt` (by topic-partition). */
  private readonly stable = new Map<string, number>();

  constructor(o: FakeKafkaOptions = {}) {
    this.maxRecordsPerFetch = o.maxRecordsPerFetch ?? 100;
    for (const [t, n] of Object.entries(o.topics ?? {})) this.createTopic(t, n);
  }

  createTopic(topic: string, partitions: number): void {
    this.partitions.set(topic, partitions);
    for (let p = 0; p < partitions; p++) if (!this.logs.has(pkey(topic, p))) this.logs.set(pkey(topic, p), []);
  }

  consumer(config: ConsumerConfig): PortConsumer {
    const c = new FakeConsumer(this, config, `member-${String(++this.memberSeq).padStart(4, '0')}`);
    this.consumers.push(c);
    return c;
  }

  producer(config: ProducerConfig = {}): PortProducer {
    return new FakeProducer(this, config);
  }

  admin(): PortAdmin {
    return new FakeAdmin(this);
  }

  /** Fails the next `times` calls of `op` with `error` (default: the broker is unreachable). */
  failNext(op: FakeOp, o: { times?: number; error?: () => Error } = {}): void {
    this.failures.set(op, { times: o.times ?? 1, error: o.error ?? brokerDown });
  }

  /** Throws the injected failure of `op`, if one is armed. */
  maybeFail(op: FakeOp): void {
    const f = this.failures.get(op);
    if (!f || f.times <= 0) return;
    f.times--;
    if (f.times === 0) this.failures.delete(op);
    throw f.error();
  }

  /**
   * A transaction of another producer opens at the partition's end and stays open (a process
   * SIGKILLed mid-transaction, until its id is fenced or its transaction times out): consumers,
   * all read_committed, see nothing at or after this offset — also what others commit after it —
   * until `endTransactionAt`. The high watermark moves on as records are appended.
   */
  openTransactionAt(topic: string, partition: number): void {
    this.stable.set(pkey(topic, partition), this.log(topic, partition).length);
  }

  /** The open transaction of `openTransactionAt` is aborted (fenced or timed out): the rest becomes readable. */
  endTransactionAt(topic: string, partition: number): void {
    this.stable.delete(pkey(topic, partition));
  }

  /** Where read_committed consumers stop on a partition: its end, or the first offset of an open transaction. */
  lastStableOffset(topic: string, partition: number): number {
    const log = this.log(topic, partition);
    return Math.min(log.length, this.stable.get(pkey(topic, partition)) ?? Infinity);
  }

  log(topic: string, partition: number): Entry[] {
    const log = this.logs.get(pkey(topic, partition));
    if (!log)
      throw new FakeKafkaError(`unknown topic-partition ${topic}/${partition}`, 'UNKNOWN_TOPIC_OR_PARTITION', true);
    return log;
  }

  /** Appends records outside any transaction (an ordinary producer); `transactional` adds a commit marker. */
  produce(topic: string, messages: Message[], o: { transactional?: boolean } = {}): void {
    const touched = this.append(topic, messages, false);
    if (o.transactional) for (const p of touched) this.log(topic, p).push({ kind: 'marker', commit: true });
  }

  /** Appends `messages` (partitioned as kafkajs's default partitioner does); returns the partitions written. */
  append(topic: string, messages: readonly Message[], aborted: boolean): Set<number> {
    const n = this.partitions.get(topic);
    if (n === undefined) throw new FakeKafkaError(`unknown topic ${topic}`, 'UNKNOWN_TOPIC_OR_PARTITION', true);
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: n }, (_, i) => ({
      partitionErrorCode: 0,
      partitionId: i,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
    const touched = new Set<number>();
    for (const m of messages) {
      const p = m.partition ?? partitioner({ topic, partitionMetadata, message: m });
      const log = this.log(topic, p);
      const toBuf = (v: Message['value']): Buffer | null =>
        v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);
      log.push({
        kind: 'data',
        aborted,
        message: {
          key: toBuf(m.key ?? null),
          value: toBuf(m.value),
          timestamp: m.timestamp ?? String(Date.now()),
          attributes: 0,
          offset: String(log.length),
          headers: m.headers ?? {},
        },
      });
      touched.add(p);
    }
    return touched;
  }

  /** The committed (read_committed) records of a topic, in partition then offset order. */
  committedRecords(topic: string): KafkaMessage[] {
    const out: KafkaMessage[] = [];
    for (let p = 0; p < (this.partitions.get(topic) ?? 0); p++)
      for (const e of this.log(topic, p)) if (e.kind === 'data' && !e.aborted) out.push(e.message);
    return out;
  }

  group(groupId: string): Group {
    let g = this.groups.get(groupId);
    if (!g) {
      g = { offsets: new Map(), members: [], generation: 0 };
      this.groups.set(groupId, g);
    }
    return g;
  }

  /** The offset committed for a group's partition (undefined: none), with its metadata. */
  committed(
    groupId: string,
    topic: string,
    partition: number,
  ): { offset: string; metadata: string | null } | undefined {
    return this.groups.get(groupId)?.offsets.get(pkey(topic, partition));
  }

  /** Starts a new generation of the group: every member rejoins (one in a batch at its next heartbeat). */
  rebalance(groupId: string): void {
    const g = this.group(groupId);
    g.generation++;
    for (const m of g.members) m.pendingRejoin = true;
  }

  /**
   * The coordinator drops a member whose session expired (a process paused or cut off) and the
   * others rebalance without it. The member is not told: a batch in its hands goes on to its
   * commit; it learns at its next heartbeat (UNKNOWN_MEMBER_ID) or fetch, and rejoins.
   */
  expel(groupId: string, member: FakeConsumer): void {
    const g = this.group(groupId);
    if (!g.members.includes(member)) throw new Error(`${member.memberId} is not a member of group ${groupId}`);
    g.members = g.members.filter((m) => m !== member);
    member.expelled = true;
    for (const m of g.members) m.pendingRejoin = true;
  }

  /** Stops a member of the group for good, as kafkajs does after a non-retriable error. */
  crash(groupId: string, error: Error = new FakeKafkaError('fake non-retriable error', 'UNKNOWN', false)): void {
    const member = this.group(groupId).members[0];
    if (!member) throw new Error(`no member in group ${groupId} to crash`);
    member.crash(error);
  }

  /** Resolves once `done()` holds (checked every few ms); rejects after `timeoutMs`. */
  async until(done: () => boolean, timeoutMs = 5_000, what = 'the condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Assigns the group's partitions of its topics among its members and tells each. */
  async assign(groupId: string): Promise<void> {
    const g = this.group(groupId);
    g.generation++;
    const members = [...g.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    if (members.length === 0) return;
    const topics = [...new Set(members.flatMap((m) => m.topics))];
    const assignment = await this.computeAssignment(members, topics);
    for (const m of members) m.joined(g.generation, assignment.get(m.memberId) ?? {});
  }

  private async computeAssignment(
    members: FakeConsumer[],
    topics: string[],
  ): Promise<Map<string, Record<string, number[]>>> {
    const names = new Set(members.map((m) => m.assignerName()));
    if (names.size > 1) {
      const newest = members.reduce((a, b) => (a.joinedAt > b.joinedAt ? a : b));
      newest.refuse(
        new FakeKafkaError('The group member protocol is not compatible', 'INCONSISTENT_GROUP_PROTOCOL', false),
      );
      return this.computeAssignment(
        members.filter((m) => m !== newest),
        topics,
      );
    }
    const factory = members[0].config.partitionAssigners?.[0];
    if (!factory) return roundRobin(members, topics, this.partitions);
    const cluster = {
      findTopicPartitionMetadata: (t: string) =>
        Array.from({ length: this.partitions.get(t) ?? 0 }, (_, i) => ({ partitionId: i, leader: 0 })),
    };
    const assigner = factory({ cluster } as never);
    const protocolOf = (m: FakeConsumer) => m.config.partitionAssigners![0]({ cluster } as never).protocol({ topics });
    const result = await assigner.assign({
      members: members.map((m) => ({ memberId: m.memberId, memberMetadata: protocolOf(m).metadata })),
      topics,
      userData: Buffer.alloc(0),
    } as never);
    const out = new Map<string, Record<string, number[]>>();
    for (const r of result) {
      const decoded = AssignerProtocol.MemberAssignment.decode(r.memberAssignment);
      out.set(r.memberId, decoded?.assignment ?? {});
    }
    return out;
  }
}

function roundRobin(
  members: FakeConsumer[],
  topics: string[],
  partitions: ReadonlyMap<string, number>,
): Map<string, Record<string, number[]>> {
  const out = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
  let i = 0;
  for (const t of topics) {
    for (let p = 0; p < (partitions.get(t) ?? 0); p++) {
      const m = members[i++ % members.length];
      const a = out.get(m.memberId)!;
      (a[t] ??= []).push(p);
    }
  }
  return out;
}

class FakeAdmin {
  constructor(private readonly k: FakeKafka) {}
  connect(): Promise<void> {
    return attempt(() => this.k.maybeFail('connect'));
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
  fetchTopicMetadata({ topics }: { topics: string[] }) {
    return attempt(() => {
      this.k.maybeFail('fetchTopicMetadata');
      return {
        topics: topics.map((name) => ({
          name,
          partitions: Array.from({ length: this.k.partitions.get(name) ?? 0 }, (_, i) => ({
            partitionErrorCode: 0,
            partitionId: i,
            leader: 0,
            replicas: [0],
            isr: [0],
            offlineReplicas: [],
          })),
        })),
      };
    });
  }
  fetchOffsets({ groupId, topics }: { groupId: string; topics: string[] }) {
    return attempt(() => {
      this.k.maybeFail('fetchOffsets');
      return topics.map((topic) => ({
        topic,
        partitions: Array.from({ length: this.k.partitions.get(topic) ?? 0 }, (_, partition) => {
          const c = this.k.committed(groupId, topic, partition);
          return { partition, offset: c?.offset ?? '-1', metadata: c?.metadata ?? null };
        }),
      }));
    });
  }
  describeConfigs({ resources }: { resources: { name: string }[] }): Promise<DescribeConfigResponse> {
    return attempt(() => ({
      throttleTime: 0,
      resources: resources.map(({ name }) => {
        const limit = this.k.maxMessageBytes.get(name);
        return {
          errorCode: 0,
          errorMessage: '',
          resourceName: name,
          resourceType: ConfigResourceTypes.TOPIC,
          configEntries:
            limit === undefined
              ? []
              : [
                  {
                    configName: 'max.message.bytes',
                    configValue: String(limit),
                    isDefault: false,
                    configSource: 1,
                    isSensitive: false,
                    readOnly: false,
                    configSynonyms: [],
                  },
                ],
        };
      }),
    }));
  }
  fetchTopicOffsets(topic: string) {
    return attempt(() => {
      this.k.maybeFail('fetchTopicOffsets');
      return Array.from({ length: this.k.partitions.get(topic) ?? 0 }, (_, partition) => {
        // kafkajs's admin lists offsets read_committed: `high` is the last stable offset.
        const high = String(this.k.lastStableOffset(topic, partition));
        return { partition, offset: high, high, low: '0' };
      });
    });
  }
}

class FakeProducer implements PortProducer {
  private connected = false;
  /** Set at this producer's first transaction: it then holds its transactional id. */
  private holding = false;
  open: FakeTransaction | undefined;
  constructor(
    readonly k: FakeKafka,
    readonly config: ProducerConfig,
  ) {}

  connect(): Promise<void> {
    return attempt(() => {
      this.k.maybeFail('connect');
      this.connected = true;
    });
  }

  disconnect(): Promise<void> {
    this.connected = false;
    return Promise.resolve();
  }

  /** Throws when a newer producer took this one's transactional id (the broker's fencing). */
  checkEpoch(): void {
    const id = this.config.transactionalId;
    if (id !== undefined && this.holding && this.k.holders.get(id) !== this)
      throw new FakeKafkaError(`producer with transactional id ${id} was fenced`, 'INVALID_PRODUCER_EPOCH', false);
  }

  transaction(): Promise<PortTransaction> {
    return attempt(() => {
      if (!this.connected) throw new Error('producer is not connected');
      const id = this.config.transactionalId;
      if (id === undefined) throw new Error('transaction() needs a transactionalId');
      this.k.maybeFail('transaction');
      this.checkEpoch();
      if (!this.holding) {
        this.holding = true;
        // The new epoch ends the previous holder's open transaction (the coordinator aborts it).
        this.k.holders.get(id)?.open?.abortNow();
        this.k.holders.set(id, this);
      }
      this.open = new FakeTransaction(this);
      return this.open;
    });
  }
}

class FakeTransaction implements PortTransaction {
  private readonly sent: TopicMessages[] = [];
  private offsets: TransactionOffsets[] = [];
  private ended = false;
  constructor(private readonly producer: FakeProducer) {}

  private check(op: FakeOp): void {
    this.producer.k.maybeFail(op);
    this.producer.checkEpoch();
    if (this.ended) throw new FakeKafkaError('transaction already ended', 'INVALID_TXN_STATE', false);
  }

  sendBatch({ topicMessages }: { topicMessages: TopicMessages[] }): Promise<unknown> {
    return attempt(() => {
      this.check('sendBatch');
      for (const tm of topicMessages)
        if (!this.producer.k.partitions.has(tm.topic))
          throw new FakeKafkaError(`unknown topic ${tm.topic}`, 'UNKNOWN_TOPIC_OR_PARTITION', true);
      this.sent.push(...topicMessages);
      return [];
    });
  }

  sendOffsets(offsets: TransactionOffsets): Promise<void> {
    return attempt(() => {
      this.check('sendOffsets');
      this.offsets.push(offsets);
    });
  }

  commit(): Promise<void> {
    return attempt(() => this.commitNow());
  }

  /** Appends what was sent, a commit marker per partition written, and applies the offsets. */
  private commitNow(): void {
    this.check('commit');
    const k = this.producer.k;
    for (const tm of this.sent)
      for (const p of k.append(tm.topic, tm.messages, false)) k.log(tm.topic, p).push({ kind: 'marker', commit: true });
    for (const o of this.offsets) {
      const g = k.group(o.consumerGroupId);
      for (const t of o.topics)
        for (const p of t.partitions)
          g.offsets.set(pkey(t.topic, p.partition), { offset: p.offset, metadata: p.metadata ?? null });
    }
    this.ended = true;
    this.producer.open = undefined;
  }

  abort(): Promise<void> {
    this.abortNow();
    return Promise.resolve();
  }

  /** What an abort leaves in the log: the records sent, aborted, and an abort marker. */
  abortNow(): void {
    if (this.ended) return;
    this.ended = true;
    const k = this.producer.k;
    for (const tm of this.sent)
      for (const p of k.append(tm.topic, tm.messages, true)) k.log(tm.topic, p).push({ kind: 'marker', commit: false });
    if (this.producer.open === this) this.producer.open = undefined;
  }
}

/** A batch as kafkajs hands it to eachBatch (the fields the drivers read). */
function batchOf(topic: string, partition: number, messages: KafkaMessage[], last: number, high: number): Batch {
  return {
    topic,
    partition,
    highWatermark: String(high),
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => messages[0]?.offset ?? null,
    lastOffset: () => String(last),
    offsetLag: () => String(high - 1 - last),
    offsetLagLow: () => String(high - 1 - Number(messages[0]?.offset ?? last)),
  };
}

export class FakeConsumer implements PortConsumer {
  readonly events = EVENTS;
  readonly memberId: string;
  readonly topics: string[] = [];
  private fromBeginning = false;
  private listeners = new Map<string, Listener[]>();
  private eventSeq = 0;
  private runConfig: ConsumerRunConfig | undefined;
  /** The generation this member last joined; -1: not a member. */
  generation = -1;
  assignment: Record<string, number[]> = {};
  readonly positions = new Map<string, number>();
  private readonly paused = new Set<string>();
  /** Seeks since a partition's batch was fetched make that batch stale. */
  private readonly seeks = new Map<string, number>();
  pendingRejoin = false;
  /** Dropped by the group without knowing it (`FakeKafka.expel`): rejoins at its next heartbeat or fetch. */
  expelled = false;
  running = false;
  joinedAt = 0;
  private loop: Promise<void> | undefined;
  private refused: Error | undefined;
  /** Batches eachBatch has been handed (for tests). */
  batches = 0;

  constructor(
    private readonly k: FakeKafka,
    readonly config: ConsumerConfig,
    memberId: string,
  ) {
    this.memberId = memberId;
  }

  on(eventName: string, listener: (event: never) => void): () => void {
    const list = this.listeners.get(eventName) ?? [];
    list.push(listener as Listener);
    this.listeners.set(eventName, list);
    return () =>
      this.listeners.set(
        eventName,
        (this.listeners.get(eventName) ?? []).filter((l) => l !== listener),
      );
  }

  private emit(type: string, payload: unknown): void {
    for (const l of this.listeners.get(type) ?? []) l({ id: ++this.eventSeq, type, timestamp: Date.now(), payload });
  }

  assignerName(): string {
    const f = this.config.partitionAssigners?.[0];
    return f ? f({ cluster: { findTopicPartitionMetadata: () => [] } } as never).name : 'RoundRobinAssigner';
  }

  connect(): Promise<void> {
    return attempt(() => this.k.maybeFail('connect'));
  }

  subscribe({ topic, fromBeginning }: { topic: string | RegExp; fromBeginning?: boolean }): Promise<void> {
    this.topics.push(String(topic));
    this.fromBeginning = fromBeginning ?? false;
    return Promise.resolve();
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    this.runConfig = config;
    this.running = true;
    this.joinedAt = Date.now() + this.k.consumers.indexOf(this) / 1e6;
    this.k.group(this.config.groupId).members.push(this);
    await this.k.assign(this.config.groupId);
    if (this.refused) {
      const err = this.refused;
      this.leave();
      this.emit(EVENTS.CRASH, { error: err, groupId: this.config.groupId, restart: false });
      return;
    }
    this.loop = this.fetchLoop();
  }

  /** Refused by the group (the assigners differ): the join fails, the member crashes. */
  refuse(err: Error): void {
    this.refused = err;
  }

  /** A new generation's assignment: positions from the committed offsets, then GROUP_JOIN. */
  joined(generation: number, assignment: Record<string, number[]>): void {
    this.generation = generation;
    this.assignment = assignment;
    this.pendingRejoin = false;
    this.positions.clear();
    for (const [topic, parts] of Object.entries(assignment)) {
      for (const p of parts) {
        const c = this.k.committed(this.config.groupId, topic, p);
        const start = c && c.offset !== '-1' ? Number(c.offset) : this.fromBeginning ? 0 : this.k.log(topic, p).length;
        this.positions.set(pkey(topic, p), start);
      }
    }
    this.emit(EVENTS.GROUP_JOIN, {
      groupId: this.config.groupId,
      memberId: this.memberId,
      memberAssignment: assignment,
    });
  }

  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    const key = pkey(topic, partition);
    this.positions.set(key, Number(offset));
    this.seeks.set(key, (this.seeks.get(key) ?? 0) + 1);
  }

  pause(topics: { topic: string; partitions?: number[] }[]): void {
    for (const t of topics) for (const p of t.partitions ?? []) this.paused.add(pkey(t.topic, p));
  }

  resume(topics: { topic: string; partitions?: number[] }[]): void {
    for (const t of topics) for (const p of t.partitions ?? []) this.paused.delete(pkey(t.topic, p));
  }

  async disconnect(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.loop;
    this.leave();
  }

  /** Stops for good after a non-retriable error: CRASH with restart false, then out of the group. */
  crash(error: Error): void {
    this.running = false;
    this.leave();
    this.emit(EVENTS.CRASH, { error, groupId: this.config.groupId, restart: false });
  }

  /** An expelled member's new join: the group rebalances with it again. */
  private rejoin(): void {
    this.expelled = false;
    const g = this.k.group(this.config.groupId);
    g.members.push(this);
    for (const m of g.members) m.pendingRejoin = true;
  }

  private leave(): void {
    const g = this.k.group(this.config.groupId);
    if (!g.members.includes(this)) return;
    g.members = g.members.filter((m) => m !== this);
    this.generation = -1;
    // The others rebalance (their next loop turn rejoins).
    for (const m of g.members) m.pendingRejoin = true;
  }

  private async fetchLoop(): Promise<void> {
    while (this.running) {
      if (this.expelled) this.rejoin();
      if (this.pendingRejoin) await this.k.assign(this.config.groupId);
      let work = false;
      for (const [topic, parts] of Object.entries(this.assignment)) {
        for (const p of parts) {
          if (!this.running || this.pendingRejoin) break;
          if (this.paused.has(pkey(topic, p))) continue;
          work = (await this.fetchOne(topic, p)) || work;
        }
      }
      this.emit(EVENTS.FETCH, { numberOfBatches: work ? 1 : 0 });
      await (work ? tick() : new Promise((r) => setTimeout(r, 2)));
    }
  }

  /** One fetch of one partition; true when it found anything past the position. */
  private async fetchOne(topic: string, partition: number): Promise<boolean> {
    const key = pkey(topic, partition);
    const log = this.k.log(topic, partition);
    const from = this.positions.get(key) ?? log.length;
    const stable = this.k.lastStableOffset(topic, partition);
    if (from >= stable) return false;
    const upTo = Math.min(stable, from + this.k.maxRecordsPerFetch);
    const messages: KafkaMessage[] = [];
    for (let o = from; o < upTo; o++) {
      const e = log[o];
      if (e.kind === 'data' && !e.aborted) messages.push(e.message);
    }
    const last = upTo - 1;
    const report = { topic, partition, highWatermark: String(log.length), offsetLag: '0', offsetLagLow: '0' };
    if (messages.length === 0) {
      // Markers and aborted records only: resolved inside, as kafkajs does.
      this.positions.set(key, last + 1);
      this.emit(EVENTS.END_BATCH_PROCESS, {
        ...report,
        batchSize: 0,
        firstOffset: String(from),
        lastOffset: String(last),
      });
      return true;
    }
    await this.deliver(key, batchOf(topic, partition, messages, last, log.length), from);
    this.emit(EVENTS.END_BATCH_PROCESS, {
      ...report,
      batchSize: messages.length,
      firstOffset: messages[0].offset,
      lastOffset: String(last),
    });
    return true;
  }

  /** Hands a batch to eachBatch and moves the position as kafkajs would. */
  private async deliver(key: string, batch: Batch, from: number): Promise<void> {
    const generation = this.generation;
    const seeksAtFetch = this.seeks.get(key) ?? 0;
    let resolved: number | undefined;
    const stale = (): boolean => this.generation !== generation || (this.seeks.get(key) ?? 0) !== seeksAtFetch;
    const payload = {
      batch,
      // As kafkajs does: resolving the batch's last record resolves the markers and aborted
      // records after it in the same fetch (batch.lastOffset()), which eachBatch never sees.
      resolveOffset: (offset: string) => {
        const final = batch.messages[batch.messages.length - 1]?.offset;
        resolved = offset === final ? Number(batch.lastOffset()) : Number(offset);
      },
      heartbeat: () => {
        if (this.expelled)
          return Promise.reject(
            new FakeKafkaError('The coordinator is not aware of this member', 'UNKNOWN_MEMBER_ID', false),
          );
        if (this.pendingRejoin)
          return Promise.reject(new FakeKafkaError('The group is rebalancing', 'REBALANCE_IN_PROGRESS', true));
        return Promise.resolve();
      },
      commitOffsetsIfNecessary: () => Promise.resolve(),
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => this.running,
      isStale: stale,
      pause: () => () => undefined,
    } as unknown as EachBatchPayload;
    this.batches++;
    const autoResolve = this.runConfig?.eachBatchAutoResolve !== false;
    try {
      if (this.runConfig?.eachMessage) {
        // eachMessage: each message is resolved once its handler returns; a throw re-delivers it.
        for (const message of batch.messages) {
          if (stale() || !this.running) break;
          await this.runConfig.eachMessage({
            topic: batch.topic,
            partition: batch.partition,
            message,
            heartbeat: payload.heartbeat,
            pause: payload.pause,
          });
          resolved = Number(message.offset);
        }
        if (resolved === Number(batch.messages[batch.messages.length - 1]?.offset))
          resolved = Number(batch.lastOffset());
      } else await this.runConfig?.eachBatch?.(payload);
      if (autoResolve) resolved = Number(batch.lastOffset());
    } catch (err) {
      // kafkajs retries: the next fetch starts again from the last resolved offset; a rebalance rejoins.
      if ((err as { type?: string }).type === 'REBALANCE_IN_PROGRESS') this.pendingRejoin = true;
    }
    if (stale()) return;
    this.positions.set(key, resolved !== undefined ? resolved + 1 : from);
  }
}
