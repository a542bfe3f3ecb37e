/** Helpers for black-box tests of the `homeostat` CLI against the real broker. */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { encodeTelemetryJson } from '../../src/codec';
import { produce, randomName, testKafka, waitFor } from './kafka';
import { topicNames } from './topic-names';
import { seedText, testKeyring, testSigningKey } from './keys';
import { brokers, registryUrl } from './services';
import { OPERATOR_ENV, operatorControlConfig } from './operator-key';

export const BIN = resolve(__dirname, '..', '..', 'bin', 'homeostat.js');
export const WINDOW = 1000;
export const GRACE = 200;
/** The processor's signing key in CLI tests: HOMEOSTAT_SIGNING_KEY is KEY_SEED, key id `test-key`. */
export const KEY_SEED = seedText(7);
export const SIGNING = testSigningKey('test-key', 7);
/** What an executor or a test verifies the CLI processor's commands with. */
export const KEYRING = testKeyring(SIGNING);

/** `overrides`: top-level sections merged over these (e.g. `{ runner: { scaleOut: true } }`, `{ kafka: { groupId } }`). */
export function writeConfig(
  dir: string,
  prefix: string,
  overrides: { name?: string; kafka?: Record<string, unknown>; runner?: Record<string, unknown> } = {},
): string {
  const file = join(dir, overrides.name ?? 'homeostat.yaml');
  const topics = topicNames(prefix);
  writeFileSync(
    file,
    stringify({
      // A short session: a SIGKILLed member is noticed in 6 s (the broker's minimum) instead of 30 s.
      kafka: {
        groupId: randomName('grp'),
        transactionalIdPrefix: randomName('tx'),
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 600,
        ...overrides.kafka,
      },
      ...(overrides.runner ? { runner: overrides.runner } : {}),
      topics: { ...topics, telemetryPartitions: 2 },
      engine: { window: { sizeMs: WINDOW, graceMs: GRACE }, allowedOutOfOrdernessMs: 200, idleAfterMs: 2000 },
      http: { enabled: false },
      signing: { keyId: 'test-key' },
      control: operatorControlConfig(),
      // `homeostat run --mode enforce` needs a fleet size; these tests count the workers they produce.
      guardrails: { blastRadius: { fleetSize: 'observed' } },
      policies: [
        {
          name: 'timeouts',
          type: 'adaptive-timeout',
          select: { metric: 'queue.depth' },
          parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 }, defaultTimeoutMs: 8000, overloadWindows: 3 },
        },
      ],
    }),
  );
  return file;
}

export function startProcessor(config: string, log: string): ChildProcess {
  const out = openSync(log, 'a');
  return spawn(
    process.execPath,
    [
      BIN,
      'run',
      '--config',
      config,
      '--mode',
      'enforce',
      '--actions-format',
      'json',
      '--brokers',
      brokers().join(','),
      '--registry',
      registryUrl(),
    ],
    {
      env: { ...process.env, HOMEOSTAT_SIGNING_KEY: KEY_SEED, HOMEOSTAT_LOG_LEVEL: 'info' },
      stdio: ['ignore', out, out],
    },
  );
}

export async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await exited;
}

/** Produces queue.depth samples of an overloaded worker, every 100 ms of event time = wall time. */
export async function overload(topic: string, worker: string, ms: number): Promise<number> {
  const until = Date.now() + ms;
  let last = 0;
  while (Date.now() < until) {
    last = Date.now();
    await produce(topic, [
      {
        key: worker,
        value: encodeTelemetryJson({ ts: last, source: worker, metric: 'queue.depth', value: 120, tags: {} }),
      },
    ]);
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

/** Waits until the processor has created its topics. */
export async function waitForTopic(topic: string): Promise<boolean> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return await waitFor(async () => (await admin.listTopics()).includes(topic), 60_000, 250);
  } finally {
    await admin.disconnect();
  }
}

/** Runs `homeostat <args>` to completion (control records signed by the test operator); resolves with its exit code and output. */
export function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; elapsedMs: number }> {
  const started = Date.now();
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...OPERATOR_ENV },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => res({ code: code ?? -1, stdout, stderr, elapsedMs: Date.now() - started }));
  });
}
