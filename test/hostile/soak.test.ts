/**
 * The hostile-producer soak on the real broker: honest telemetry from six workers (one of
 * them overloaded, so the policy issues commands) beside a producer sending random and
 * crafted records — event time ahead of the log, huge fields, records over the size bound,
 * records in a gzip batch that inflate about 1,000x, a gzip batch past the client's inflation
 * bound, a ZSTD batch (a codec the client lacks; written by kcat), malformed JSON and random bytes, unsigned and malformed
 * commands to the actions topic (among them one with "NaN" in its evidence, which once made
 * verification throw and stalled the executor), forged control records. Run twice, without and with the
 * hostile producer: the honest signals and the commands must be byte-identical, the
 * processor never stuck (every record consumed), the accounting whole, memory bounded, and
 * an executor on the actions topic — the hostile commands written ahead of the honest ones
 * in the same partition — reaches a verdict on every honest command.
 *
 * Figures (records tried per kind, max heap, max event-loop stall) are reported as the test's
 * figures (test/helpers/figures.ts); with HOSTILE_SOAK_RECORD=1 the run is also recorded as
 * bench/results/hostile-soak/<ISO time>.json. HOSTILE_SOAK_SECONDS scales the run, default
 * 30 s of event time — about a minute per pass on two loaded cores.
 */
import { seedText, testKeyring, testSigningKey } from '../helpers/keys';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CompressionTypes, type Message } from 'kafkajs';
import { createRecordCodec, encodeTelemetryJson } from '../../src/codec';
import type { ControlRecord } from '../../src/codec/records';
import { signControl } from '../../src/guardrails/control-signature';
import { generateEd25519 } from '../../src/actions/ed25519';
import { createExecutor } from '../../src/executor';
import { loadConfig, type HomeostatConfig } from '../../src/config/homeostat-config';
import { createLogger } from '../../src/ops/logger';
import { startProcessor } from '../helpers/processor';
import { OPERATOR_ENV, operatorControlConfig } from '../helpers/operator-key';
import { randomName, readTopic, testKafka, waitFor } from '../helpers/kafka';
import { brokers } from '../helpers/services';
import { reportFigures } from '../helpers/figures';
import { kcatBatch } from '../helpers/kcat';
import { topicNames } from '../helpers/topic-names';
import { writeResult } from '../../bench/lib/results';

const SECONDS = Number(process.env.HOSTILE_SOAK_SECONDS ?? 30);
const T0 = Math.floor(Date.now() / 1000) * 1000 - (SECONDS + 30) * 1000;
const WORKERS = 6;

function honest(): Message[] {
  const out: Message[] = [];
  for (let s = 0; s < SECONDS; s++) {
    for (let tick = 0; tick < 5; tick++) {
      const ts = T0 + s * 1000 + tick * 200;
      for (let w = 0; w < WORKERS; w++) {
        const value = w === 0 ? 120 : 5 + ((s + tick + w) % 7);
        out.push({
          key: `worker-${w}`,
          partition: w % 2,
          value: encodeTelemetryJson({ ts, source: `worker-${w}`, metric: 'queue.depth', value, tags: {} }),
        });
      }
    }
  }
  return out;
}

/** Deterministic pseudo-random bytes, so a failing run can be repeated. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

interface Hostile {
  telemetry: Message[];
  bombs: Message[];
  bombBatch: Message[];
  /** Lines kcat writes to partition 1 as one ZSTD batch. */
  zstd: string[];
  actions: Message[];
  control: Message[];
  tried: Record<string, number>;
}

