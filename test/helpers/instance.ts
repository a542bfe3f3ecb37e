/**
 * Broker instances of their own for the fault tests: `scripts/services.sh start-instance`
 * runs a single-node KRaft broker from the shared broker's cached jars, with its own data
 * under .services/instances/<name>, so a test can stop, kill or lock down its broker without
 * touching the shared one every other test run uses. Calls are asynchronous on purpose: an
 * in-process processor keeps running (and retrying) while its broker restarts.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { HomeostatError } from '../../src/errors';
import { kafkaSchema, type KafkaConfig } from '../../src/config/kafka-schema';
import { SERVICES_SCRIPT } from './services';

/** Env var naming the process that owns the instances of a test run (set by the faults tier's globalSetup). */
export const INSTANCE_OWNER_ENV = 'HOMEOSTAT_INSTANCE_OWNER';

export interface InstanceOptions {
  /** Client port; a free one by default. */
  port?: number;
  /** KRaft controller port; a free one by default. */
  controllerPort?: number;
  /** `scram`: the only client listener is SASL_PLAINTEXT with SCRAM-SHA-256/512. */
  sasl?: 'scram';
}

export interface SaslCredentials {
  mechanisms: string[];
  username: string;
  password: string;
  passwordFile: string;
}

export interface BrokerInstance {
  name: string;
  brokers: string[];
  port: number;
  controllerPort: number;
  sasl?: SaslCredentials;
  /** The project's Kafka config for this broker (SASL included for a SCRAM instance), for createKafka / kafkaJsConfig. */
  kafkaConfig(overrides?: Partial<KafkaConfig>): KafkaConfig;
}

const known = new Map<string, BrokerInstance>();

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

function services(args: string[]): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SERVICES_SCRIPT, ...args], {
      cwd: dirname(dirname(SERVICES_SCRIPT)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function servicesOrThrow(args: string[]): Promise<string> {
  const r = await services(args);
  if (r.code !== 0) {
    throw new HomeostatError(
      'PREREQUISITE_MISSING',
      `bash scripts/services.sh ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr.trim()}`,
    );
  }
  return r.stdout;
}

function parseLines(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match !== null) m.set(match[1], match[2]);
  }
  return m;
}

/** Starts (or resumes, with its data) the instance `name`; resolves once it serves clients. */
export async function startInstance(name: string, opts: InstanceOptions = {}): Promise<BrokerInstance> {
  const before = known.get(name);
  const port = opts.port ?? before?.port ?? (await freePort());
  let controllerPort = opts.controllerPort ?? before?.controllerPort ?? (await freePort());
  while (controllerPort === port) controllerPort = await freePort();
  const args = ['start-instance', name, '--port', String(port), '--controller-port', String(controllerPort)];
  if (opts.sasl ?? before?.sasl) args.push('--sasl', 'scram');
  const owner = process.env[INSTANCE_OWNER_ENV];
  if (owner !== undefined) args.push('--owner', owner);
  const out = parseLines(await servicesOrThrow(args));
  const brokers = (out.get('KAFKA_BROKERS') ?? `127.0.0.1:${port}`).split(',');
  let sasl: SaslCredentials | undefined;
  const passwordFile = out.get('KAFKA_SASL_PASSWORD_FILE');
  if (passwordFile !== undefined) {
    sasl = {
      mechanisms: (out.get('KAFKA_SASL_MECHANISMS') ?? '').split(','),
      username: out.get('KAFKA_SASL_USERNAME') ?? '',
      password: readFileSync(passwordFile, 'utf8').trim(),
      passwordFile,
    };
  }
  const instance: BrokerInstance = {
    name,
    brokers,
    port,
    controllerPort,
    sasl,
    kafkaConfig: (overrides = {}) =>
      kafkaSchema.parse({
        brokers,
        clientId: `faults-${name}`,
        ...(sasl ? { sasl: { mechanism: 'scram-sha-256', username: sasl.username, password: sasl.password } } : {}),
        ...overrides,
      }),
  };
  known.set(name, instance);
  return instance;
}

export interface StopOptions {
  /** SIGKILL instead of SIGTERM: the broker crashes (no clean shutdown, log recovery on restart). */
  kill?: boolean;
  /** Delete its data too (default true): a stopped-for-good instance leaves nothing behind. */
  purge?: boolean;
}

export async function stopInstance(name: string, opts: StopOptions = {}): Promise<void> {
  const args = ['stop-instance', name];
  if (opts.kill) args.push('--kill');
  if (opts.purge ?? true) {
    args.push('--purge');
    known.delete(name);
  }
  await servicesOrThrow(args);
}

export interface RestartOptions {
  /** SIGKILL instead of SIGTERM. */
  kill?: boolean;
  /** How long the broker stays down before it is started again, ms (default 0). */
  downMs?: number;
}

/** Stops the instance (data kept) and starts it again on the same ports. */
export async function restartInstance(name: string, opts: RestartOptions = {}): Promise<BrokerInstance> {
  await stopInstance(name, { kill: opts.kill, purge: false });
  if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
  return startInstance(name);
}

/** Stops and deletes every instance owned by `owner` (a test run's pid), or whose owner has exited. */
export async function stopInstances(which: { owner: string } | 'orphans'): Promise<void> {
  await servicesOrThrow(
    which === 'orphans' ? ['stop-instances', '--orphans'] : ['stop-instances', '--owner', which.owner],
  );
}
