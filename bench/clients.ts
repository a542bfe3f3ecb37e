/**
 * kafkajs against @platformatic/kafka on the real broker, same topics, same run (issue 21,
 * item 4: the client experiment, measured rather than assumed).
 *
 *   npx tsx bench/clients.ts [--n 300000] [--series 10000] [--format avro|json|both] [--only consume|eos|isolation]
 *                           [--profile /tmp/clients]
 *
 * For each wire format (Avro with a registered schema, and JSON) it pre-produces N telemetry
 * records to a random 3-partition topic (as bench/pipeline.ts does), then:
 *   1. raw consume, each read with a fresh consumer group, read_committed, timed from the group
 *      joined to the last record: kafkajs eachBatch, @platformatic/kafka's messages stream
 *      (async iterator, and 'data' events), each counting records, then each counting and
 *      decoding every value (avsc fromBuffer of the Avro body / JSON.parse);
 *   2. the exactly-once cycle on each client (bench/lib/clients-eos.ts): consume, write one
 *      output per input in a transaction with the group's offsets, commit; then a check that
 *      the outputs read back read_committed are exactly the inputs and the committed offsets
 *      are at the log end.
 * Records/s, records per CPU-second of this process, the broker's CPU, and the ratios
 * platformatic/kafkajs. Writes bench/results/clients/<ISO time>.json. Deletes its topics.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { Kafka } from 'kafkajs';
import { createTelemetryAvroEncoder, encodeTelemetryJson, registerSchema, subjectFor } from '../src/codec';
import { createRegistryResolver } from '../src/kafka/registry';
import type { Telemetry } from '../src/model/telemetry';
import {
  kafkajsConsume,
  platformaticConsume,
  type ClientPhase,
  type ConsumeTarget,
  type Decode,
} from './lib/clients-consume';
import { kafkajsExactlyOnce, platformaticExactlyOnce, type EosPhase } from './lib/clients-eos';
import { isolationProbe, type IsolationProbe } from './lib/clients-isolation';
import { benchConfig, benchKafka, benchTopics, createTopics, deleteTopics, randomName } from './lib/kafka';
import { describeClientError, loadPlatformaticKafka, type PlatformaticKafka } from './lib/platformatic';
import { argNumber, argString, perSec, round, writeResult } from './lib/results';
import { startProfiler } from './lib/profiler';
import { acquireServices } from './lib/services';
import { produceTelemetry, telemetryDecoder, type WireFormat } from './lib/telemetry-topic';

const N = Math.floor(argNumber('n', 300_000));
const SERIES = Math.floor(argNumber('series', 10_000));
const FORMAT = argString('format', 'both');
const ONLY = argString('only', '');
/** Write a CPU profile of each client's count-only read to <prefix>-<client>-<format>.cpuprofile (not recorded). */
const PROFILE = argString('profile', '');
const PARTITIONS = 3;
const T0 = Date.UTC(2026, 0, 1);
/** Give up on a phase after this long: a stuck consumer must not hang the bench. */
const PHASE_TIMEOUT_MS = 180_000;

type Format = WireFormat;

interface Pair<P extends ClientPhase> {
  kafkajs: P;
  platformatic: P;
  /** platformatic / kafkajs: records per wall second, and per CPU-second of this process. */
  ratio: number;
  ratioPerCpuSec: number;
}

function pair<P extends ClientPhase>(kafkajs: P, platformatic: P): Pair<P> {
  return {
    kafkajs,
    platformatic,
    ratio: round(platformatic.recordsPerSec / kafkajs.recordsPerSec, 3),
    ratioPerCpuSec: round(platformatic.recordsPerCpuSec / kafkajs.recordsPerCpuSec, 3),
  };
}

function show(label: string, p: ClientPhase): void {
  console.log(
    `  ${label.padEnd(44)} ${perSec(p.recordsPerSec).padStart(10)}  (${p.ms.toFixed(0)} ms, ${perSec(p.recordsPerCpuSec)} per CPU-s)`,
  );
}

