/**
 * Executor options: the public type, defaults, and the checks run at construction, each
 * message naming the option, the value and the fix.
 */
import { isCommandType } from '../actions';
import { ConfigError } from '../errors';
import type { OutputFormat } from '../kafka/outputs';
import type { KafkaConfig, RegistryConfig } from '../config/kafka-schema';
import type { ExecutorCoreOptions, ExecutorLedger } from './types';

export interface ExecutorTopics {
  /** Where commands are read. Default in config: `homeostat.actions`. */
  actions: string;
  /** Where results are written. Default in config: `homeostat.action-results`. */
  actionResults: string;
}

export interface ExecutorOptions extends Omit<ExecutorCoreOptions, 'ledger'> {
  kafka: KafkaConfig;
  topics: ExecutorTopics;
  /** Schema Registry: needed to decode Avro commands and to write Avro results. */
  registry?: RegistryConfig;
  /** Encoding of results. Default `avro` when a registry is given, else `json`. */
  resultsFormat?: OutputFormat;
  /** Consumer group on the actions topic. Default `homeostat-executor-<name>`. */
  groupId?: string;
  /** Transactional id; stable across restarts so that a restarted executor fences its zombie. Default `<groupId>.tx`. */
  transactionalId?: string;
  /** Compacted state topic (seen ids, intents, leases). Default `homeostat.executor.<name>.state`; created if missing. */
  stateTopic?: string;
  /** Replication factor when the state topic is created. Default -1 (the broker's default). */
  stateReplicationFactor?: number;
  /** The state topic also drops records older than this. Default 7 days. */
  stateRetentionMs?: number;
  /**
   * Where a new consumer group starts on the actions topic. Default false (the latest
   * offset): commands are short leases, and replaying months of audit would only report
   * `expired` for each. A group with committed offsets always resumes from them.
   */
  fromBeginning?: boolean;
  /** How often lapsed leases are looked for (wall clock). Default 1 000 ms. */
  leaseCheckIntervalMs?: number;
  /** The ledger to use instead of the Kafka state topic + transactional results (tests). */
  dedupStore?: ExecutorLedger;
}

export interface ResolvedNames {
  groupId: string;
  transactionalId: string;
  stateTopic: string;
}

/** Kafka topic names: letters, digits, '.', '_', '-', up to 249 characters. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function resolveNames(
  o: Pick<ExecutorOptions, 'name' | 'groupId' | 'transactionalId' | 'stateTopic'>,
): ResolvedNames {
  const groupId = o.groupId ?? `homeostat-executor-${o.name}`;
  return {
    groupId,
    transactionalId: o.transactionalId ?? `${groupId}.tx`,
    stateTopic: o.stateTopic ?? `homeostat.executor.${o.name}.state`,
  };
}

/** Throws a ConfigError listing every problem with `o`. */
export function checkExecutorOptions(o: ExecutorOptions): void {
  const issues: string[] = [];
  if (!/^[a-zA-Z0-9._-]+$/.test(o.name)) {
    issues.push(
      `executor name ${JSON.stringify(o.name)}: use letters, digits, '.', '_' or '-' (it names the consumer group and the state topic)`,
    );
  }
  if (o.types.length === 0)
    issues.push(
      'types is empty: list the command types this executor handles, e.g. ["query_timeout.set", "query_timeout.revert"]',
    );
  for (const t of o.types) {
    if (!isCommandType(t))
      issues.push(
        `types: ${JSON.stringify(t)} is not a command type; ` +
          'use <family>.set or <family>.revert with family query_timeout, retry_policy or quota',
      );
  }
  if (Object.keys(o.keyring).length === 0) {
    issues.push(
      'keyring is empty: every command would be rejected; ' +
        "give the processor's key id and Ed25519 public key (HOMEOSTAT_VERIFY_KEYS=id=base64:...)",
    );
  }
  if (o.audiences !== undefined && (o.audiences.length === 0 || o.audiences.some((a) => a === ''))) {
    issues.push(
      'audiences is empty or holds an empty name: every command would be rejected; ' +
        "list the audiences the processor gives this executor's commands (default: the families of its types)",
    );
  }
  if (o.maxLeaseMs !== undefined && !(Number.isFinite(o.maxLeaseMs) && o.maxLeaseMs > 0)) {
    issues.push(`maxLeaseMs is ${o.maxLeaseMs}; give a number of ms > 0, e.g. 900000`);
  }
  if (!(Number.isFinite(o.maxClockSkewMs) && o.maxClockSkewMs >= 0)) {
    issues.push(`maxClockSkewMs is ${o.maxClockSkewMs}; give a number of ms ≥ 0, e.g. 5000`);
  }
  for (const [key, range] of Object.entries(o.bounds ?? {})) {
    if (range === undefined) continue;
    const [min, max] = range;
    if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max)) {
      issues.push(`bounds.${key} is [${min}, ${max}]; give finite numbers with min ≤ max`);
    }
  }
  const positive = (value: number | undefined, what: string, example: number): void => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      issues.push(`${what} is ${value}; give a number of ms > 0, e.g. ${example}`);
  };
  positive(o.applyTimeoutMs, 'applyTimeoutMs', 10_000);
  positive(o.leaseCheckIntervalMs, 'leaseCheckIntervalMs', 1_000);
  positive(o.dedupGraceMs, 'dedupGraceMs', 3_600_000);
  positive(o.revertRetryMs, 'revertRetryMs', 1_000);
  positive(o.stateRetentionMs, 'stateRetentionMs', 604_800_000);
  if (o.resultsFormat === 'avro' && o.registry === undefined && o.dedupStore === undefined) {
    issues.push('resultsFormat is avro but no registry is given; set registry.url or use resultsFormat json');
  }
  const { stateTopic } = resolveNames(o);
  if (!TOPIC_NAME.test(stateTopic))
    issues.push(
      `stateTopic ${JSON.stringify(stateTopic)} is not a valid topic name; use letters, digits, '.', '_' or '-'`,
    );
  if (issues.length > 0) throw new ConfigError(issues.map((i) => `executor ${o.name}: ${i}`));
}
