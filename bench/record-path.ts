/**
 * The pipeline's per-record path after the client, offline: the telemetry reader of the
 * Kafka driver (the one-pass Avro or JSON reader) and the processor's step, on the pipeline
 * bench's records (bench/lib/telemetry.ts: 10k series, 2k sources, tags for the default
 * scopes), without a broker — so that a change to that path is measured apart from kafkajs,
 * whose share of the pipeline's CPU (and noise) is larger than the path's.
 *
 *   npx tsx bench/record-path.ts [--n 1000000] [--rounds 4] [--format avro|json|both] [--series 10000] [--batch 100]
 *
 * `--series 100000` is the pipeline bench's fleet shape (20k sources, a final for every 2.5 records).
 *
 * Encodes N records (Confluent-framed Avro and canonical JSON), each in a buffer of its own,
 * then per round: (1) the reader alone over all of them, (2) the reader and a fresh
 * processor's step (decode → windows → signals), in CPU time of this process. Baseline in the
 * same run: (1), so step = (2) − (1). And (3): the same step over records read beforehand
 * (untimed), as the engine bench feeds its engine, so that (2) − (1) − (3) is what reading and
 * stepping in turn cost each other (caches, young-generation garbage), not either's own work.
 * Prints ns per record per round and the median; writes
 * bench/results/record-path/<ISO time>.json. Run it on two commits, alternating, to compare.
 * Before the rounds, untimed: how many records got a tags object other than their source's last.
 */
import { createTelemetryAvroEncoder, DEFAULT_TELEMETRY_LIMITS, encodeTelemetryJson, HEADER_SIZE } from '../src/codec';
import { readTelemetryFast } from '../src/codec/telemetry-avro-fast';
import { readTelemetryJsonFast } from '../src/codec/telemetry-json-fast';
import { resolveEngineConfig } from '../src/core/config';
import type { EngineInput } from '../src/core';
import type { Telemetry } from '../src/model/telemetry';
import { createProcessor, emptyOutputs } from '../src/pipeline/processor';
import { createFleet } from './lib/telemetry';
import { argNumber, argString, quantile, round, writeResult } from './lib/results';

const N = Math.floor(argNumber('n', 1_000_000));
const ROUNDS = Math.floor(argNumber('rounds', 4));
const FORMAT = argString('format', 'both');
const SERIES = Math.floor(argNumber('series', 10_000));
const PARTITIONS = 3;
/** --batch B: a fourth pass reads B records, then steps those B, and so on (0: no such pass). */
const BATCH = Math.floor(argNumber('batch', 0));

type Format = 'avro' | 'json';

function encodeAll(format: Format): Buffer[] {
  const fleet = createFleet({
    series: SERIES,
    t0: Date.UTC(2026, 0, 1),
    eventsPerSecond: 20_000,
    disorderMs: 500,
    seed: 42,
  });
  const avro = createTelemetryAvroEncoder(1);
  const out = new Array<Buffer>(N);
  for (let i = 0; i < N; i++) {
    const t = fleet.next();
    // A copy: the encoder reuses its scratch buffer.
    out[i] = Buffer.from(format === 'avro' ? avro.encode(t) : encodeTelemetryJson(t));
  }
  return out;
}

function reader(format: Format): (b: Buffer) => Telemetry | undefined {
  const limits = DEFAULT_TELEMETRY_LIMITS;
  return format === 'avro'
    ? (b) => readTelemetryFast(b, HEADER_SIZE, limits)
    : (b) => readTelemetryJsonFast(b, 0, limits);
}

/**
 * A fresh processor and the step of record i through it, as the driver steps it (one input object
 * reused, the outputs dropped now and then so that they do not pile up over a million records).
 */
function recordStepper(): (i: number, rec: Telemetry) => void {
  const proc = createProcessor({ engine: resolveEngineConfig({}), partitionCount: PARTITIONS });
  const out = emptyOutputs();
  const input: Extract<EngineInput, { kind: 'record' }> = {
    kind: 'record',
    partition: 0,
    offset: '0',
    record: null as unknown as Telemetry,
  };
  return (i, rec) => {
    input.partition = i % PARTITIONS;
    input.offset = String(i);
    input.record = rec;
    proc.step(input, out);
    if (out.published.length > 10_000) {
      out.published.length = 0;
      out.finals.length = 0;
    }
  };
}

/**
 * CPU ns per record of reading every buffer, and stepping the records through a processor when
 * `step`; with `decoded`, the same step over records read beforehand (untimed), as the engine
 * bench feeds its engine: nothing runs between two records but the step.
 */