interface FormatResult {
  format: Format;
  n: number;
  bytesPerRecord: number;
  produce: { ms: number; recordsPerSec: number };
  count?: Pair<ClientPhase> & { platformaticEvents: ClientPhase };
  decode?: Pair<ClientPhase>;
  exactlyOnce?: EosPair;
}

/** Runs `phase` under the CPU profiler when --profile is given (the group join is in the profile too). */
async function profiled<T>(name: string, phase: () => Promise<T>): Promise<T> {
  if (PROFILE === '') return phase();
  const profiler = await startProfiler(`${PROFILE}-${name}.cpuprofile`);
  try {
    return await phase();
  } finally {
    console.log(`wrote ${await profiler.stop()}`);
  }
}

async function consumePhases(
  lib: PlatformaticKafka,
  kafka: Kafka,
  target: ConsumeTarget,
  format: Format,
): Promise<Pick<FormatResult, 'count' | 'decode'>> {
  const decode: Decode = telemetryDecoder(format);
  const kCount = await profiled(`kafkajs-${format}`, () => kafkajsConsume(kafka, target, null));
  show('kafkajs eachBatch, count', kCount);
  const pCount = await profiled(`platformatic-${format}`, () => platformaticConsume(lib, target, null, 'iterator'));
  show('@platformatic/kafka async iterator, count', pCount);
  const pEvents = await platformaticConsume(lib, target, null, 'events');
  show("@platformatic/kafka 'data' events, count", pEvents);
  const kDecode = await kafkajsConsume(kafka, target, decode);
  show(`kafkajs eachBatch + ${format === 'avro' ? 'avsc fromBuffer' : 'JSON.parse'}`, kDecode);
  const pDecode = await platformaticConsume(lib, target, decode, 'iterator');
  show(`@platformatic/kafka iterator + ${format === 'avro' ? 'avsc fromBuffer' : 'JSON.parse'}`, pDecode);
  return { count: { ...pair(kCount, pCount), platformaticEvents: pEvents }, decode: pair(kDecode, pDecode) };
}

/** A phase that failed: the client's error, recorded rather than ending the run. */
interface Failed {
  failed: string;
}

type EosPair = { kafkajs: EosPhase | Failed; platformatic: EosPhase | Failed } & Partial<
  Pick<Pair<EosPhase>, 'ratio' | 'ratioPerCpuSec'>
>;

async function attempt(label: string, run: () => Promise<EosPhase>): Promise<EosPhase | Failed> {
  try {
    const p = await run();
    show(label, p);
    console.log(
      `    ${p.transactions} transactions (${p.transactionsPerSec}/s, ${p.recordsPerTransaction} records each); ` +
        `check: ${p.check.outputs} outputs, ${p.check.distinctOutputs} distinct, offsets at log end: ` +
        `${p.check.offsets.every((o) => o.committed === o.end)} → ${p.check.exact ? 'exact' : 'NOT EXACT'}`,
    );
    return p;
  } catch (err) {
    const failed = describeClientError(err);
    console.log(`  ${label} FAILED: ${failed}`);
    return { failed };
  }
}

async function eosPhases(lib: PlatformaticKafka, kafka: Kafka, target: ConsumeTarget, created: string[]) {
  const outputs = [randomName('bench-clients-out-kjs'), randomName('bench-clients-out-plt')];
  await createTopics(
    kafka,
    outputs.map((topic) => ({ topic, partitions: PARTITIONS })),
  );
  created.push(...outputs);
  const k = await attempt('kafkajs exactly-once cycle', () =>
    kafkajsExactlyOnce(kafka, { ...target, output: outputs[0] }),
  );
  const p = await attempt('@platformatic/kafka exactly-once cycle', () =>
    platformaticExactlyOnce(lib, kafka, { ...target, output: outputs[1] }),
  );
  const result: EosPair = 'failed' in k || 'failed' in p ? { kafkajs: k, platformatic: p } : pair(k, p);
  return result;
}

