/**
 * The processor as a black box for the fault tests: `homeostat run` in a child process
 * against a broker instance of the test's own, its config written to a temporary file, its
 * JSON log parsed for the accounting lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { decodeCheckpoint } from '../../../src/kafka/checkpoint-meta';
import type { RunnerCounters } from '../../../src/kafka/processor-driver';
import { BIN as DEFAULT_BIN, KEY_SEED, KEYRING, SIGNING } from '../../helpers/cli';
import type { BrokerInstance } from '../../helpers/instance';
import { checkpointsAtEnd, randomName } from '../../helpers/kafka';
import { registryUrl } from '../../helpers/services';
import { faultKafka } from './kafka';
import { operatorControlConfig } from '../../helpers/operator-key';

export { KEY_SEED, KEYRING, SIGNING };

/** The CLI under test: bin/homeostat.js (run `npm run build` first), or HOMEOSTAT_FAULTS_BIN to try another build. */
export const BIN = process.env.HOMEOSTAT_FAULTS_BIN ?? DEFAULT_BIN;
export const KEY_ID = 'test-key';

/**
 * The shared Schema Registry (the faults tier's globalSetup makes sure it runs): Avro
 * telemetry in the fault tests is registered there, as in production.
 */
export const faultRegistry = (): string => registryUrl();

import { topicNames } from '../../helpers/topic-names';
export { TOPIC_KEYS, topicNames, type TopicKey } from '../../helpers/topic-names';

/** The adaptive-timeout policy of the fault workloads: queue.depth above 50 for 3 windows is overload. */
export const TIMEOUT_POLICY = {
  name: 'timeouts',
  type: 'adaptive-timeout',
  select: { metric: 'queue.depth' },
  parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 }, defaultTimeoutMs: 8000, overloadWindows: 3 },
};

/**
 * The same overload judged relative to each worker's own baseline (docs/policies.md, relative
 * triggers): queue depth above 4× its trailing 90th percentile (never below 20). Its baselines
 * live in the policies' snapshot on the state topic, so a restart must carry them exactly.
 */
export const RELATIVE_TIMEOUT_POLICY = {
  name: 'relative-timeouts',
  type: 'adaptive-timeout',
  select: { metric: 'queue.depth' },
  parameters: {
    high: { queueDepth: { ratio: 4, of: 'p90', atLeast: 20 }, latencyMs: null },
    low: { queueDepth: { ratio: 1.5, of: 'p90' }, latencyMs: null },
    baseline: { windows: 30, warmupWindows: 10 },
    defaultTimeoutMs: 8000,
    overloadWindows: 3,
  },
};

export interface FaultConfigOptions {
  partitions: number;
  /** Extra top-level keys (merged over the defaults below). */
  extra?: Record<string, unknown>;
  kafka?: Record<string, unknown>;
}

/** Writes the YAML config of a processor on `inst`; returns its path and the plain object. */
export function writeFaultConfig(
  dir: string,
  prefix: string,
  inst: BrokerInstance,
  o: FaultConfigOptions,
): { file: string; raw: Record<string, unknown> } {
  const file = join(dir, `${prefix}.yaml`);
  const k = inst.kafkaConfig();
  const raw: Record<string, unknown> = {
    kafka: {
      brokers: k.brokers,
      groupId: randomName('grp'),
      transactionalIdPrefix: randomName('tx'),
      // A SIGKILLed member is noticed after 6 s (the broker's minimum session) instead of 30 s.
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 600,
      ...(k.sasl ? { sasl: k.sasl } : {}),
      ...o.kafka,
    },
    registry: { url: faultRegistry() },
    topics: { ...topicNames(prefix), telemetryPartitions: o.partitions },
    // Never idle: the result then cannot depend on fetch timing (see docs/reliability.md).
    engine: { window: { sizeMs: 1000, graceMs: 200 }, allowedOutOfOrdernessMs: 300, idleAfterMs: 'never' },
    mode: 'enforce',
    actions: { format: 'json' },
    signing: { keyId: KEY_ID },
    control: operatorControlConfig(),
    http: { enabled: false },
    runner: { logIntervalMs: 1000, shutdownTimeoutMs: 30_000 },
    policies: [TIMEOUT_POLICY],
    // Enforce mode needs a fleet size; the action storm's cap counts the 500 workers it produces.
    guardrails: { blastRadius: { fleetSize: 'observed' } },
    ...o.extra,
  };
  writeFileSync(file, stringify(raw));
  return { file, raw };
}

/** Starts `homeostat run`; flags win over KAFKA_BROKERS / SCHEMA_REGISTRY_URL a developer may have set. */
export function startCliProcessor(file: string, inst: BrokerInstance, log: string, instance = '0'): ChildProcess {
  const out = openSync(log, 'a');
  return spawn(
    process.execPath,
    [
      BIN,
      'run',
      '--config',
      file,
      '--brokers',
      inst.brokers.join(','),
      '--registry',
      faultRegistry(),
      '--instance',
      instance,
    ],
    {
      env: { ...process.env, HOMEOSTAT_SIGNING_KEY: KEY_SEED, HOMEOSTAT_LOG_LEVEL: 'info' },
      stdio: ['ignore', out, out],
    },
  );
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  return exited;
}

export interface LogLine {
  msg?: string;
  level?: number;
  accounting?: RunnerCounters;
  [k: string]: unknown;
}

export function logLines(log: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by SIGKILL
    }
  }
  return out;
}

/** The counters of the last `final accounting` line (written once the processor drained). */
export function finalAccounting(log: string): RunnerCounters | undefined {
  return logLines(log)
    .filter((l) => l.msg === 'final accounting')
    .at(-1)?.accounting;
}

/** True once the group has handled every record of the topic (see checkpointsAtEnd). */
export async function caughtUp(inst: BrokerInstance, groupId: string, topic: string): Promise<boolean> {
  const admin = faultKafka(inst).admin();
  await admin.connect();
  try {
    return await checkpointsAtEnd(admin, groupId, topic);
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The sum of the topics' end offsets: changes whenever anything is written to one of them. */
export async function endsOf(inst: BrokerInstance, topics: readonly string[]): Promise<bigint> {
  const admin = faultKafka(inst).admin();
  await admin.connect();
  try {
    let sum = 0n;
    for (const topic of topics) for (const e of await admin.fetchTopicOffsets(topic)) sum += BigInt(e.high);
    return sum;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** How many records the processor has handled so far, from the committed checkpoints. */
export async function handledSoFar(inst: BrokerInstance, groupId: string, topic: string): Promise<number> {
  const admin = faultKafka(inst).admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? []).reduce((n, po) => n + Number(decodeCheckpoint(po.metadata)?.next ?? 0), 0);
  } catch {
    return 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
