/**
 * The processor on the real broker and registry: 100k telemetry records over 3 partitions
 * with shuffled event times, 1% malformed and 0.5% too late. The signals topic must hold
 * exactly the expected window results, the DLQ exactly the malformed and late records with
 * their reasons, and the accounting identity must hold. A second run with another
 * partition interleaving must write byte-identical signal records.
 */
import type { Message } from 'kafkajs';
import {
  createRecordCodec,
  createTelemetryAvroEncoder,
  encodeTelemetryJson,
  registerSchema,
  subjectFor,
} from '../../src/codec';
import { DLQ_HEADERS } from '../../src/kafka/dlq';
import { createRegistryResolver } from '../../src/kafka/registry';
import { createRunner, type Runner } from '../../src/kafka/processor-driver';
import type { WindowSignal } from '../../src/model/signal';
import type { Telemetry } from '../../src/model/telemetry';
import { loadConfig, type HomeostatConfig } from '../../src/config/homeostat-config';
import { engineConfigFrom } from '../../src/config/resolve-engine';
import { createLogger, silentLogger } from '../../src/ops/logger';
import { createTopic, produce, randomName, readTopic, waitFor } from '../helpers/kafka';
import { registryUrl } from '../helpers/services';
import { mulberry32 as prng } from '../../src/client/random';

const T0 = Date.UTC(2026, 0, 1);
const N = 100_000;
const SOURCES = 40;
const WINDOW = 10_000;
const STEP = 6; // ms of event time per record: 100k records span 600 s, 60 windows

// Deterministic PRNG (mulberry32) so that a failure can be reproduced.
interface Input {
  good: Telemetry[];
  malformed: Message[];
  late: Telemetry[];
}

function makeInput(): Input {
  const rnd = prng(42);
  const good: Telemetry[] = [];
  for (let i = 0; i < N; i++) {
    const s = i % SOURCES;
    const latency = s % 2 === 0;
    // Event times shuffled by up to ±900 ms, inside the 2 s allowed out-of-orderness.
    const ts = T0 + i * STEP + Math.round((rnd() - 0.5) * 1800);
    good.push({
      ts,
      source: `worker-${s}`,
      metric: latency ? 'query.latency_ms' : 'requests',
      value: latency ? Math.round(Math.exp(3 + rnd() * 2) * 100) / 100 : 1 + Math.floor(rnd() * 5),
      tags: latency ? { role: 'worker' } : { service: `svc-${s % 4}` },
    });
  }
  const malformed: Message[] = [];
  for (let i = 0; i < N / 100; i++) {
    const key = `worker-${i % SOURCES}`;
    const kind = i % 4;
    const value =
      kind === 0
        ? Buffer.from(`garbage ${i}`)
        : kind === 1
          ? Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2, 3]) // Confluent framing with an id the registry never gave
          : kind === 2
            ? Buffer.from(JSON.stringify({ source: key, metric: 'requests', value: 1, tags: {} })) // no ts
            : Buffer.from(JSON.stringify({ ts: T0 + 1000, source: key, metric: 'requests', value: 'NaN', tags: {} }));
    malformed.push({ key, value });
  }
  const late: Telemetry[] = [];
  for (let i = 0; i < N / 200; i++) {
    // An hour before anything else: every window it falls in closed long before.
    late.push({
      ts: T0 - 3_600_000 + i,
      source: `worker-${i % SOURCES}`,
      metric: 'requests',
      value: 1,
      tags: { service: 'svc-late' },
    });
  }
  return { good, malformed, late };
}

interface Expected {
  count: number;
  sum: number;
  min: number;
  max: number;
  values: number[];
}

function expectedWindows(good: Telemetry[]): Map<string, Expected> {
  const m = new Map<string, Expected>();
  for (const t of good) {
    const start = Math.floor(t.ts / WINDOW) * WINDOW;
    const k = `${t.source}|${t.metric}|${start}`;
    let e = m.get(k);
    if (!e) m.set(k, (e = { count: 0, sum: 0, min: Infinity, max: -Infinity, values: [] }));
    e.count++;
    e.sum += t.value;
    e.min = Math.min(e.min, t.value);
    e.max = Math.max(e.max, t.value);
    e.values.push(t.value);
  }
  return m;
}

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function testConfig(prefix: string, groupId: string): HomeostatConfig {
  return loadConfig({
    registry: registryUrl(),
    overrides: {
      kafka: { groupId, transactionalIdPrefix: randomName('tx') },
      topics: {
        telemetry: `${prefix}.telemetry`,
        dlq: `${prefix}.dlq`,
        signals: `${prefix}.signals`,
        decisions: `${prefix}.decisions`,
        actions: `${prefix}.actions`,
        actionResults: `${prefix}.results`,
        outcomes: `${prefix}.outcomes`,
        control: `${prefix}.control`,
      },
      engine: { window: { sizeMs: WINDOW, graceMs: 1000 }, allowedOutOfOrdernessMs: 2000 },
      http: { enabled: false },
    },
  });
}