function hostile(): Hostile {
  const rnd = prng(18);
  const now = Date.now();
  const telemetry: Message[] = [];
  const tried: Record<string, number> = {};
  const add = (kind: string, m: Message): void => {
    telemetry.push(m);
    tried[kind] = (tried[kind] ?? 0) + 1;
  };
  for (let s = 0; s < SECONDS; s++) {
    const ts = T0 + s * 1000;
    const partition = s % 2;
    add('future-ts', {
      partition,
      value: encodeTelemetryJson({ ts: ts + 294_000, source: 'evil', metric: 'queue.depth', value: 1, tags: {} }),
    });
    add('future-createtime', {
      partition,
      timestamp: String(now + 294_000),
      value: encodeTelemetryJson({ ts: now + 294_000, source: 'evil', metric: 'queue.depth', value: 1, tags: {} }),
    });
    add('huge-field', {
      partition,
      value: encodeTelemetryJson({ ts, source: 'e'.repeat(60_000), metric: 'queue.depth', value: 1, tags: {} }),
    });
    add('over-size', {
      partition,
      value: Buffer.concat([Buffer.from('{"ts":'), Buffer.alloc(200_000, 0x31), Buffer.from('}')]),
    });
    add('malformed-json', { partition, value: Buffer.from(`{"ts":${ts},"source":"evil","metric":`) });
    add('random-bytes', {
      partition,
      value: Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 2000) }, () => Math.floor(rnd() * 256))),
    });
    add('proto-keys', {
      partition,
      value: Buffer.from(`{"ts":${ts},"source":"evil","metric":"m","value":1,"tags":{"__proto__":"x"}}`),
    });
    add('nan-value', {
      partition,
      value: Buffer.from(`{"ts":${ts},"source":"evil","metric":"m","value":"NaN","tags":{}}`),
    });
  }
  // Records of 800 KB that gzip to under 1 KB each: far over the record bound once inflated, dead-lettered (under the DLQ limit, so whole).
  const bombs: Message[] = [];
  for (let i = 0; i < Math.max(2, SECONDS / 10); i++)
    bombs.push({ partition: i % 2, value: Buffer.alloc(800_000, 0x20) });
  tried['gzip-bomb'] = bombs.length;
  // A batch built past the client's inflation bound (4 x 4 MB of spaces: ~16 KB on the wire,
  // 16 MB inflated), dead-lettered whole; and a ZSTD batch (a codec the client lacks), by kcat.
  const bombBatch: Message[] = [0, 1, 2, 3].map(() => ({ partition: 1, value: Buffer.alloc(4_000_000, 0x20) }));
  tried['gzip-bomb-batch'] = bombBatch.length;
  const zstd = [0, 1, 2].map((i) =>
    JSON.stringify({ ts: now - 60_000, source: `zstd-${i}`, metric: 'm', value: 1, tags: { pad: 'x'.repeat(500) } }),
  );
  tried['zstd-batch'] = zstd.length;
  const actions: Message[] = [];
  for (let i = 0; i < SECONDS; i++) {
    // Keyed as the honest commands (target worker-0): the same partition, read before them.
    actions.push({
      key: 'worker-0',
      value: Buffer.from(
        JSON.stringify({
          id: `forged-${i}`,
          type: 'query_timeout.set',
          target: 'worker-0',
          params: { timeoutMs: 1 },
          issuedAt: now,
          expiresAt: now + 60_000,
          evidence: [],
        }),
      ),
    });
    actions.push({ key: 'worker-0', value: Buffer.from(Array.from({ length: 64 }, () => Math.floor(rnd() * 256))) });
    // A "signed-looking" command whose evidence canonical JSON cannot encode: it once made verification throw.
    const nan = `{"id":"nan-${i}","type":"query_timeout.set","target":"worker-0","params":{"timeoutMs":1},"issuedAt":${now},`;
    actions.push({
      key: 'worker-0',
      value: Buffer.from(
        `${nan}"expiresAt":${now + 60_000},"evidence":[{"value":"NaN"}],"keyId":"soak","signature":"AA=="}`,
      ),
    });
  }
  tried['actions-unsigned-or-malformed'] = actions.length;
  const intruder = generateEd25519();
  const codec = createRecordCodec('control');
  const control: Message[] = [];
  for (let i = 0; i < SECONDS; i++) {
    const rec: ControlRecord = {
      kind: i % 2 ? 'mode' : 'kill',
      policy: null,
      target: null,
      mode: i % 2 ? 'shadow' : null,
      issuedBy: 'evil',
      issuedAt: now + i,
      reason: '',
      keyId: null,
      signature: null,
    };
    control.push({ key: 'kill', value: codec.encodeJson(rec) });
    control.push({
      key: 'kill',
      value: codec.encodeJson(signControl(rec, OPERATOR_ENV.HOMEOSTAT_CONTROL_KEY_ID, intruder.privateKey)),
    });
  }
  tried['control-forgeries'] = control.length;
  return { telemetry, bombs, bombBatch, zstd, actions, control, tried };
}

