/**
 * An in-process processor wired as `homeostat run` wires it (src/cli/run.ts runProcessor):
 * topics, policies, signed decision engine and stage, the decision extension, the control
 * reader, the runner and the ops server — plus the live dashboard, fed through the
 * extension's onOutputs hook and served on the ops server's routes. Returns handles to
 * stop everything; nothing here installs signal handlers.
 */
import { loadSigningKey } from '../../src/actions';
import { createDashboard, type Dashboard, type DashboardOptions } from '../../src/dashboard';
import { createKafka } from '../../src/kafka/client';
import { createConfiguredControlReader, type ControlReader } from '../../src/kafka/control-reader';
import { createConfiguredDecisionExtension } from '../../src/kafka/decide-driver';
import { createRegistryResolver } from '../../src/kafka/registry';
import { createRunner, type Runner } from '../../src/kafka/processor-driver';
import { ensureTopics, topicSpecs } from '../../src/kafka/topics';
import type { HomeostatConfig } from '../../src/ops/config';
import { engineConfigFrom } from '../../src/ops/engine-config';
import { createOpsServer, type OpsServer } from '../../src/ops/http';
import type { Logger } from '../../src/ops/logger';
import { createMetrics } from '../../src/ops/metrics';
import { createDecisionStage } from '../../src/pipeline/decide';
import { createDecisionEngine, createPolicies, loadPolicyModule } from '../../src/policies';
import { createVerifier } from '../../src/verify';

export interface RunningProcessor {
  runner: Runner;
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
  const engine = engineConfigFrom(config);
  const admin = createKafka(config.kafka, logger).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topicSpecs(config.topics));
  } finally {
    await admin.disconnect();
  }
  const metrics = createMetrics();
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

  const dashboard = createDashboard({ logger, ...dashboardOptions });
  // Effective modes: --mode, else the control plane's (restored with the state), else the config's.
  const modesNow = () =>
    Object.fromEntries(
      decisionEngine.policies.map((p) => [p.name, decisionEngine.modeOf(stage.state().engine, p.name)]),
    );

  const resolver = createRegistryResolver(config.registry);
  const extension = await createConfiguredDecisionExtension(config, {
    stage,
    resolver,
    logger,
    metrics,
    onOutputs: (finals, commands, decisions) => dashboard.onOutputs(finals, commands, decisions),
  });
  await extension.restore();
  const modes = modesNow();
  dashboard.setPolicies(
    decisionEngine.policies.map((p) => ({ name: p.name, type: p.type, version: p.version, mode: modes[p.name] })),
  );
  const control: ControlReader = createConfiguredControlReader(config, {
    logger,
    metrics,
    onControl: (r) => {
      extension.applyControl(r);
      dashboard.setModes(modesNow());
    },
  });
  const runner = createRunner({
    extension,
    config,
    engine,
    limits: config.limits,
    resolver,
    logger,
    metrics,
    maxAheadMs: config.runner.maxAheadMs,
  });
  const http = createOpsServer({
    port: 0,
    host: '127.0.0.1',
    metrics,
    logger,
    readiness: () => ({ ready: runner.ready(), reasons: [] }),
    routes: dashboard.routes,
  });
  const { port } = await http.start();
  await control.start();
  await runner.start();
  let stopped: Promise<void> | undefined;
  return {
    runner,
    dashboard,
    http,
    port,
    stop() {
      stopped ??= (async () => {
        await runner.stop();
        await control.stop();
        dashboard.close();
        await http.stop();
      })();
      return stopped;
    },
  };
}
