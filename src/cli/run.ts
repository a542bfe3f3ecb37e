import type { Command } from 'commander';
import { loadConfig, type HomeostatConfig } from '../config/homeostat-config';
import { engineConfigFrom } from '../config/resolve-engine';
import { requireFleetSizes } from '../config/fleet-size';
import { buildProcessor } from '../compose/processor';
import { announcePolicies, warnIssuedAtAhead } from '../compose/startup-notes';
import { createLogger, type Logger } from '../ops/logger';
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
      .option('--instance <id>', 'a name for this process, on each of its log lines')
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
export async function runProcessor(config: HomeostatConfig, base: Logger, instanceId?: string): Promise<void> {
  const logger = instanceId === undefined ? base : base.child({ instance: instanceId });
  requireFleetSizes(config);
  warnIssuedAtAhead(config, logger);
  /** Set below: stops the processor because it cannot go on (exit status 1). */
  let shutdown: ((err: Error) => void) | undefined;
  const processor = await buildProcessor(config, { logger, onFatal: (err) => shutdown?.(err) });
  announcePolicies(config, processor.decisions, logger);
  logger.info(
    {
      brokers: config.kafka.brokers,
      telemetry: config.topics.telemetry,
      outputs: config.actions.format,
      registry: config.actions.format === 'avro' ? config.registry.url : undefined,
      window: engineConfigFrom(config).window,
    },
    'starting the processor',
  );
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
      void processor.stop().then(() => resolve());
    };
    shutdown = (err) => {
      process.exitCode = 1;
      process.stderr.write(`homeostat: ${err.message}\n`);
      onSignal('fatal');
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await processor.start();
  await stopped;
  // Drained and committed. A Kafka client abandoned mid-retry (the control consumer stuck
  // rejoining a restarted broker) must not keep the process alive until the shutdown timer
  // turns a clean stop into exit code 1.
  setTimeout(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0), 1_000).unref();
}
