/**
 * A processor runner that reads foreign formats (`ingest.format: auto`) from fresh random
 * topics on the real broker, with a metrics registry and a logger that keeps its warnings,
 * for the tests of the multi-sample ingest path (integration and hostile tiers).
 */
import { createRegistryResolver } from '../../src/kafka/registry';
import { createRunner, type Runner } from '../../src/kafka/processor-driver';
import { loadConfig, type HomeostatConfig } from '../../src/config/homeostat-config';
import { mergeDeep } from '../../src/guardrails/config';
import { engineConfigFrom } from '../../src/config/resolve-engine';
import { ingestDecoderFor } from '../../src/config/resolve-ingest';
import type { Logger } from '../../src/ops/logger';
import { createMetrics, type HomeostatMetrics } from '../../src/ops/metrics';
import { createTopic, randomName } from './kafka';
import { registryUrl } from './services';
import { topicNames } from './topic-names';

export interface IngestRunner {
  runner: Runner;
  config: HomeostatConfig;
  metrics: HomeostatMetrics;
  /** Messages the runner logged at warn level. */
  warnings: string[];
  stop(): Promise<void>;
}

export interface IngestRunnerOptions {
  partitions: number;
  /** Config overrides on top of the topics, group and `ingest.format: auto`. */
  overrides?: Record<string, unknown>;
}

function warningLogger(warnings: string[]): Logger {
  const keep = (obj: unknown, msg?: string): void => {
    warnings.push(typeof obj === 'string' ? obj : (msg ?? ''));
  };
  const none = (): void => undefined;
  const logger = {
    warn: keep,
    info: none,
    debug: none,
    error: none,
    trace: none,
    fatal: none,
    isLevelEnabled: () => false,
  } as unknown as Logger;
  (logger as unknown as { child: () => Logger }).child = () => logger;
  return logger;
}

export async function startIngestRunner(options: IngestRunnerOptions): Promise<IngestRunner> {
  const prefix = randomName('ingest');
  const config = loadConfig({
    registry: registryUrl(),
    overrides: mergeDeep(
      {
        kafka: { groupId: randomName('group'), transactionalIdPrefix: randomName('tx') },
        topics: topicNames(prefix),
        ingest: { format: 'auto' },
        http: { enabled: false },
      },
      options.overrides ?? {},
    ) as Record<string, unknown>,
  });
  await createTopic(config.topics.telemetry, options.partitions);
  await createTopic(config.topics.dlq, 1);
  await createTopic(config.topics.signals, 1);
  // Scaled out, stage one writes its signals and marks here (stage two is not started).
  if (config.runner.scaleOut) await createTopic(config.topics.stage, 1);
  const metrics = createMetrics();
  const warnings: string[] = [];
  const runner = createRunner({
    config,
    ingest: ingestDecoderFor(config),
    engine: engineConfigFrom(config),
    limits: config.limits,
    resolver: createRegistryResolver(config.registry),
    logger: warningLogger(warnings),
    metrics,
    maxAheadMs: config.runner.maxAheadMs,
  });
  await runner.start();
  return { runner, config, metrics, warnings, stop: () => runner.stop() };
}

/** A counter's value (summed over its labels). */
export async function counterValue(
  metrics: HomeostatMetrics,
  handle: 'sourcesSplit' | 'dlqRecords' | 'recordsDeadLettered',
): Promise<number> {
  const got = await metrics[handle].get();
  return got.values.reduce((n, v) => n + v.value, 0);
}
