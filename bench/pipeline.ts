/**
 * End-to-end throughput of the processor on the real broker, against a bare kafkajs
 * consumer reading the same topic in the same run.
 *
 *   npx tsx bench/pipeline.ts [--n 1000000] [--series 10000] [--format avro|json|both]
 *                             [--topic <existing telemetry topic>] [--only pipeline] [--keep]
 *                             [--max-bytes 1048576] [--profile /tmp/pipeline] [--history] [--hop]
 *                             [--heap-profile /tmp/alloc] [--json-out /tmp/run.json] [--record-kept]
 *
 * For each wire format (Avro with a registered schema, and JSON) it pre-produces N
 * telemetry records to a random 3-partition topic (10k series, 20k events/s of event time:
 * 1M records span 50 s, five default 10 s windows, ≤ 500 ms disorder), then reads the whole
 * topic three times, each with a new consumer group, timed from the moment the group is
 * joined (kafkajs `run()` resolves after JoinGroup/SyncGroup) until the last record:
 *   1. raw:     kafkajs eachBatch that only counts messages (the floor of any consumer);
 *   2. decode:  the same, plus avsc `fromBuffer` of the Avro body / `JSON.parse` of each value;
 *   3. pipeline: createRunner — decode, validate, windows, two-stage merge, signals and DLQ
 *      written in one transaction per batch with the offsets — until its `consumed` counter
 *      (counted only once a transaction commits) reaches N.
 * Prints events/s and the ratios pipeline/raw and pipeline/decode; aims: ratio ≥ 0.8 and
 * ≥ 150k events/s end to end with Avro. CPU-seconds of this process and of the broker are
 * recorded per phase (the broker shares the machine's two cores).
 * Writes bench/results/pipeline/<ISO time>.json. Deletes the topics it created.
 */
import { writeFileSync } from 'node:fs';
import type { Consumer, Kafka } from 'kafkajs';
import { createTelemetryAvroEncoder, encodeTelemetryJson, registerSchema, subjectFor } from '../src/codec';
import { createRegistryResolver } from '../src/kafka/registry';
import { createRunner, type RunnerCounters } from '../src/kafka/processor-driver';
import type { Telemetry } from '../src/model/telemetry';
import type { HomeostatConfig } from '../src/config/homeostat-config';
import { engineConfigFrom } from '../src/config/resolve-engine';
import { silentLogger } from '../src/ops/logger';
import { createMetrics } from '../src/ops/metrics';
import { startCpuMeter } from './lib/cpu';
import { startGcMeter, type GcFigures } from './lib/gc';
import { startHeapSampler, type PhaseHeapSampler } from './lib/heap-sampler';
import { startProfiler } from './lib/profiler';
import {
  benchConfig,
  benchKafka,
  benchTopics,
  createTopics,
  deleteTopics,
  randomName,
  topicRecordCount,
} from './lib/kafka';
import { argFlag, argNumber, argString, maxSemiSpaceMB, perSec, round, writeResult } from './lib/results';
import { acquireServices } from './lib/services';
import { produceTelemetry, telemetryDecoder } from './lib/telemetry-topic';

const N = Math.floor(argNumber('n', 1_000_000));
const SERIES = Math.floor(argNumber('series', 10_000));
const FORMAT = argString('format', 'both');
const REUSE_TOPIC = argString('topic', '');
const ONLY = argString('only', '');
/** Keep the telemetry topics (to re-run or profile a phase on them with --topic). */
const KEEP = argFlag('keep');
/** runner.maxBytesPerPartition (kafkajs fetch size per partition): bounds a batch, hence a transaction. */
const MAX_BYTES = Math.floor(argNumber('max-bytes', 1_048_576));
/** Write a CPU profile of each pipeline phase to <prefix>-<format>.cpuprofile. */
const PROFILE = argString('profile', '');
/** Write an allocation profile of each phase (raw, decode, pipeline) to <prefix>-<format>-<phase>.heapprofile. */
const HEAP_PROFILE = argString('heap-profile', '');
/** Also write the run's summary to this file, recorded or not (bench/pipeline-flags.ts reads it). */
const JSON_OUT = argString('json-out', '');
/**
 * With `--topic <kept> --only pipeline`: record the summary under bench/results/pipeline-kept-ab/
 * (the pipeline phase alone on one kept topic, run from two trees in turn to compare them).
 */
