/**
 * The telemetry producer SDK against a raw kafkajs producer, on the real broker, in the
 * same run: 1M samples each, same records (seeded PRNG), same encoding (homeostat's
 * canonical JSON), same batch size (5 000), same producer settings (idempotent, acks=all,
 * one request in flight), same key (the source). The raw baseline is what a service would
 * write by hand: build a batch, await send(), repeat — one batch in memory at a time.
 * The SDK is used the way instrumented code uses it: one `await record()` per sample, with
 * the default `block` policy and a 100 000-sample bound.
 *
 * Each side runs in its own child process so that its RSS and heap peaks (sampled every
 * 10 ms, minus the process's footprint right after connecting) are its own.
 *
 *   npx tsx bench/producer.ts [samples]      (needs Kafka: npm run services:start)
 *
 * Writes bench/results/producer/<ISO time>.json.
 */
import '../src/kafka/kafkajs-patches'; // before kafkajs loads: its producer's grouping, fixed (kafkajs-patches.ts)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { encodeTelemetryJson } from '../src/codec';
import type { Telemetry } from '../src/model/telemetry';
import { waitForLeaders } from '../src/kafka/topics';
import { createTelemetryProducer } from '../src/producer';
import { mulberry32 } from '../src/client/random';
import { writeResult } from './lib/results';
import { producerConfig } from '../src/kafka/client';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const BATCH = 5_000; // ~650 kB of JSON: under the broker's 1 MiB message.max.bytes for the raw side too
const BOUND = 100_000;

const TENANTS = Array.from({ length: 16 }, (_, i) => `tenant-${i}`);
const T0 = Date.UTC(2026, 0, 1);

type Mode = 'sdk' | 'sdk-small' | 'raw';
/** The SDK's bound per mode: the default, and a fifth of it to show memory follows the bound, not the sample count. */
const BOUNDS: Record<Exclude<Mode, 'raw'>, number> = { sdk: BOUND, 'sdk-small': BOUND / 5 };

interface ChildResult {
  mode: Mode;
  samples: number;
  seconds: number;
  perSec: number;
  baselineRssMB: number;
  peakRssMB: number;
  baselineHeapMB: number;
  peakHeapMB: number;
  sdkPeakBuffered?: number;
}

const MB = 1024 * 1024;

