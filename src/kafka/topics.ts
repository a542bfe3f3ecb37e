import type { Admin, ITopicConfig } from 'kafkajs';
import type { PortAdmin } from './port';
import type { TopicsConfig } from '../config/kafka-schema';

/** What the processor and executors expect on the cluster, one entry per topic of DESIGN.md. */
/** A split stage two's topics (runner.decisionShards): one per decision shard, then the arbiter's. */
export function splitTopicNames(stage: string, shards: number): { shards: string[]; arbiter: string } {
  return { shards: [...Array(shards).keys()].map((i) => `${stage}.d${i}`), arbiter: `${stage}.arbiter` };
}

/** The topics homeostat uses; with `decisionShards` > 0 also the split stage two's, made like the stage topic. */
export function topicSpecs(t: TopicsConfig, decisionShards = 0): ITopicConfig[] {
  const data = (name: string, partitions: number): ITopicConfig => ({
    topic: name,
    numPartitions: partitions,
    replicationFactor: t.replicationFactor,
    configEntries: [{ name: 'retention.ms', value: String(t.retentionMs) }],
  });
  const audit = (name: string): ITopicConfig => ({
    topic: name,
    numPartitions: t.partitions,
    replicationFactor: t.replicationFactor,
    configEntries: [{ name: 'retention.ms', value: String(t.auditRetentionMs) }],
  });
  const telemetry = data(t.telemetry, t.telemetryPartitions);
  telemetry.configEntries!.push({ name: 'message.timestamp.type', value: t.telemetryTimestampType });
  const specs: ITopicConfig[] = [
    telemetry,
    // The DLQ keeps the original records (cut to fit its limit, dlq.ts): same retention as the telemetry they came from.
    {
      ...data(t.dlq, t.partitions),
      configEntries: [
        ...data(t.dlq, t.partitions).configEntries!,
        { name: 'max.message.bytes', value: String(t.dlqMaxMessageBytes) },
      ],
    },
    data(t.signals, t.partitions),
    audit(t.decisions),
    audit(t.actions),
    audit(t.actionResults),
    audit(t.outcomes),
    {
      // Compacted: the latest pause/mode/exclude/kill per key is the control state,
      // kept for ever so that a restarted processor still honours it. One partition:
      // control changes are rare and must apply in a total order.
      topic: t.control,
      numPartitions: 1,
      replicationFactor: t.replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'min.compaction.lag.ms', value: '60000' },
      ],
    },
    {
      // Stage one → stage two of a group whose processes share the partitions
      // (runner.scaleOut). One partition: stage two reads it in one order, and each
      // partition's marks must follow its signals. Read within minutes; kept a day for
      // a stage two that was down that long.
      topic: t.stage,
      numPartitions: 1,
      replicationFactor: t.replicationFactor,
      configEntries: [{ name: 'retention.ms', value: String(Math.min(t.retentionMs, 24 * 3600 * 1000)) }],
    },
    {
      // The policies' state snapshot and the EWMA/trend history of every series and scope,
      // keyed per consumer group: only the newest value of a key matters. Both are written
      // with every transaction, so segments roll hourly and compaction runs once a tenth of
      // the log is stale: a restart then reads about the live keys, not every write since.
      topic: t.state,
      numPartitions: 1,
      replicationFactor: t.replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'max.message.bytes', value: String(8 * 1024 * 1024) },
        { name: 'segment.ms', value: String(3_600_000) },
        { name: 'min.cleanable.dirty.ratio', value: '0.1' },
      ],
    },
  ];
  const split = splitTopicNames(t.stage, decisionShards);
  if (decisionShards > 0) {
    const stage = specs.find((x) => x.topic === t.stage)!;
    for (const topic of [...split.shards, split.arbiter]) specs.push({ ...stage, topic });
  }
  return specs;
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
}

/** Creates what is missing, leaves what exists alone (idempotent), and says which was which. */
export async function ensureTopics(admin: Admin, specs: ITopicConfig[]): Promise<EnsureTopicsResult> {
  const present = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !present.has(s.topic));
  const existing = specs.filter((s) => present.has(s.topic)).map((s) => s.topic);
  if (missing.length > 0) {
    await admin.createTopics({ topics: missing, waitForLeaders: false });
    await waitForLeaders(
      admin,
      missing.map((s) => s.topic),
    );
  }
  return { created: missing.map((s) => s.topic), existing };
}

/**
 * Waits until every partition of `topics` has a leader that answers for it. kafkajs's own
 * `waitForLeaders` gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers for a
 * moment after CreateTopics returns; this treats that as "not yet" too. Metadata can name a
 * leader before that broker has loaded the partition (ListOffsets then fails with "not the
 * leader"), so the offsets are asked for too, as a consumer's first fetch will.
 */
export async function waitForLeaders(admin: PortAdmin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      if (
        meta.topics.length === topics.length &&
        meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
      ) {
        for (const t of topics) await admin.fetchTopicOffsets(t);
        return;
      }
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `topics ${topics.join(', ')} have no leader after ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`,
  );
}