const RECORD_KEPT = argFlag('record-kept');
/** Also write the EWMA/trend history to a state topic, as `homeostat run` does (history-checkpoint.ts). */
const HISTORY = argFlag('history');
/** Hopping windows (10 s / 2 s) instead of the default tumbling 10 s: five signals per series and pane. */
const HOP = argFlag('hop');
const PARTITIONS = 3;
const T0 = Date.UTC(2026, 0, 1);
const TARGET_EVENTS_PER_SEC = 150_000;
const TARGET_RATIO = 0.8;
/** Give up on a phase after this long: a stuck consumer must not hang `npm run bench`. */
const PHASE_TIMEOUT_MS = 180_000;

type Format = 'avro' | 'json';

interface Phase {
  events: number;
  ms: number;
  eventsPerSec: number;
  /** CPU ms of this process / of the broker during the phase. */
  cpuMs: number;
  brokerCpuMs: number | null;
  /** Events per CPU-second of this process. */
  eventsPerCpuSec: number;
  /** Collections of this process during the phase (bench/lib/gc.ts). */
  gc: GcFigures;
}

function phase(
  events: number,
  ms: number,
  cpu: { selfMs: number; brokerMs: number | undefined },
  gc: GcFigures,
): Phase {
  return {
    events,
    ms: round(ms, 1),
    eventsPerSec: Math.round(events / (ms / 1000)),
    cpuMs: round(cpu.selfMs, 0),
    brokerCpuMs: cpu.brokerMs === undefined ? null : round(cpu.brokerMs, 0),
    eventsPerCpuSec: Math.round(events / (cpu.selfMs / 1000)),
    gc,
  };
}

function gcText(g: GcFigures): string {
  return `${g.scavenges} scavenges ${g.scavengeMs.toFixed(0)} ms, ${g.markCompacts} mark-compacts ${g.markCompactMs.toFixed(0)} ms`;
}

/** The allocation sampler of a phase when --heap-profile is given. */
function heapSampler(format: Format, name: string): Promise<PhaseHeapSampler | undefined> {
  if (HEAP_PROFILE === '') return Promise.resolve(undefined);
  return startHeapSampler(`${HEAP_PROFILE}-${format}-${name}.heapprofile`);
}

async function stopSampler(sampler: PhaseHeapSampler | undefined): Promise<void> {
  if (sampler) console.log(`wrote ${await sampler.stop()}`);
}

async function until(predicate: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}

/** A bare kafkajs consumer with the runner's consumer settings; `perMessage` null counts only. */
async function rawConsume(
  kafka: Kafka,
  config: HomeostatConfig,
  topic: string,
  expected: number,
  perMessage: ((v: Buffer) => unknown) | null,
  sampled: () => Promise<PhaseHeapSampler | undefined>,
): Promise<Phase> {
  const consumer: Consumer = kafka.consumer({
    groupId: randomName('bench-raw'),
    readUncommitted: false,
    maxBytesPerPartition: config.runner.maxBytesPerPartition,
    sessionTimeout: config.kafka.sessionTimeoutMs,
    heartbeatInterval: config.kafka.heartbeatIntervalMs,
  });
  let count = 0;
  let sink = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    const run = consumer.run({
      eachBatch: async ({ batch }) => {
        if (perMessage === null) count += batch.messages.length;
        else {
          for (const m of batch.messages) {
            if (perMessage(m.value!) !== undefined) sink++;
            count++;
          }
        }
        if (count >= expected) done();
        return Promise.resolve();
      },
    });
    await run;
    const sampler = await sampled();
    const gc = startGcMeter();
    const cpu = startCpuMeter();
    const start = performance.now();
    const timer = setTimeout(done, PHASE_TIMEOUT_MS);
    await finished;
    clearTimeout(timer);
    const ms = performance.now() - start;
    const used = cpu.read();
    await stopSampler(sampler);
    if (count < expected)
      throw new Error(`raw consumer read ${count} of ${expected} records in ${PHASE_TIMEOUT_MS} ms`);
    if (perMessage !== null && sink !== count) throw new Error('a value did not decode');
    return phase(count, ms, used, await gc.stop());
  } finally {
    await consumer.disconnect();
  }
}

interface PipelinePhase extends Phase {
  counters: RunnerCounters;
  batches: number;
  meanBatchMs: number;
  /** Share of the phase's wall time spent inside eachBatch (decode → transaction commit). */
  busyFraction: number;
}

