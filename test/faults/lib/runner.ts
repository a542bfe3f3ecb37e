/**
 * The processor in-process (createRunner, no decision stage) on a fault test's broker, for
 * the tests that feed it bad input and read its counters directly.
 */
import type { SchemaResolver } from '../../../src/codec';
import { createRegistryResolver } from '../../../src/kafka/registry';
import { createRunner, type Runner } from '../../../src/kafka/processor-driver';
import { loadConfig, type HomeostatConfig } from '../../../src/config/homeostat-config';
import { engineConfigFrom } from '../../../src/config/resolve-engine';
import { createLogger, silentLogger } from '../../../src/ops/logger';
import type { BrokerInstance } from '../../helpers/instance';
import { randomName } from '../../helpers/kafka';
import { faultRegistry, topicNames } from './cli';
import { createTopics } from './kafka';

export interface InProcess {
  runner: Runner;
  config: HomeostatConfig;
  topics: ReturnType<typeof topicNames>;
  /** The shared Schema Registry's (faultRegistry). */
  resolver: SchemaResolver;
}

export interface InProcessOptions {
  partitions: number;
  /** Engine section of the config (merged over a 1 s tumbling window, never idle). */
  engine?: Record<string, unknown>;
  limits?: Record<string, unknown>;
  resolver?: SchemaResolver;
  runner?: Record<string, unknown>;
  /** Topic configs of the telemetry topic (e.g. message.timestamp.type). */
  telemetryConfig?: { name: string; value: string }[];
}

/** Config and topics for an in-process runner; the runner itself is created by startInProcess. */
export async function prepareInProcess(inst: BrokerInstance, o: InProcessOptions): Promise<Omit<InProcess, 'runner'>> {
  const prefix = randomName('ip');
  const topics = topicNames(prefix);
  const config = loadConfig({
    env: {},
    overrides: {
      kafka: {
        ...inst.kafkaConfig(),
        groupId: randomName('grp'),
        transactionalIdPrefix: randomName('tx'),
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 600,
      },
      registry: { url: faultRegistry() },
      topics: { ...topics, telemetryPartitions: o.partitions },
      engine: {
        window: { sizeMs: 1000, graceMs: 200 },
        allowedOutOfOrdernessMs: 300,
        idleAfterMs: 'never',
        ...o.engine,
      },
      limits: o.limits ?? {},
      actions: { format: 'json' },
      http: { enabled: false },
      runner: { logIntervalMs: 60_000, ...o.runner },
    },
  });
  await createTopics(inst, [
    { topic: topics.telemetry, partitions: o.partitions, configEntries: o.telemetryConfig },
    { topic: topics.dlq, partitions: 3 },
    { topic: topics.signals, partitions: 3 },
  ]);
  return { config, topics, resolver: o.resolver ?? createRegistryResolver(config.registry) };
}

export async function startInProcess(p: Omit<InProcess, 'runner'>): Promise<InProcess> {
  const runner = createRunner({
    config: p.config,
    engine: engineConfigFrom(p.config),
    limits: p.config.limits,
    resolver: p.resolver,
    logger: process.env.TEST_LOG ? createLogger({ level: process.env.TEST_LOG }) : silentLogger(),
    maxAheadMs: p.config.runner.maxAheadMs,
  });
  await runner.start();
  return { ...p, runner };
}