async function child(mode: Mode, topic: string, n: number): Promise<ChildResult> {
  const rand = mulberry32(42);
  const next = (i: number): { metric: string; value: number; tags: Record<string, string>; ts: number } => ({
    metric: 'query.latency_ms',
    value: Math.round(Math.exp(3 + rand() * 2) * 100) / 100,
    tags: { tenant: TENANTS[i % TENANTS.length] },
    ts: T0 + i,
  });
  let peakRss = 0;
  let peakHeap = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  };

  if (mode !== 'raw') {
    const p = createTelemetryProducer({
      kafka: { brokers: BROKERS, clientId: 'bench-sdk' },
      topic,
      source: 'worker-1',
      defaultTags: { service: 'search' },
      maxBatchRecords: BATCH,
      maxBufferedRecords: BOUNDS[mode],
    });
    await p.connect();
    const base = process.memoryUsage();
    const timer = setInterval(sample, 10);
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const r = next(i);
      await p.record(r.metric, r.value, r.tags, r.ts);
    }
    await p.close();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    clearInterval(timer);
    sample();
    const s = p.stats();
    if (s.sent !== n) throw new Error(`SDK sent ${s.sent} of ${n} (dropped ${s.dropped}, invalid ${s.invalid})`);
    return {
      mode,
      samples: n,
      seconds,
      perSec: n / seconds,
      baselineRssMB: base.rss / MB,
      peakRssMB: peakRss / MB,
      baselineHeapMB: base.heapUsed / MB,
      peakHeapMB: peakHeap / MB,
      sdkPeakBuffered: s.peakBuffered,
    };
  }

  const kafka = new Kafka({ clientId: 'bench-raw', brokers: BROKERS, logLevel: logLevel.WARN });
  const producer = kafka.producer(
    producerConfig({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
  );
  await producer.connect();
  const base = process.memoryUsage();
  const timer = setInterval(sample, 10);
  const start = process.hrtime.bigint();
  let batch: { key: string; value: Buffer }[] = [];
  for (let i = 0; i < n; i++) {
    const r = next(i);
    const t: Telemetry = {
      ts: r.ts,
      source: 'worker-1',
      metric: r.metric,
      value: r.value,
      tags: { service: 'search', ...r.tags },
    };
    batch.push({ key: t.source, value: encodeTelemetryJson(t) });
    if (batch.length === BATCH || i === n - 1) {
      await producer.send({ topic, messages: batch, acks: -1 });
      batch = [];
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(timer);
  sample();
  await producer.disconnect();
  return {
    mode,
    samples: n,
    seconds,
    perSec: n / seconds,
    baselineRssMB: base.rss / MB,
    peakRssMB: peakRss / MB,
    baselineHeapMB: base.heapUsed / MB,
    peakHeapMB: peakHeap / MB,
  };
}

async function createTopic(topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-admin', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    // kafkajs's own waitForLeaders can hang on a KRaft broker; the project's helper polls metadata.
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: false });
    await waitForLeaders(admin, [topic]);
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopic(topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-admin', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

function runChild(mode: Mode, topic: string, n: number): ChildResult {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], '--child', mode, topic, String(n)], {
    encoding: 'utf8',
    maxBuffer: 16 * MB,
    env: process.env,
  });
  if (r.status !== 0) throw new Error(`${mode} child failed (${r.status}): ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildResult;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const result = await child(process.argv[3] as Mode, process.argv[4], Number(process.argv[5]));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const n = Number(process.argv[2] ?? 1_000_000);
  const results: ChildResult[] = [];
  // Raw first, then SDK, then raw again: the better raw run is the baseline (a warm broker).
  for (const mode of ['raw', 'sdk', 'sdk-small', 'raw', 'sdk', 'sdk-small'] as const) {
    const topic = `bench-producer-${mode}-${randomBytes(4).toString('hex')}`;
    await createTopic(topic);
    try {
      const r = runChild(mode, topic, n);
      results.push(r);
      console.log(
        `${mode.padEnd(9)}  ${n} samples in ${r.seconds.toFixed(2)} s = ${Math.round(r.perSec).toLocaleString('en-US')}/s   RSS peak ${r.peakRssMB.toFixed(0)} MB (+${(r.peakRssMB - r.baselineRssMB).toFixed(0)})   heap peak ${r.peakHeapMB.toFixed(0)} MB (+${(r.peakHeapMB - r.baselineHeapMB).toFixed(0)})${r.sdkPeakBuffered !== undefined ? `   peak buffered ${r.sdkPeakBuffered}` : ''}`,
      );
    } finally {
      await deleteTopic(topic).catch(() => undefined);
    }
  }
  const best = (mode: Mode): ChildResult =>
    results.filter((r) => r.mode === mode).sort((a, b) => b.perSec - a.perSec)[0];
  const sdk = best('sdk');
  const sdkSmall = best('sdk-small');
  const raw = best('raw');
  const ratio = sdk.perSec / raw.perSec;
  const extra = (r: ChildResult): string =>
    `+${(r.peakRssMB - r.baselineRssMB).toFixed(0)} MB RSS, +${(r.peakHeapMB - r.baselineHeapMB).toFixed(0)} MB heap`;
  console.log(
    `\nSDK / raw kafkajs throughput: ${ratio.toFixed(2)}x (bound ${BOUNDS['sdk-small']}: ${(sdkSmall.perSec / raw.perSec).toFixed(2)}x)`,
  );
  console.log(
    `peak memory over the connected baseline: raw ${extra(raw)}; SDK (bound ${BOUND}) ${extra(sdk)}; SDK (bound ${BOUNDS['sdk-small']}) ${extra(sdkSmall)}`,
  );
  const out = {
    benchmark: 'producer',
    samples: n,
    batchRecords: BATCH,
    sdkBound: BOUND,
    encoding: 'json',
    settings: 'idempotent, acks=all, maxInFlightRequests 1, no compression, one key',
    sdk,
    sdkSmallBound: { bound: BOUNDS['sdk-small'], ...sdkSmall },
    raw,
    runs: results,
    throughputRatio: ratio,
    throughputRatioSmallBound: sdkSmall.perSec / raw.perSec,
  };
  console.log(`wrote ${writeResult('producer', out)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