describe('processor on the real broker', () => {
  const prefix = randomName('proc');
  const input = makeInput();
  const runners: Runner[] = [];
  let firstRun: Buffer[] = [];
  let counters: ReturnType<Runner['counters']> | undefined;

  afterAll(async () => {
    for (const r of runners) await r.stop();
  });

  async function startRunner(config: HomeostatConfig): Promise<Runner> {
    const runner = createRunner({
      config,
      engine: engineConfigFrom(config),
      limits: config.limits,
      resolver: createRegistryResolver(config.registry),
      logger: process.env.TEST_LOG ? createLogger({ level: process.env.TEST_LOG }) : silentLogger(),
      maxAheadMs: config.runner.maxAheadMs,
    });
    runners.push(runner);
    await runner.start();
    return runner;
  }

  test('signals, DLQ and accounting are exact', async () => {
    const config = testConfig(prefix, randomName('group'));
    await createTopic(config.topics.telemetry, 3);
    for (const t of [config.topics.dlq, config.topics.signals]) await createTopic(t, 3);
    const resolver = createRegistryResolver(config.registry);
    const avro = createTelemetryAvroEncoder(
      await registerSchema(resolver, 'telemetry', subjectFor(config.topics.telemetry)),
    );
    // Half the good records as Avro, half as JSON: both wire formats of the contract.
    const encode = (t: Telemetry, i: number): Message => ({
      key: t.source,
      value: i % 2 === 0 ? avro.encode(t) : encodeTelemetryJson(t),
    });

    const half = N / 2;
    const runner = await startRunner(config);
    const phaseA: Message[] = input.good.slice(0, half).map(encode);
    await produce(config.topics.telemetry, phaseA);
    // Only once the watermark is well past the start are the late records sent, so that
    // they are late whatever order the partitions are read in.
    await waitFor(() => (runner.processor()?.watermark() ?? -Infinity) > T0 + 60_000, 90_000);
    expect({ watermark: runner.processor()?.watermark(), counters: runner.counters() }).toMatchObject({
      watermark: expect.any(Number),
    });
    expect(runner.processor()!.watermark()).toBeGreaterThan(T0 + 60_000);
    const phaseB: Message[] = [];
    const rest = input.good.slice(half);
    for (let i = 0; i < rest.length; i++) {
      phaseB.push(encode(rest[i], i + half));
      if (i % 100 === 0 && i / 100 < input.malformed.length) phaseB.push(input.malformed[i / 100]);
      if (i % 100 === 50 && (i - 50) / 100 < input.late.length) phaseB.push(encode(input.late[(i - 50) / 100], 1));
    }
    // Any malformed/late records not yet interleaved go at the end.
    phaseB.push(...input.malformed.slice(Math.ceil(rest.length / 100)));
    // End-of-input markers, one per partition, an hour ahead: they close every data window.
    for (let p = 0; p < 3; p++) {
      phaseB.push({
        partition: p,
        key: 'eos',
        value: encodeTelemetryJson({ ts: T0 + 3_600_000, source: `eos-${p}`, metric: 'eos', value: 0, tags: {} }),
      });
    }
    await produce(config.topics.telemetry, phaseB);

    const total = N + input.malformed.length + input.late.length + 3;
    await waitFor(() => runner.counters().consumed === total, 90_000);
    counters = runner.counters();
    expect(counters).toMatchObject({ consumed: total });
    expect(counters.consumed).toBe(counters.aggregated + counters.late + counters.deadLettered);
    expect(counters.late).toBe(input.late.length);
    expect(counters.deadLettered).toBe(input.malformed.length);

    const expected = expectedWindows(input.good);
    const signalsRaw = await readTopic(config.topics.signals, counters.signalsWritten);
    expect(signalsRaw.length).toBe(counters.signalsWritten);
    const decoder = createRecordCodec('signal').createDecoder({ resolver });
    const signals: WindowSignal[] = [];
    for (const m of signalsRaw) signals.push(await decoder.decode(m.value));
    const series = signals.filter((s) => s.scope === 'series' && s.count > 0);
    expect(series.length).toBe(expected.size);
    for (const s of series) {
      const e = expected.get(`${s.source}|${s.metric}|${s.windowStart}`);
      expect(e).toBeDefined();
      expect(s.windowEnd - s.windowStart).toBe(WINDOW);
      expect(s.count).toBe(e!.count);
      expect(s.sum).toBeCloseTo(e!.sum, 6);
      expect(s.min).toBe(e!.min);
      expect(s.max).toBe(e!.max);
      const sorted = [...e!.values].sort((a, b) => a - b);
      for (const [q, got] of [
        [0.5, s.p50],
        [0.99, s.p99],
      ] as const) {
        const exact = exactQuantile(sorted, q);
        expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(0.0101);
      }
    }
    // Each window emitted exactly once.
    const keys = signals.map((s) => `${s.scope}|${s.key}|${s.windowStart}|${s.partial}`);
    expect(new Set(keys).size).toBe(keys.length);
    // Stage two: per-service totals of `requests` equal the sum over its workers.
    const svc = signals.filter(
      (s) => s.scope === 'service' && !s.partial && s.count > 0 && s.tags.service !== 'svc-late',
    );
    expect(svc.length).toBeGreaterThan(0);
    for (const s of svc) {
      const want = series.filter(
        (x) => x.metric === 'requests' && x.tags.service === s.tags.service && x.windowStart === s.windowStart,
      );
      expect(s.count).toBe(want.reduce((a, x) => a + x.count, 0));
    }

    const dlq = await readTopic(config.topics.dlq, input.malformed.length + input.late.length);
    expect(dlq.length).toBe(input.malformed.length + input.late.length);
    const codes = new Map<string, number>();
    for (const m of dlq) {
      const code = String(m.headers?.[DLQ_HEADERS.code]);
      codes.set(code, (codes.get(code) ?? 0) + 1);
      expect(String(m.headers?.[DLQ_HEADERS.topic])).toBe(config.topics.telemetry);
      expect(String(m.headers?.[DLQ_HEADERS.message]).length).toBeGreaterThan(0);
    }
    expect(codes.get('LATE')).toBe(input.late.length);
    expect(codes.get('NOT_DECODABLE')).toBe(input.malformed.length / 4);
    expect(codes.get('UNKNOWN_SCHEMA_ID')).toBe(input.malformed.length / 4);
    expect(codes.get('MISSING_FIELD')).toBe(input.malformed.length / 4);
    expect(codes.get('NON_FINITE_VALUE')).toBe(input.malformed.length / 4);
    // The original bytes are kept: each DLQ value is one of the inputs.
    const malformedValues = new Set(input.malformed.map((m) => (m.value as Buffer).toString('base64')));
    expect(dlq.filter((m) => malformedValues.has(m.value!.toString('base64'))).length).toBe(input.malformed.length);
    firstRun = sortedSignalBytes(signalsRaw);
  });

  test('another partition interleaving writes byte-identical signals', async () => {
    expect(counters).toBeDefined();
    // Same telemetry topic, a new group and new output topics; smaller fetches interleave the partitions differently.
    const base = testConfig(prefix, randomName('group2'));
    const prefix2 = randomName('proc2');
    const config: HomeostatConfig = {
      ...base,
      topics: { ...base.topics, signals: `${prefix2}.signals`, dlq: `${prefix2}.dlq` },
      runner: { ...base.runner, maxBytesPerPartition: 64 * 1024 },
    };
    await createTopic(config.topics.signals, 3);
    await createTopic(config.topics.dlq, 3);
    const runner = await startRunner(config);
    expect(await waitFor(() => runner.counters().consumed === counters!.consumed, 90_000)).toBe(true);
    const second = await readTopic(config.topics.signals, counters!.signalsWritten);
    expect(second.length).toBe(firstRun.length);
    const bytes = sortedSignalBytes(second);
    expect(Buffer.concat(bytes).equals(Buffer.concat(firstRun))).toBe(true);
  });
});

/** Signal records ordered by key then bytes: the topic's partition interleaving is not part of the contract, each record's bytes are. */
function sortedSignalBytes(messages: { key: Buffer | null; value: Buffer | null }[]): Buffer[] {
  return messages
    .map((m) => Buffer.concat([m.key ?? Buffer.alloc(0), Buffer.from([0]), m.value ?? Buffer.alloc(0)]))
    .sort(Buffer.compare);
}
