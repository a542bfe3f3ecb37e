import type { Command } from 'commander';
import { parseKeyring, SIGNING_KEY_ENV, VERIFY_KEYS_ENV, type Keyring } from '../actions';
import { HomeostatError } from '../errors';
import {
  createDemoWorker,
  isReferenceExecutorName,
  REFERENCE_EXECUTORS,
  runReferenceExecutor,
  type ReferenceExecutorOptions,
} from '../executor';
import { httpAuthToken, loadConfig, type HomeostatConfig } from '../config/homeostat-config';
import { createLogger, type Logger } from '../ops/logger';
import { createMetrics, type HomeostatMetrics } from '../ops/metrics';
import { createOpsServer } from '../ops/http';
import { addConnectionOptions, type ConnectionOptions } from './options';

interface ExecutorCliOptions extends ConnectionOptions {
  maxClockSkewMs: string;
  maxLeaseMs: string;
  audience?: string;
  targets?: string;
  groupId?: string;
  fromBeginning?: boolean;
  urlTemplate?: string;
  url: string[];
  clientConfigTopic?: string;
  entityType?: 'client-id' | 'user';
  entity: string[];
  consumerByteRate?: boolean;
  httpPort?: string;
}

interface WorkerCliOptions extends ConnectionOptions {
  port: string;
  capacity: string;
  defaultTimeoutMs: string;
  source?: string;
  telemetry: boolean;
}

const collect = (v: string, list: string[]): string[] => [...list, v];

/** A comma-separated list, trimmed, without empty names; undefined when the flag is absent or empty. */
function commaList(value: string | undefined): string[] | undefined {
  return value
    ? value
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean)
    : undefined;
}