async function runPipeline(
  config: HomeostatConfig,
  expected: number,
  profileFile: string,
  sampled: () => Promise<PhaseHeapSampler | undefined>,
): Promise<PipelinePhase> {
  const metrics = createMetrics();
  const runner = createRunner({
    history: HISTORY ? { topic: config.topics.state, prefix: `history/${config.kafka.groupId}/` } : undefined,
    config,
    engine: engineConfigFrom(config),
    limits: config.limits,
    resolver: createRegistryResolver(config.registry),
    logger: silentLogger(),
    metrics,
    maxAheadMs: config.runner.maxAheadMs,
  });
  try {
    await runner.start();
    const profiler = profileFile !== '' ? await startProfiler(profileFile) : undefined;
    const sampler = await sampled();
    const gc = startGcMeter();
    const cpu = startCpuMeter();
    const start = performance.now();
    const ok = await until(() => runner.counters().consumed >= expected, PHASE_TIMEOUT_MS);
    const ms = performance.now() - start;
    const used = cpu.read();
    const gcUsed = await gc.stop();
    await stopSampler(sampler);
    if (profiler) console.log(`wrote ${await profiler.stop()}`);
    const counters = runner.counters();
    if (!ok)
      throw new Error(`the pipeline consumed ${counters.consumed} of ${expected} records in ${PHASE_TIMEOUT_MS} ms`);
    if (counters.consumed !== counters.aggregated + counters.late + counters.deadLettered)
      throw new Error(`accounting identity broken: ${JSON.stringify(counters)}`);
    const hist = (await metrics.batchDurationSeconds.get()).values;
    const batches = hist.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const sumSec = hist.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    return {
      ...phase(counters.consumed, ms, used, gcUsed),
      counters,
      batches,
      meanBatchMs: batches > 0 ? round((sumSec * 1000) / batches, 2) : 0,
      busyFraction: round((sumSec * 1000) / ms, 3),
    };
  } finally {
    await runner.stop();
  }
}

interface FormatResult {
  format: Format;
  n: number;
  bytesPerRecord: number;
  produce: { ms: number; eventsPerSec: number } | null;
  raw: Phase | null;
  decode: Phase | null;
  pipeline: PipelinePhase;
  ratioVsRaw: number | null;
  ratioVsDecode: number | null;
}

async function benchFormat(
  kafka: Kafka,
  brokers: string[],
  registryUrl: string,
  format: Format,
  created: string[],
): Promise<FormatResult> {
  const prefix = randomName(`bench-pipeline-${format}`);
  const topics = benchTopics(prefix);
  if (REUSE_TOPIC !== '') topics.telemetry = REUSE_TOPIC;
  const config = benchConfig(brokers, registryUrl, topics, {
    runner: { maxBytesPerPartition: MAX_BYTES },
    ...(HOP ? { engine: { window: { sizeMs: 10_000, advanceMs: 2_000 } } } : {}),
  });
  const resolver = createRegistryResolver(config.registry);
  const outputs = [topics.signals, topics.dlq, ...(HISTORY ? [topics.state] : [])];
  await createTopics(
    kafka,
    [...(REUSE_TOPIC === '' ? [topics.telemetry] : []), ...outputs].map((topic) => ({ topic, partitions: PARTITIONS })),
  );
  created.push(...outputs, ...(REUSE_TOPIC === '' && !KEEP ? [topics.telemetry] : []));
  if (KEEP) console.log(`${format}: keeping ${topics.telemetry}`);

  const avro = createTelemetryAvroEncoder(await registerSchema(resolver, 'telemetry', subjectFor(topics.telemetry)));
  const encode = format === 'avro' ? (t: Telemetry) => avro.encode(t) : encodeTelemetryJson;
  let produce: FormatResult['produce'] = null;
  let bytes = 0;
  let n = N;
  if (REUSE_TOPIC === '') {
    process.stdout.write(`${format}: producing ${N} records to ${topics.telemetry} … `);
    const made = await produceTelemetry(kafka, topics.telemetry, { n: N, series: SERIES, t0: T0, encode });
    const ms = made.ms;
    bytes = made.bytes;
    produce = { ms, eventsPerSec: Math.round(N / (ms / 1000)) };
    console.log(`${(ms / 1000).toFixed(1)} s (${perSec(produce.eventsPerSec)})`);
  } else {
    n = await topicRecordCount(kafka, REUSE_TOPIC);
  }

  let raw: Phase | null = null;
  let decode: Phase | null = null;
  if (ONLY !== 'pipeline') {
    // The raw consumers read kafkajs's own records (each value a Buffer view), as any kafkajs
    // consumer does: the pipeline opts its telemetry topic in to values left in the fetch
    // (src/kafka/fetched-record.ts) only when it starts, after these phases.
    raw = await rawConsume(kafka, config, topics.telemetry, n, null, () => heapSampler(format, 'raw'));
    console.log(
      `${format}: raw kafkajs consumer (count only)  ${perSec(raw.eventsPerSec)}  (${raw.ms.toFixed(0)} ms, ${perSec(raw.eventsPerCpuSec)} per CPU-s; GC ${gcText(raw.gc)})`,
    );
    const decodeOne = telemetryDecoder(format);
    decode = await rawConsume(kafka, config, topics.telemetry, n, decodeOne, () => heapSampler(format, 'decode'));
    console.log(
      `${format}: raw consumer + ${format === 'avro' ? 'avsc fromBuffer' : 'JSON.parse'}  ${perSec(decode.eventsPerSec)}  (${decode.ms.toFixed(0)} ms, ${perSec(decode.eventsPerCpuSec)} per CPU-s; GC ${gcText(decode.gc)})`,
    );
  }
  const pipeline = await runPipeline(config, n, PROFILE !== '' ? `${PROFILE}-${format}.cpuprofile` : '', () =>
    heapSampler(format, 'pipeline'),
  );
  const ratioVsRaw = raw ? round(pipeline.eventsPerSec / raw.eventsPerSec, 3) : null;
  const ratioVsDecode = decode ? round(pipeline.eventsPerSec / decode.eventsPerSec, 3) : null;
  console.log(
    `${format}: homeostat pipeline  ${perSec(pipeline.eventsPerSec)}  (${pipeline.ms.toFixed(0)} ms, ${perSec(pipeline.eventsPerCpuSec)} per CPU-s; ` +
      `${pipeline.counters.transactions} transactions, ${pipeline.batches} batches of ${pipeline.meanBatchMs} ms, busy ${(pipeline.busyFraction * 100).toFixed(0)}%, ` +
      `${pipeline.counters.signalsWritten} signals; GC ${gcText(pipeline.gc)})` +
      (ratioVsRaw !== null
        ? `\n${format}: ratio pipeline/raw = ${ratioVsRaw}, pipeline/decode = ${ratioVsDecode}`
        : ''),
  );
  return {
    format,
    n,
    bytesPerRecord: bytes > 0 ? round(bytes / N, 1) : 0,
    produce,
    raw,
    decode,
    pipeline,
    ratioVsRaw,
    ratioVsDecode,
  };
}

