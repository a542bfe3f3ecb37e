/**
 * Black box through the CLI, real broker: `homeostat run --mode enforce --actions-format json`
 * with JSON telemetry of an overloaded worker writes a signed `query_timeout.set` for that
 * worker soon after event time passes the window; SIGKILL and restart mid-stream leave no
 * duplicate command ids visible to a read_committed consumer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { verifyCommand } from '../../src/actions';
import { createRecordCodec, encodeTelemetryJson } from '../../src/codec';
import type { Command } from '../../src/model/command';
import { produce, randomName, readTopic, testKafka, waitFor } from '../helpers/kafka';
import { brokers, registryUrl } from '../helpers/services';

const BIN = resolve(__dirname, '..', '..', 'bin', 'homeostat.js');
const WINDOW = 1000;
const GRACE = 200;
const KEY = Buffer.alloc(32, 7);

function writeConfig(dir: string, prefix: string): string {
  const file = join(dir, 'homeostat.yaml');
  const topics = Object.fromEntries(
    ['telemetry', 'dlq', 'signals', 'decisions', 'actions', 'actionResults', 'outcomes', 'control', 'state'].map((t) => [t, `${prefix}.${t}`]),
  );
  writeFileSync(
    file,
    stringify({
      // A short session: a SIGKILLed member is noticed in 6 s (the broker's minimum) instead of 30 s.
      kafka: { groupId: randomName('grp'), transactionalIdPrefix: randomName('tx'), sessionTimeoutMs: 6000, heartbeatIntervalMs: 600 },
      topics: { ...topics, telemetryPartitions: 2 },
      engine: { window: { sizeMs: WINDOW, graceMs: GRACE }, allowedOutOfOrdernessMs: 200, idleAfterMs: 2000 },
      http: { enabled: false },
      signing: { keyId: 'test-key' },
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

function startProcessor(config: string, log: string): ChildProcess {
  const out = openSync(log, 'a');
  return spawn(process.execPath, [BIN, 'run', '--config', config, '--mode', 'enforce', '--actions-format', 'json', '--brokers', brokers().join(','), '--registry', registryUrl()], {
    env: { ...process.env, HOMEOSTAT_SIGNING_KEY: `base64:${KEY.toString('base64')}`, HOMEOSTAT_LOG_LEVEL: 'info' },
    stdio: ['ignore', out, out],
  });
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await exited;
}

/** Produces queue.depth samples of an overloaded worker, every 100 ms of event time = wall time. */
async function overload(topic: string, worker: string, ms: number): Promise<number> {
  const until = Date.now() + ms;
  let last = 0;
  while (Date.now() < until) {
    last = Date.now();
    await produce(topic, [{ key: worker, value: encodeTelemetryJson({ ts: last, source: worker, metric: 'queue.depth', value: 120, tags: {} }) }]);
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

describe('homeostat run (CLI, real broker)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-cli-'));
  const prefix = randomName('cli');
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) await stop(c, 'SIGKILL');
  });

  test('an overloaded worker gets a signed query_timeout.set; a SIGKILL restart duplicates no command', async () => {
    const config = writeConfig(dir, prefix);
    const log = join(dir, 'processor.log');
    const first = startProcessor(config, log);
    children.push(first);
    // The processor creates its topics; wait until they exist before producing.
    const admin = testKafka().admin();
    await admin.connect();
    try {
      expect(await waitFor(async () => (await admin.listTopics()).includes(`${prefix}.actions`), 60_000, 250)).toBe(true);
    } finally {
      await admin.disconnect();
    }
    const codec = createRecordCodec('command');
    const seen: { cmd: Command; at: number }[] = [];
    const consumer = testKafka().consumer({ groupId: randomName('watch'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}.actions`, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        seen.push({ cmd: codec.decodeJson(message.value!), at: Date.now() });
        return Promise.resolve();
      },
    });
    try {
      await overload(`${prefix}.telemetry`, 'worker-7', 7000);
      expect(await waitFor(() => seen.length > 0, 20_000)).toBe(true);
      const { cmd, at } = seen[0];
      expect(cmd.type).toBe('query_timeout.set');
      expect(cmd.target).toBe('worker-7');
      expect(cmd.mode).toBe('enforce');
      expect(cmd.params.timeoutMs).toBeLessThan(8000);
      expect(cmd.keyId).toBe('test-key');
      expect(verifyCommand(cmd, { 'test-key': KEY })).toEqual({ ok: true });
      // Event time ≈ wall time here: the window closes once the watermark passes its end + grace.
      const due = cmd.windowEnd + GRACE + 200;
      expect(at - due).toBeLessThanOrEqual(WINDOW + GRACE + 1000);

      // Kill without a chance to drain, restart, and keep the worker overloaded.
      const beforeKill = seen.length;
      await stop(first, 'SIGKILL');
      const second = startProcessor(config, log);
      children.push(second);
      await overload(`${prefix}.telemetry`, 'worker-7', 10_000);
      // The restarted processor carries on: it renews or deepens the cut.
      expect(await waitFor(() => seen.length > beforeKill, 20_000)).toBe(true);
      await stop(second, 'SIGTERM');
      expect(second.exitCode).toBe(0);
    } finally {
      await consumer.disconnect();
    }
    const all = await readTopic(`${prefix}.actions`, seen.length, 15_000);
    const ids = all.map((m) => codec.decodeJson(m.value!).id);
    expect(ids.length).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