function pass(
  bufs: readonly Buffer[],
  read: (b: Buffer) => Telemetry | undefined,
  step: boolean,
  decoded?: readonly Telemetry[],
): number {
  const stepRecord = recordStepper();
  let sink = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < bufs.length; i++) {
    const rec = decoded !== undefined ? decoded[i] : read(bufs[i]);
    if (rec === undefined) throw new Error(`record ${i} left the one-pass reader`);
    if (!step) {
      sink += rec.value;
      continue;
    }
    stepRecord(i, rec);
  }
  const used = process.cpuUsage(t0);
  if (Number.isNaN(sink)) throw new Error('unreachable');
  return ((used.user + used.system) * 1000) / bufs.length;
}

/** CPU ns per record of reading BATCH records into an array, then stepping them, and so on. */
function batchedPass(bufs: readonly Buffer[], read: (b: Buffer) => Telemetry | undefined): number {
  const stepRecord = recordStepper();
  const held = new Array<Telemetry>(BATCH);
  const t0 = process.cpuUsage();
  for (let from = 0; from < bufs.length; from += BATCH) {
    const n = Math.min(BATCH, bufs.length - from);
    for (let k = 0; k < n; k++) {
      const rec = read(bufs[from + k]);
      if (rec === undefined) throw new Error(`record ${from + k} left the one-pass reader`);
      held[k] = rec;
    }
    for (let k = 0; k < n; k++) {
      stepRecord(from + k, held[k]);
    }
  }
  const used = process.cpuUsage(t0);
  return ((used.user + used.system) * 1000) / bufs.length;
}

/**
 * Untimed: how many records got a tags object other than the one their source's last record
 * got — a miss of the reader's remembered tags (tags-memo.ts), which takes the engine's series
 * hint on them with it. At least one per source; more when the string table evicts sources.
 */
function freshTags(bufs: readonly Buffer[], read: (b: Buffer) => Telemetry | undefined): number {
  const last = new Map<string, object | undefined>();
  let fresh = 0;
  for (const b of bufs) {
    const rec = read(b)!;
    if (last.get(rec.source) !== rec.tags) {
      fresh++;
      last.set(rec.source, rec.tags);
    }
  }
  return fresh;
}

const median = (xs: number[]): number =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

function main(): void {
  const formats: Format[] = FORMAT === 'both' ? ['avro', 'json'] : [FORMAT as Format];
  const results: Record<string, unknown> = {};
  for (const format of formats) {
    const bufs = encodeAll(format);
    const read = reader(format);
    const fresh = freshTags(bufs, read);
    console.log(`${format}: ${fresh} records of ${N} got tags other than their source's last (the first pass)`);
    // Read once, untimed, for the third pass: records as the engine bench gets them.
    const decoded = bufs.map((b) => read(b) as Telemetry);
    const decode: number[] = [];
    const all: number[] = [];
    const alone: number[] = [];
    const batched: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      decode.push(pass(bufs, read, false));
      all.push(pass(bufs, read, true));
      alone.push(pass(bufs, read, true, decoded));
      if (BATCH > 0) batched.push(batchedPass(bufs, read));
      console.log(
        `${format} round ${r + 1}: read ${decode[r].toFixed(0)} ns, read + step ${all[r].toFixed(0)} ns, ` +
          `step of pre-read records ${alone[r].toFixed(0)} ns` +
          (BATCH > 0 ? `, read and step by ${BATCH} ${batched[r].toFixed(0)} ns` : '') +
          ' per record (CPU)',
      );
    }
    const steps = all.map((a, i) => a - decode[i]);
    const summary = {
      readNs: round(median(decode), 1),
      readAndStepNs: round(median(all), 1),
      stepNs: round(median(steps), 1),
      stepPreReadNs: round(median(alone), 1),
      ...(BATCH > 0 ? { batch: BATCH, readAndStepByBatchNs: round(median(batched), 1) } : {}),
      freshTags: fresh,
      rounds: {
        readNs: decode.map((x) => round(x, 1)),
        readAndStepNs: all.map((x) => round(x, 1)),
        stepPreReadNs: alone.map((x) => round(x, 1)),
        ...(BATCH > 0 ? { readAndStepByBatchNs: batched.map((x) => round(x, 1)) } : {}),
      },
    };
    console.log(
      `${format}: median read ${summary.readNs} ns, read + step ${summary.readAndStepNs} ns, step ${summary.stepNs} ns; ` +
        `step of pre-read records ${summary.stepPreReadNs} ns`,
    );
    results[format] = summary;
  }
  const file = writeResult('record-path', { n: N, rounds: ROUNDS, series: SERIES, partitions: PARTITIONS, ...results });
  console.log(`wrote ${file}`);
}

main();