async function main(): Promise<void> {
  const services = acquireServices();
  const kafka = benchKafka(services.brokers);
  const created: string[] = [];
  const formats: Format[] = FORMAT === 'both' ? ['avro', 'json'] : [FORMAT as Format];
  const results: FormatResult[] = [];
  try {
    for (const f of formats) results.push(await benchFormat(kafka, services.brokers, services.registryUrl, f, created));
  } finally {
    await deleteTopics(kafka, created).catch((err: unknown) =>
      console.error(`could not delete the bench topics: ${(err as Error).message}`),
    );
    services.release();
  }
  const avro = results.find((r) => r.format === 'avro');
  const summary = {
    n: N,
    series: SERIES,
    maxBytesPerPartition: MAX_BYTES,
    partitions: PARTITIONS,
    maxSemiSpaceMB: maxSemiSpaceMB(),
    /** Peak resident memory of this process over the whole run (set-up and every phase). */
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(HOP ? { windows: 'hopping 10s/2s' } : {}),
    statistic:
      'one run per phase; wall time from group joined to last record (pipeline: to the commit that makes consumed = N)',
    targets: {
      avroEventsPerSec: TARGET_EVENTS_PER_SEC,
      ratioVsRaw: TARGET_RATIO,
      met: avro ? avro.pipeline.eventsPerSec >= TARGET_EVENTS_PER_SEC && (avro.ratioVsRaw ?? 1) >= TARGET_RATIO : null,
    },
    results,
  };
  if (JSON_OUT !== '') writeFileSync(JSON_OUT, JSON.stringify(summary));
  if (RECORD_KEPT && REUSE_TOPIC !== '' && ONLY === 'pipeline') {
    const command = `npx tsx bench/pipeline.ts ${process.argv.slice(2).join(' ')}`;
    const kept = { shape: SERIES >= 100_000 ? 'fleet' : 'default', keptTopic: REUSE_TOPIC, command, ...summary };
    console.log(`wrote ${writeResult('pipeline-kept-ab', kept)}`);
  } else if (ONLY === '' && REUSE_TOPIC === '' && N >= 100_000 && !HISTORY && maxSemiSpaceMB() === null) {
    const file = writeResult('pipeline', summary);
    console.log(`wrote ${file}`);
  } else {
    console.log('partial run (--only / --topic / small --n / --max-semi-space-size): nothing recorded');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
