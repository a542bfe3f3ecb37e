/**
 * The composition root: the processor `homeostat run` runs, built in one place. The topics
 * (created when missing), the registry resolver, the decision path (decision-path.ts) put into
 * the runner's transactions by the decision extension, the control reader, the runners
 * (createProcessorRunners: one runner, or stage one and stage two when scaled out), the ops
 * server and the live dashboard fed by the extension's onOutputs hook.
 *
 * `homeostat run`, the demo, the integration tests' processor and the latency bench all build
 * it here; `overrides` holds the few things they swap. Nothing here installs signal handlers
 * or exits the process: that is the command's business (src/cli/run.ts).
 */
import { loadSigningKey, type SigningKey } from '../actions';
import type { HomeostatConfig } from '../config/homeostat-config';
import { httpAuthToken } from '../config/homeostat-config';
import { engineConfigFrom } from '../config/resolve-engine';
import { ingestDecoderFor } from '../config/resolve-ingest';
import { createDashboard, type Dashboard, type DashboardOptions } from '../dashboard';
import { createKafka, explainKafkaError } from '../kafka/client';
import { createConfiguredControlReader, type ControlReader } from '../kafka/control-reader';
import { createConfiguredDecisionExtension, type DecisionExtension } from '../kafka/decide-driver';
import { createProcessorRunners, type ProcessorRunners } from '../kafka/processor-runners';
import { createRegistryResolver } from '../kafka/registry';
import { ensureTopics, topicSpecs } from '../kafka/topics';
import type { Command } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import { createOpsServer, type OpsServer } from '../ops/http';
import { createLogger, type Logger } from '../ops/logger';
import { countDashboardStreams, createMetrics, type HomeostatMetrics } from '../ops/metrics';
import { buildDecisionPath, type DecisionPath } from './decision-path';
import { buildDecisionSplit, type DecisionSplit } from './decision-split';

/** What each transaction writes, before it commits (see DecisionExtensionOptions.onOutputs). */
export type OutputsObserver = (
  finals: readonly WindowSignal[],
  commands: readonly Command[],
  decisions: readonly Decision[],
) => void;

/** A part of the processor a caller leaves out. */
export type OmittedPart = 'verifier' | 'control-reader';

export interface ProcessorOverrides {
  /** Default: a logger at config `log.level`. */
  logger?: Logger;
  /** Default: a registry of its own with the process metrics (CPU, memory, event loop). */
  metrics?: HomeostatMetrics;
  /** Default: the key config `signing` names (a file, HOMEOSTAT_SIGNING_KEY, else a development key). */
  signing?: SigningKey;
  /**
   * Names this process in its log lines (`instance`). Not part of any transactional id: the
   * owner's is the group's, so that a new owner fences the last whichever process it was.
   */
  instanceId?: string;
  /** Dashboard settings beyond config `http` (which decides whether there is a dashboard at all). */
  dashboard?: Omit<DashboardOptions, 'logger'>;
  /** Observes each transaction's outputs, after the dashboard: the demo's record, the latency bench's clock. */
  onOutputs?: OutputsObserver;
  /** The processor cannot go on (e.g. its group refuses it): `run` exits with status 1. */
  onFatal?(err: Error): void;
  /** Parts left out; the demo has neither a verifier nor a control reader (src/demo/processor.ts says why). */
  omit?: readonly OmittedPart[];
}

export interface ProcessorAssembly {
  readonly logger: Logger;
  readonly metrics: HomeostatMetrics;
  readonly decisions: DecisionPath;
  readonly extension: DecisionExtension;
  readonly runners: ProcessorRunners;
  /** The split stage two's shards and arbiter (runner.decisionShards > 0). */
  readonly split?: DecisionSplit;
  /** The runner over the telemetry partitions (stage one when scaled out). */
  readonly runner: ProcessorRunners['runner'];
  readonly control?: ControlReader;
  /** Present when config `http.enabled`. */
  readonly dashboard?: Dashboard;
  readonly http?: OpsServer;
  /** Starts the ops server, the control reader, then the runners; says the ops server's port when there is one. */
  start(): Promise<{ port?: number }>;
  /** The runners first (the batch in flight commits), then the dashboard, ops server and control reader. Idempotent. */
  stop(): Promise<void>;
}