function configFor(prefix: string): HomeostatConfig {
  const topics = topicNames(prefix);
  return loadConfig({
    env: {},
    overrides: {
      kafka: { brokers: brokers(), groupId: randomName('grp'), transactionalIdPrefix: randomName('tx') },
      topics: { ...topics, telemetryPartitions: 2 },
      engine: { window: { sizeMs: 1000, graceMs: 200 }, allowedOutOfOrdernessMs: 200, idleAfterMs: 'never' },
      mode: 'enforce',
      actions: { format: 'json' },
      signing: { keyId: 'soak' },
      control: operatorControlConfig(),
      http: { enabled: false },
      log: { level: 'silent' },
      policies: [
        {
          name: 'timeouts',
          type: 'adaptive-timeout',
          select: { metric: 'queue.depth' },
          parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 }, defaultTimeoutMs: 8000, overloadWindows: 3 },
        },
      ],
    },
  });
}

interface RunResult {
  signals: string[];
  commands: string[];
  consumed: number;
  deadLettered: number;
  maxHeapBytes: number;
  maxEventLoopStallMs: number;
  ms: number;
}

const SIGNING_KEY = testSigningKey('soak', 5);

async function run(withHostile: boolean): Promise<RunResult & { tried?: Record<string, number> }> {
  const config = configFor(randomName(withHostile ? 'soak-h' : 'soak-b'));
  process.env.HOMEOSTAT_SIGNING_KEY = seedText(5);
  const started = Date.now();
  const h = withHostile ? hostile() : undefined;
  const proc = await startProcessor(config, createLogger({ level: 'silent' }));
  const producer = testKafka().producer();
  await producer.connect();
  // The hostile commands go out first, so that the executor meets them before the honest ones.
  if (h) await producer.send({ topic: config.topics.actions, messages: h.actions });
  const executor = createExecutor({
    name: randomName('soak-exec'),
    kafka: config.kafka,
    topics: { actions: config.topics.actions, actionResults: config.topics.actionResults },
    types: ['query_timeout.set', 'query_timeout.revert'],
    keyring: testKeyring(SIGNING_KEY),
    maxClockSkewMs: 5_000,
    apply: () => Promise.resolve({ previous: { timeoutMs: '8000' } }),
    revert: () => Promise.resolve({ detail: 'restored' }),
    fromBeginning: true,
    leaseCheckIntervalMs: 200,
  });
  await executor.start();
  const stall = monitorEventLoopDelay({ resolution: 10 });
  stall.enable();
  let maxHeap = 0;
  const sampler = setInterval(() => (maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed)), 50);
  const records = honest();
  let expected = records.length;
  try {
    // Interleave: the hostile records of each second go right after the honest ones.
    const perSecond = records.length / SECONDS;
    const hostilePerSecond = h ? h.telemetry.length / SECONDS : 0;
    for (let s = 0; s < SECONDS; s++) {
      const batch = records.slice(s * perSecond, (s + 1) * perSecond);
      if (h) batch.push(...h.telemetry.slice(s * hostilePerSecond, (s + 1) * hostilePerSecond));
      await producer.send({ topic: config.topics.telemetry, messages: batch });
    }
    if (h) {
      expected += h.telemetry.length + h.bombs.length + h.bombBatch.length + h.zstd.length;
      await producer.send({ topic: config.topics.telemetry, compression: CompressionTypes.GZIP, messages: h.bombs });
      await producer.send({
        topic: config.topics.telemetry,
        compression: CompressionTypes.GZIP,
        messages: h.bombBatch,
      });
      kcatBatch(config.topics.telemetry, 1, 'zstd', h.zstd);
      await producer.send({ topic: config.topics.control, messages: h.control });
    }
    // Never stuck: every record is consumed (and the accounting adds up).
    expect(await waitFor(() => proc.runner.counters().consumed >= expected, 90_000, 50)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    const c = proc.runner.counters();
    expect(c.consumed).toBe(c.aggregated + c.late + c.deadLettered);
    expect(c.consumed).toBe(expected);
    await proc.stop();
    const signalCodec = createRecordCodec('signal');
    const signals = (await readTopic(config.topics.signals, Number.MAX_SAFE_INTEGER, 6000))
      .map((m) => signalCodec.decodeJson(m.value!))
      .filter((s) => s.source.startsWith('worker-'))
      .map((s) => JSON.stringify(s))
      .sort();
    const commands = (await readTopic(config.topics.actions, Number.MAX_SAFE_INTEGER, 6000))
      .filter((m) => m.headers !== undefined && !m.value!.toString('utf8').includes('forged-') && m.value![0] === 0x7b)
      .map((m) => m.value!.toString('utf8'))
      .filter((v) => v.includes('"policy":"timeouts"'))
      .sort();
    // The executor is never stuck: it reaches a verdict on every honest command, hostile ones read first.
    const honestIds = commands.map((c) => (JSON.parse(c) as { id: string }).id);
    const resultCodec = createRecordCodec('action-result');
    const seen = new Set<string>();
    const allSeen = async (): Promise<boolean> => {
      for (const m of await readTopic(config.topics.actionResults, Number.MAX_SAFE_INTEGER, 3000))
        seen.add(resultCodec.decodeJson(m.value!).commandId);
      return honestIds.every((id) => seen.has(id));
    };
    expect(await waitFor(allSeen, 60_000, 500)).toBe(true);
    return {
      signals,
      commands,
      consumed: c.consumed,
      deadLettered: c.deadLettered,
      maxHeapBytes: maxHeap,
      maxEventLoopStallMs: stall.max / 1e6,
      ms: Date.now() - started,
      tried: h?.tried,
    };
  } finally {
    clearInterval(sampler);
    stall.disable();
    await producer.disconnect();
    await proc.stop();
    await executor.stop();
  }
}

