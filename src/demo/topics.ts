/**
 * Names and lifetime of a demo run's Kafka resources. Every scenario run gets topics,
 * consumer groups and transactional ids of its own under `<prefix>.<run id>.<scenario>`,
 * so two demos (or a demo and a production processor) on one cluster never read each
 * other's records, and a run never resumes a previous run's offsets or policy state.
 */
import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { HomeostatError, describeError } from '../errors';
import type { TopicsConfig } from '../config/kafka-schema';
import type { ScenarioName } from '../sim';

/** Kafka topic names: letters, digits, '.', '_', '-'; the prefix leaves room for the rest. */
const PREFIX = /^[a-zA-Z0-9._-]{1,120}$/;

export const DEFAULT_DEMO_PREFIX = 'homeostat-demo';

/** A run id: sortable by start time, unique enough for concurrent runs on one cluster. */
export function newRunId(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) {
    throw new HomeostatError(
      'USAGE',
      `--prefix ${JSON.stringify(prefix)} is not usable in topic names; use 1-120 letters, digits, '.', '_' or '-' ` +
        `(e.g. ${DEFAULT_DEMO_PREFIX})`,
      { field: 'prefix' },
    );
  }
  return prefix;
}

export interface DemoNames {
  /** `<prefix>.<run id>.<scenario>`: every topic, group and transactional id below starts with it. */
  base: string;
  topics: Pick<
    TopicsConfig,
    'telemetry' | 'dlq' | 'signals' | 'decisions' | 'actions' | 'actionResults' | 'outcomes' | 'control' | 'state'
  >;
  /** The executor's compacted state topic (the SDK creates it). */
  executorState: string;
  processorGroup: string;
  processorTransactionalId: string;
  executorGroup: string;
  executorTransactionalId: string;
}

export function demoNames(prefix: string, runId: string, scenario: ScenarioName): DemoNames {
  const base = `${checkPrefix(prefix)}.${runId}.${scenario}`;
  return {
    base,
    topics: {
      telemetry: `${base}.telemetry`,
      dlq: `${base}.telemetry.dlq`,
      signals: `${base}.signals`,
      decisions: `${base}.decisions`,
      actions: `${base}.actions`,
      actionResults: `${base}.action-results`,
      outcomes: `${base}.outcomes`,
      control: `${base}.control`,
      state: `${base}.processor-state`,
    },
    executorState: `${base}.executor-state`,
    processorGroup: `${base}.processor`,
    processorTransactionalId: `${base}.processor`,
    executorGroup: `${base}.executor`,
    executorTransactionalId: `${base}.executor.tx`,
  };
}

/** Every topic of a run, the executor's state topic included. */
export function allTopics(n: DemoNames): string[] {
  return [...Object.values(n.topics), n.executorState];
}

/**
 * Deletes the run's topics and every consumer group whose id starts with its base (the
 * processor's, the executor's, and the readers the SDK and the processor create to restore
 * their state). Only names of this run: nothing else on the cluster is touched.
 */
export async function deleteRunResources(admin: Admin, n: DemoNames): Promise<{ topics: string[]; groups: string[] }> {
  const present = new Set(await admin.listTopics());
  const topics = allTopics(n).filter((t) => present.has(t));
  try {
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    const { groups } = await admin.listGroups();
    const mine = groups.map((g) => g.groupId).filter((g) => g.startsWith(`${n.base}.`));
    if (mine.length > 0) await admin.deleteGroups(mine);
    return { topics, groups: mine };
  } catch (err) {
    throw new HomeostatError(
      'KAFKA',
      `could not delete the demo's topics under ${n.base}: ${describeError(err)}; delete them with kafka-topics.sh ` +
        `--delete --topic '${n.base}.*'`,
      { cause: err, retriable: true },
    );
  }
}