async function benchFormat(
  lib: PlatformaticKafka,
  kafka: Kafka,
  brokers: string[],
  registryUrl: string,
  format: Format,
  created: string[],
): Promise<FormatResult> {
  const topics = benchTopics(randomName(`bench-clients-${format}`));
  const config = benchConfig(brokers, registryUrl, topics);
  await createTopics(kafka, [{ topic: topics.telemetry, partitions: PARTITIONS }]);
  created.push(topics.telemetry);
  const avro = createTelemetryAvroEncoder(
    await registerSchema(createRegistryResolver(config.registry), 'telemetry', subjectFor(topics.telemetry)),
  );
  const encode = format === 'avro' ? (t: Telemetry) => avro.encode(t) : encodeTelemetryJson;
  process.stdout.write(`${format}: producing ${N} records to ${topics.telemetry} … `);
  const { ms: produceMs, bytes } = await produceTelemetry(kafka, topics.telemetry, {
    n: N,
    series: SERIES,
    t0: T0,
    encode,
  });
  console.log(`${(produceMs / 1000).toFixed(1)} s`);
  const target: ConsumeTarget = { brokers, config, topic: topics.telemetry, expected: N, timeoutMs: PHASE_TIMEOUT_MS };
  const result: FormatResult = {
    format,
    n: N,
    bytesPerRecord: round(bytes / N, 1),
    produce: { ms: produceMs, recordsPerSec: Math.round(N / (produceMs / 1000)) },
  };
  if (ONLY !== 'eos') Object.assign(result, await consumePhases(lib, kafka, target, format));
  if (ONLY !== 'consume') result.exactlyOnce = await eosPhases(lib, kafka, target, created);
  return result;
}

async function main(): Promise<void> {
  const lib = await loadPlatformaticKafka();
  const services = acquireServices();
  const kafka = benchKafka(services.brokers);
  const created: string[] = [];
  const formats: Format[] = ONLY === 'isolation' ? [] : FORMAT === 'both' ? ['avro', 'json'] : [FORMAT as Format];
  const results: FormatResult[] = [];
  let isolation: IsolationProbe | undefined;
  try {
    for (const f of formats)
      results.push(await benchFormat(lib, kafka, services.brokers, services.registryUrl, f, created));
    if (ONLY === '' || ONLY === 'isolation') {
      const config = benchConfig(services.brokers, services.registryUrl, benchTopics(randomName('bench-clients')));
      isolation = await isolationProbe(lib, kafka, services.brokers, config, created);
      showIsolation(isolation);
    }
  } finally {
    await deleteTopics(kafka, created).catch((err: unknown) =>
      console.error(`could not delete the bench topics: ${(err as Error).message}`),
    );
    services.release();
  }
  const summary = {
    n: N,
    series: SERIES,
    partitions: PARTITIONS,
    clients: { kafkajs: versionOf('kafkajs'), platformatic: versionOf('@platformatic/kafka') },
    statistic: 'one run per phase; wall time from group joined to the last record (exactly-once: to the last commit)',
    results,
    isolation,
  };
  if (ONLY === '' && PROFILE === '' && N >= 100_000) console.log(`wrote ${writeResult('clients', summary)}`);
  else console.log('partial run (--only / --profile / small --n): nothing recorded');
}

function showIsolation(p: IsolationProbe): void {
  console.log(`read_committed probe: ${p.aborted} records of 1 KiB aborted, then ${p.committed} committed`);
  for (const read of p.reads)
    for (const [client, r] of [
      ['kafkajs', read.kafkajs],
      ['@platformatic/kafka', read.platformatic],
    ] as const)
      console.log(
        `  fetch ${String(read.fetchBytesPerPartition).padStart(8)} B  ${client.padEnd(20)} ` +
          `${r.committed} committed, ${r.abortedDelivered} aborted delivered` +
          (r.error !== null ? `, failed: ${r.error}` : ''),
      );
}

/** The installed version (read from node_modules: @platformatic/kafka's exports hide its package.json). */
function versionOf(pkg: string): string {
  const file = join(__dirname, '..', 'node_modules', pkg, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

main().catch((err: unknown) => {
  // @platformatic/kafka nests the broker's answer (error codes per partition) a few levels deep.
  console.error(inspect(err, { depth: 8 }));
  process.exit(1);
});