function pairs(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const i = p.indexOf('=');
    if (i <= 0) throw new HomeostatError('USAGE', `${flag} takes name=value, got '${p}'`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/**
 * Verification keys: HOMEOSTAT_VERIFY_KEYS (`id=base64:<Ed25519 public key>,id2=…`), the
 * processor's public keys only. An executor without one refuses to start (it would reject
 * every command); it never reads the processor's private key, which would let it sign.
 */
function keyring(logger: Logger): Keyring {
  if (process.env[SIGNING_KEY_ENV]) {
    logger.warn(
      `${SIGNING_KEY_ENV} is set in an executor's environment and ignored: ` +
        `executors need only the processor's public key (${VERIFY_KEYS_ENV}); keep the private key with the processor`,
    );
  }
  const spec = process.env[VERIFY_KEYS_ENV];
  if (spec) return parseKeyring(spec, VERIFY_KEYS_ENV);
  throw new HomeostatError(
    'CONFIG_INVALID',
    `no verification key: set ${VERIFY_KEYS_ENV}=<key id>=base64:<the processor's Ed25519 public key> ` +
      '(the processor logs it; homeostat keys makes a pair)',
  );
}

/** `homeostat executor <name>` and `homeostat worker`. */
export function registerExecutorCommand(program: Command): void {
  registerReferenceExecutor(program);
  registerDemoWorker(program);
}

/** `homeostat executor <name>`: a reference executor with its ops server. */
function registerReferenceExecutor(program: Command): void {
  addConnectionOptions(
    program
      .command('executor <name>')
      .description(
        `run a reference executor: ${REFERENCE_EXECUTORS.join(', ')} (verifies signatures, leases, de-duplicates, reports results)`,
      )
      .option('--max-clock-skew-ms <ms>', 'tolerance between the processor clock and ours when judging expiry', '5000')
      .option('--max-lease-ms <ms>', 'refuse a command whose lease (expiresAt − issuedAt) is longer', '900000')
      .option(
        '--audience <list>',
        'comma-separated audiences to apply commands for (default: the command families this executor handles)',
      )
      .option('--targets <list>', 'comma-separated allow-list of targets (default: any)')
      .option('--group-id <id>', 'consumer group (default homeostat-executor-<name>)')
      .option('--from-beginning', 'read the actions topic from its start on the first run')
      .option(
        '--url-template <t>',
        'query-timeout: admin URL per target, {target} is replaced; only after the host (default: none, only --url targets)',
      )
      .option('--url <target=url>', 'query-timeout: admin URL of one target (repeatable)', collect, [])
      .option(
        '--client-config-topic <topic>',
        'retry-policy: compacted topic the client library follows',
        'homeostat.client-config',
      )
      .option('--entity-type <type>', 'kafka-quota: client-id or user', 'client-id')
      .option(
        '--entity <tenant=name>',
        'kafka-quota: the client id or user of a tenant (repeatable); a tenant without one is refused',
        collect,
        [],
      )
      .option('--consumer-byte-rate', 'kafka-quota: also set consumer_byte_rate')
      .option('--http-port <port>', 'port of /metrics, /healthz and /readyz (0 picks one)', '9465'),
  ).action(runExecutorCommand);
}

/** Runs a reference executor until SIGTERM or SIGINT. */
async function runExecutorCommand(name: string, opts: ExecutorCliOptions): Promise<void> {
  if (!isReferenceExecutorName(name))
    throw new HomeostatError('USAGE', `unknown executor '${name}'; choose one of ${REFERENCE_EXECUTORS.join(', ')}`);
  const config = loadConfig({ file: opts.config, brokers: opts.brokers, registry: opts.registry });
  const logger = createLogger({ level: config.log.level, name: `executor-${name}` });
  const metrics = createMetrics({ defaultMetrics: true });
  const options = referenceOptions(opts, config, logger, metrics);
  const executor = await runReferenceExecutor(name, options);
  const http = createOpsServer({
    port: Number(opts.httpPort),
    host: config.http.host,
    authToken: httpAuthToken(config),
    metrics,
    logger,
    readiness: () => ({
      ready: executor.ready(),
      reasons: executor.ready() ? [] : [`executor is ${executor.status()}`],
    }),
  });
  await http.start();
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      logger.info('stopping: finishing the command in flight; leases stay applied until they lapse or are reverted');
      void executor
        .stop()
        .then(() => http.stop())
        .then(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

/** The reference executor's options from the command line and the configuration. */
function referenceOptions(
  opts: ExecutorCliOptions,
  config: HomeostatConfig,
  logger: Logger,
  metrics: HomeostatMetrics,
): ReferenceExecutorOptions {
  const skew = Number(opts.maxClockSkewMs);
  if (!(skew >= 0))
    throw new HomeostatError('USAGE', `--max-clock-skew-ms must be a number of ms ≥ 0, got '${opts.maxClockSkewMs}'`);
  const maxLeaseMs = Number(opts.maxLeaseMs);
  if (!(maxLeaseMs > 0))
    throw new HomeostatError('USAGE', `--max-lease-ms must be a number of ms > 0, got '${opts.maxLeaseMs}'`);
  return {
    kafka: config.kafka,
    topics: { actions: config.topics.actions, actionResults: config.topics.actionResults },
    registry: config.actions.format === 'avro' ? config.registry : undefined,
    keyring: keyring(logger),
    maxClockSkewMs: skew,
    maxLeaseMs,
    audiences: commaList(opts.audience),
    targets: commaList(opts.targets),
    groupId: opts.groupId,
    fromBeginning: opts.fromBeginning ?? false,
    logger,
    metrics,
    queryTimeout: { urlTemplate: opts.urlTemplate, urls: pairs(opts.url, '--url') },
    retryPolicy: { topic: opts.clientConfigTopic },
    kafkaQuota: {
      entityType: opts.entityType,
      entities: pairs(opts.entity, '--entity'),
      consumerByteRate: opts.consumerByteRate ?? false,
    },
  };
}

/** `homeostat worker`: the demo worker service. */
function registerDemoWorker(program: Command): void {
  addConnectionOptions(
    program
      .command('worker')
      .description(
        'run the demo worker service: simulated queries with a hidden capacity, ' +
          'an admin endpoint for query timeouts, and its own telemetry',
      )
      .option('--port <port>', 'HTTP port', '8080')
      .option('--capacity <n>', 'queries of cost 1 it completes per second', '200')
      .option('--default-timeout-ms <ms>', 'query timeout until an executor changes it', '30000')
      .option('--source <id>', 'its source id in telemetry (default: worker-<port>)')
      .option('--no-telemetry', 'do not publish telemetry to Kafka'),
  ).action(runWorkerCommand);
}

/** Runs the demo worker until SIGTERM or SIGINT. */
async function runWorkerCommand(opts: WorkerCliOptions): Promise<void> {
  const config = loadConfig({ file: opts.config, brokers: opts.brokers, registry: opts.registry });
  const logger = createLogger({ level: config.log.level, name: 'demo-worker' });
  const worker = createDemoWorker({
    port: Number(opts.port),
    host: '0.0.0.0',
    capacityPerSec: Number(opts.capacity),
    defaultTimeoutMs: Number(opts.defaultTimeoutMs),
    telemetry: opts.telemetry
      ? { kafka: config.kafka, topic: config.topics.telemetry, source: opts.source }
      : undefined,
    logger,
  });
  await worker.start();
  logger.info({ url: worker.url() }, 'demo worker serving');
  await new Promise<void>((resolve) => {
    const onSignal = (): void => void worker.stop().then(resolve);
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
