import type { Command } from 'commander';
import { loadSigningKey } from '../actions';
import { createKafka, explainKafkaError } from '../kafka/client';
import { createConfiguredControlReader } from '../kafka/control-reader';
import { resolveTelemetryLimits } from '../codec';
import { createConfiguredDecisionExtension } from '../kafka/decide-driver';
import { createDecisionStage } from '../pipeline/decide';
import { createDecisionEngine, createPolicies, loadPolicyModule } from '../policies';
import { createVerifier } from '../verify';
import { parseGuardrails, resolvePolicyGuardrails } from '../guardrails';
import { ingestDecoderFor } from '../ops/ingest-config';
import { createDashboard } from '../dashboard';
import type { Mode } from '../model/command';
import { createRegistryResolver } from '../kafka/registry';
import { createProcessorRunners } from '../kafka/processor-runners';
import type { Runner } from '../kafka/processor-driver';
import { ensureTopics, topicSpecs } from '../kafka/topics';
import { httpAuthToken, loadConfig, type HomeostatConfig } from '../ops/config';
import { engineConfigFrom } from '../ops/engine-config';
import { createOpsServer } from '../ops/http';
import { createLogger, type Logger } from '../ops/logger';
import { countDashboardStreams, createMetrics } from '../ops/metrics';
import { addConnectionOptions, type ConnectionOptions } from './options';

interface RunOptions extends ConnectionOptions {
  actionsFormat?: 'avro' | 'json';
  mode?: 'shadow' | 'canary' | 'enforce';
  instance?: string;
  httpPort?: string;
}

export function registerRunCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('run')
      .description('run the processor: telemetry in; signals, decisions and commands out')
      .option('--actions-format <format>', 'encoding of the output topics: avro or json (config actions.format)')
      .option('--mode <mode>', "override every policy's mode: shadow, canary or enforce (config mode)")
      .option('--instance <id>', 'stable id of this process, for its transactional id (default 0)')
      .option('--http-port <port>', 'port of /metrics, /healthz and /readyz (config http.port; 0 picks one)'),
  ).action(async (opts: RunOptions) => {
    const overrides: Record<string, Record<string, unknown>> = {};
    if (opts.actionsFormat) overrides.actions = { format: opts.actionsFormat };
    if (opts.httpPort !== undefined) overrides.http = { port: Number(opts.httpPort) };
    const flat: Record<string, unknown> = {};
    if (opts.mode !== undefined) flat.mode = opts.mode;
    const config = loadConfig({
      file: opts.config,
      brokers: opts.brokers,
      registry: opts.registry,
      overrides: { ...overrides, ...flat },
    });
    const logger = createLogger({ level: config.log.level });
    await runProcessor(config, logger, opts.instance);
  });
}

