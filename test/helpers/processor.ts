/**
 * An in-process processor built as `homeostat run` builds it: the composition root
 * (src/compose/processor.ts) — topics, policies, signed decision engine and stage, the
 * decision extension, the control reader, the runners (stage two too when scaled out), the
 * ops server and the live dashboard fed through the extension's onOutputs hook. Here the ops
 * server always runs, on a free port of 127.0.0.1, and the metrics leave out the process
 * metrics. Returns handles to stop everything; nothing here installs signal handlers.
 */
import { buildProcessor, type ProcessorAssembly } from '../../src/compose/processor';
import { loadConfig, type HomeostatConfig } from '../../src/config/homeostat-config';
import type { Dashboard, DashboardOptions } from '../../src/dashboard';
import type { OpsServer } from '../../src/ops/http';
import type { Logger } from '../../src/ops/logger';
import { createMetrics } from '../../src/ops/metrics';
import { benchTopics } from '../../bench/lib/kafka';
import { randomName } from './kafka';
import { brokers } from './services';

export interface RunningProcessor {
  runner: ProcessorAssembly['runner'];
  dashboard: Dashboard;
  http: OpsServer;
  /** Port of the ops server (/metrics, /dashboard, …). */
  port: number;
  stop(): Promise<void>;
}

export async function startProcessor(
  config: HomeostatConfig,
  logger: Logger,
  dashboardOptions: DashboardOptions = {},
): Promise<RunningProcessor> {
  const processor = await buildProcessor(
    { ...config, http: { ...config.http, enabled: true, port: 0, host: '127.0.0.1' } },
    { logger, metrics: createMetrics(), dashboard: dashboardOptions },
  );
  const { port } = await processor.start();
  const { dashboard, http } = processor;
  if (!dashboard || !http || port === undefined) throw new Error('the processor was built without its ops server');
  return { runner: processor.runner, dashboard, http, port, stop: () => processor.stop() };
}

/**
 * A processor's config on topics of its own (`<prefix>.<topic>`), two telemetry partitions, one-second
 * windows that never idle, JSON outputs, no policies; `engine` is merged into the engine section.
 */
export function testProcessorConfig(prefix: string, engine: Record<string, unknown> = {}): HomeostatConfig {
  const topics = benchTopics(prefix);
  return loadConfig({
    env: {},
    overrides: {
      kafka: { brokers: brokers(), groupId: randomName('grp'), transactionalIdPrefix: randomName('tx') },
      topics: { ...topics, telemetryPartitions: 2 },
      engine: { window: { sizeMs: 1000, graceMs: 100 }, allowedOutOfOrdernessMs: 100, idleAfterMs: 'never', ...engine },
      actions: { format: 'json' },
      http: { enabled: false },
      log: { level: 'silent' },
    },
  });
}