test('honest signals and commands are byte-identical beside a hostile producer; never stuck, memory bounded', async () => {
  const baseline = await run(false);
  const attacked = await run(true);
  expect(baseline.signals.length).toBeGreaterThan(0);
  expect(baseline.commands.length).toBeGreaterThan(0);
  expect(attacked.signals).toEqual(baseline.signals);
  expect(attacked.commands).toEqual(baseline.commands);
  const hostileRecords = Object.entries(attacked.tried ?? {})
    .filter(([k]) => !k.startsWith('actions') && !k.startsWith('control'))
    .reduce((n, [, v]) => n + v, 0);
  expect(attacked.deadLettered).toBe(hostileRecords);
  const figures = {
    command: 'npm run build && HOSTILE_SOAK_RECORD=1 npx jest test/hostile/soak.test.ts',
    note: 'hostile-producer soak on the shared broker (machine loaded by other work): one run without the hostile producer (baseline), one with it',
    seconds: SECONDS,
    honestRecords: baseline.consumed,
    tried: attacked.tried,
    identical: { signals: baseline.signals.length, commands: baseline.commands.length },
    baseline: {
      maxHeapBytes: baseline.maxHeapBytes,
      maxEventLoopStallMs: baseline.maxEventLoopStallMs,
      ms: baseline.ms,
    },
    attacked: {
      consumed: attacked.consumed,
      deadLettered: attacked.deadLettered,
      maxHeapBytes: attacked.maxHeapBytes,
      maxEventLoopStallMs: attacked.maxEventLoopStallMs,
      ms: attacked.ms,
    },
    heapRatio: attacked.maxHeapBytes / baseline.maxHeapBytes,
  };
  reportFigures('hostile-soak', figures);
  if (process.env.HOSTILE_SOAK_RECORD) writeResult('hostile-soak', figures);
});