/** Runs until SIGTERM/SIGINT, then drains: the batch in flight commits before the process exits. */
export async function runProcessor(config: HomeostatConfig, logger: Logger, instanceId?: string): Promise<void> {
  const engine = engineConfigFrom(config);
  const ahead = resolveTelemetryLimits(config.limits).maxAheadOfLogTimeMs;
  if (ahead > engine.allowedOutOfOrdernessMs) {
    // A window can then close up to (ahead − allowance) past the processor's clock, and its commands carry that issuedAt.
    logger.warn(
      { maxAheadOfLogTimeMs: ahead, allowedOutOfOrdernessMs: engine.allowedOutOfOrdernessMs },
      `limits.maxAheadOfLogTimeMs exceeds engine.allowedOutOfOrdernessMs: commands may carry an issuedAt up to ${Number.isFinite(ahead) ? `${ahead - engine.allowedOutOfOrdernessMs} ms` : 'any time'} ahead of this host's clock, which executors refuse past their maxClockSkewMs; keep it at or below allowedOutOfOrdernessMs`,
    );
  }
  const admin = createKafka(config.kafka, logger).admin();
  try {
    await admin.connect();
    const r = await ensureTopics(admin, topicSpecs(config.topics));
    if (r.created.length > 0) logger.info({ created: r.created }, 'created missing topics');
  } catch (err) {
    throw explainKafkaError(err, config.kafka.brokers);
  } finally {
    await admin.disconnect();
  }
  const metrics = createMetrics({ defaultMetrics: true });
  const policies = createPolicies(config.policies, { loadModule: (path) => loadPolicyModule(path) });
  const signing = loadSigningKey({
    keyFile: config.signing.keyFile,
    keyId: config.signing.keyId,
    audiences: config.signing.audiences,
    announce: (msg) => logger.warn(msg),
  });
  const decisionEngine = createDecisionEngine({
    policies,
    guardrails: config.guardrails,
    modeOverride: config.mode ?? null,
    signing,
    control: { maxExclusions: config.control.maxExclusions },
  });
  const stage = createDecisionStage(decisionEngine, { verifier: createVerifier(config.verification), signing });
  const dashboard = config.http.enabled
    ? createDashboard({ logger, maxStreams: config.http.maxDashboardStreams })
    : undefined;
  if (dashboard) countDashboardStreams(metrics.registry, dashboard);
  const modesNow = (): Record<string, Mode> =>
    Object.fromEntries(
      decisionEngine.policies.map((p) => [p.name, decisionEngine.modeOf(stage.state().engine, p.name)]),
    );
  const guardrails = parseGuardrails(config.guardrails);
  for (const p of decisionEngine.policies) {
    const configured = policies.find((x) => x.name === p.name);
    const mode = config.mode ?? configured?.mode ?? 'shadow';
    if (
      mode !== 'shadow' &&
      resolvePolicyGuardrails(guardrails, configured?.guardrails ?? {}, p.name).blastRadius.fleetSize === undefined
    ) {
      logger.warn(
        { policy: p.name },
        `policy ${p.name} acts with a blast-radius cap counted from observed targets, which any telemetry producer can inflate; set guardrails.blastRadius.fleetSize (docs/security.md)`,
      );
    }
    logger.info(
      { policy: p.name, type: p.type, version: p.version, mode },
      mode === 'shadow'
        ? `policy ${p.name} runs in SHADOW mode: it decides and records, executors never apply its commands (set mode: enforce or --mode to act)`
        : `policy ${p.name} runs in ${mode} mode`,
    );
  }
  if (policies.length === 0) logger.info('no policies configured: computing signals only');
  const needsRegistry = config.actions.format === 'avro';
  const resolver = createRegistryResolver(config.registry);
  const extension = await createConfiguredDecisionExtension(config, {
    stage,
    resolver,
    logger,
    metrics,
    onOutputs: dashboard
      ? (finals, commands, decisions) => dashboard.onOutputs(finals, commands, decisions)
      : undefined,
  });
  await extension.restore();
  if (dashboard) {
    const modes = modesNow();
    dashboard.setPolicies(
      decisionEngine.policies.map((p) => ({ name: p.name, type: p.type, version: p.version, mode: modes[p.name] })),
    );
  }
  const control = createConfiguredControlReader(config, {
    logger,
    metrics,
    onControl: (r) => {
      extension.applyControl(r);
      dashboard?.setModes(modesNow());
    },
  });
  const ingest = ingestDecoderFor(config, resolver);
  const history = config.runner.carryHistory
    ? { topic: config.topics.state, prefix: `history/${config.kafka.groupId}/` }
    : undefined;
  // Scaled out, the policies run in stage two, one process of the group at a time.
  const processor = createProcessorRunners({
    ingest,
    extension,
    config,
    engine,
    limits: config.limits,
    resolver,
    logger,
    metrics,
    instanceId,
    maxAheadMs: config.runner.maxAheadMs,
    // One history per consumer group, as the policies' snapshot: a standby continues it.
    history,
    onFatal: (err) => shutdown?.(err),
  });
  const runner: Runner = processor.runner;
  const http = config.http.enabled
    ? createOpsServer({
        port: config.http.port,
        host: config.http.host,
        metrics,
        logger,
        routes: dashboard?.routes,
        authToken: httpAuthToken(config),
        readiness: () => ({
          ready: runner.ready(),
          reasons: runner.ready()
            ? []
            : [`processor is ${runner.status()}; partitions assigned and checkpoints loaded: ${runner.ready()}`],
        }),
      })
    : undefined;
  if (http) {
    const { port } = await http.start();
    logger.info(
      { port },
      `serving /metrics, /healthz, /readyz and the live dashboard at http://${config.http.host}:${port}/dashboard`,
    );
  }
  logger.info(
    {
      brokers: config.kafka.brokers,
      telemetry: config.topics.telemetry,
      outputs: config.actions.format,
      registry: needsRegistry ? config.registry.url : undefined,
      window: engine.window,
    },
    'starting the processor',
  );
  /** Set below: stops the processor because it cannot go on (exit status 1). */
  let shutdown: ((err: Error) => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: draining the batch in flight');
      const timer = setTimeout(() => {
        logger.error('shutdown timed out; exiting without a final commit (the next start resumes from the last one)');
        process.exit(1);
      }, config.runner.shutdownTimeoutMs);
      timer.unref();
      void processor
        .stop()
        .then(() => {
          dashboard?.close();
          return http?.stop();
        })
        .then(() => resolve());
    };
    shutdown = (err) => {
      process.exitCode = 1;
      process.stderr.write(`homeostat: ${err.message}\n`);
      onSignal('fatal');
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await control.start();
  await processor.start();
  await stopped;
  await control.stop();
  // Drained and committed. A Kafka client abandoned mid-retry (the control consumer stuck
  // rejoining a restarted broker) must not keep the process alive until the shutdown timer
  // turns a clean stop into exit code 1.
  setTimeout(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0), 1_000).unref();
}