/** Builds the processor: topics created when missing, the policies' state restored from its last snapshot. */
export async function buildProcessor(
  config: HomeostatConfig,
  overrides: ProcessorOverrides = {},
): Promise<ProcessorAssembly> {
  const omit = new Set(overrides.omit ?? []);
  // First, so that a bad engine section fails before anything connects.
  const engine = engineConfigFrom(config);
  const base = overrides.logger ?? createLogger({ level: config.log.level });
  const logger = overrides.instanceId === undefined ? base : base.child({ instance: overrides.instanceId });
  await ensureConfiguredTopics(config, logger);
  const metrics = overrides.metrics ?? createMetrics({ defaultMetrics: true });
  const signing = overrides.signing ?? signingKeyFrom(config, logger);
  const decisions = buildDecisionPath(config, { signing, verifier: !omit.has('verifier') });
  const dashboard = config.http.enabled
    ? createDashboard({ maxStreams: config.http.maxDashboardStreams, ...overrides.dashboard, logger })
    : undefined;
  if (dashboard) countDashboardStreams(metrics.registry, dashboard);
  const resolver = createRegistryResolver(config.registry);
  const extension = await createConfiguredDecisionExtension(config, {
    stage: decisions.stage,
    resolver,
    logger,
    metrics,
    onOutputs: observers(dashboard, overrides.onOutputs),
  });
  await extension.restore();
  dashboard?.setPolicies(policyList(decisions));
  const split =
    config.runner.scaleOut && config.runner.decisionShards > 0
      ? await buildDecisionSplit(config, decisions, {
          signing,
          resolver,
          logger,
          metrics,
          onOutputs: observers(dashboard, overrides.onOutputs),
        })
      : undefined;
  const control = omit.has('control-reader')
    ? undefined
    : createConfiguredControlReader(config, {
        logger,
        metrics,
        onControl: (r) => {
          extension.applyControl(r);
          split?.arbiter.applyControl(r);
          dashboard?.setModes(decisions.modes());
        },
      });
  // Scaled out, the policies run in stage two, one process of the group at a time.
  const runners = createProcessorRunners(
    {
      ingest: ingestDecoderFor(config, resolver),
      extension,
      config,
      engine,
      limits: config.limits,
      resolver,
      logger,
      metrics,
      maxAheadMs: config.runner.maxAheadMs,
      // One history per consumer group, as the policies' snapshot: a standby continues it.
      history: config.runner.carryHistory
        ? { topic: config.topics.state, prefix: `history/${config.kafka.groupId}/` }
        : undefined,
      onFatal: overrides.onFatal,
    },
    split,
  );
  const http = config.http.enabled ? opsServer(config, runners.runner, { metrics, logger, dashboard }) : undefined;
  return assembly(
    { logger, metrics, decisions, extension, runners, split, control, dashboard, http },
    config.http.host,
  );
}

async function ensureConfiguredTopics(config: HomeostatConfig, logger: Logger): Promise<void> {
  const admin = createKafka(config.kafka, logger).admin();
  try {
    await admin.connect();
    const r = await ensureTopics(admin, topicSpecs(config.topics, config.runner.decisionShards));
    if (r.created.length > 0) logger.info({ created: r.created }, 'created missing topics');
  } catch (err) {
    throw explainKafkaError(err, config.kafka.brokers);
  } finally {
    await admin.disconnect();
  }
}

function signingKeyFrom(config: HomeostatConfig, logger: Logger): SigningKey {
  return loadSigningKey({
    keyFile: config.signing.keyFile,
    keyId: config.signing.keyId,
    audiences: config.signing.audiences,
    announce: (msg) => logger.warn(msg),
  });
}

function observers(dashboard: Dashboard | undefined, extra: OutputsObserver | undefined): OutputsObserver | undefined {
  if (!dashboard) return extra;
  if (!extra) return (finals, commands, decisions) => dashboard.onOutputs(finals, commands, decisions);
  return (finals, commands, decisions) => {
    dashboard.onOutputs(finals, commands, decisions);
    extra(finals, commands, decisions);
  };
}

function policyList(decisions: DecisionPath): Parameters<Dashboard['setPolicies']>[0] {
  const modes = decisions.modes();
  return decisions.engine.policies.map((p) => ({
    name: p.name,
    type: p.type,
    version: p.version,
    mode: modes[p.name],
  }));
}

function opsServer(
  config: HomeostatConfig,
  runner: ProcessorRunners['runner'],
  o: { metrics: HomeostatMetrics; logger: Logger; dashboard?: Dashboard },
): OpsServer {
  return createOpsServer({
    port: config.http.port,
    host: config.http.host,
    metrics: o.metrics,
    logger: o.logger,
    routes: o.dashboard?.routes,
    authToken: httpAuthToken(config),
    readiness: () => ({
      ready: runner.ready(),
      reasons: runner.ready()
        ? []
        : [`processor is ${runner.status()}; partitions assigned and checkpoints loaded: ${runner.ready()}`],
    }),
  });
}

function assembly(parts: Omit<ProcessorAssembly, 'runner' | 'start' | 'stop'>, host: string): ProcessorAssembly {
  const { runners, control, dashboard, http, logger } = parts;
  let stopping: Promise<void> | undefined;
  return {
    ...parts,
    runner: runners.runner,
    async start() {
      const port = http ? (await http.start()).port : undefined;
      // Said before the runners start: a standby may wait a long time for its partitions.
      if (http)
        logger.info(
          { port },
          `serving /metrics, /healthz, /readyz and the live dashboard at http://${host}:${port}/dashboard`,
        );
      await control?.start();
      await runners.start();
      return { port };
    },
    stop() {
      stopping ??= (async () => {
        await runners.stop();
        dashboard?.close();
        await http?.stop();
        await control?.stop();
      })();
      return stopping;
    },
  };
}
