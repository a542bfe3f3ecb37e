/**
 * The figures the README and docs/benchmarks.md quote, each defined as a value of the runs
 * recorded in bench/results/<bench>/, and the tables that quote them. `npx tsx
 * bench/summarise.ts` prints every figure (min–max and the number of runs); `--write`
 * regenerates the tables between the docs' markers; a unit test fails when a table differs
 * from what the recorded runs give (test/unit/bench/figures.test.ts).
 *
 * `since` leaves out runs of code that has changed since (the table says from when); `select`
 * leaves out runs at other sizes than the bench's defaults (`--quick` runs are recorded too).
 */
import { at, type FigureSpec, type Json, type RunColumn } from './lib/figure-summary';

const size =
  (key: string, n: number) =>
  (r: Json): boolean =>
    at(r, key) === n;
const ofFormat =
  (format: string, ...path: string[]) =>
  (r: Json): number | undefined => {
    const hit = (Array.isArray(r.results) ? (r.results as Json[]) : []).find((x) => x.format === format);
    return hit === undefined ? undefined : at(hit, ...path);
  };
/** Pipeline events per CPU-second over raw + decode's, of one format: the ratio a loaded machine moves least. */
const cpuVsDecode =
  (format: string) =>
  (r: Json): number | undefined => {
    const pipelineCpu = ofFormat(format, 'pipeline', 'eventsPerCpuSec')(r);
    const decodeCpu = ofFormat(format, 'decode', 'eventsPerCpuSec')(r);
    return pipelineCpu === undefined || decodeCpu === undefined ? undefined : pipelineCpu / decodeCpu;
  };
const phase =
  (name: string, key: string) =>
  (r: Json): number | undefined => {
    const hit = (Array.isArray(r.results) ? (r.results as Json[]) : []).find((x) => x.name === name);
    return hit === undefined ? undefined : at(hit, key);
  };
/** A value of the run's result for `series` active series (the memory and stage-two benches). */
const ofSeries =
  (series: number, pick: (x: Json) => number | undefined) =>
  (r: Json): number | undefined => {
    const hit = (Array.isArray(r.results) ? (r.results as Json[]) : []).find((x) => x.series === series);
    return hit === undefined ? undefined : pick(hit);
  };
/** A value of the sharded stage two's result for `series` active series and `shards` shards. */
const ofShards =
  (series: number, shards: number, pick: (x: Json) => number | undefined) =>
  (r: Json): number | undefined => {
    const hit = (Array.isArray(r.sharded) ? (r.sharded as Json[]) : []).find(
      (x) => x.series === series && x.shards === shards,
    );
    return hit === undefined ? undefined : pick(hit);
  };
/** A value of the record-batch bench's row for one message shape and request size. */
const ofRecordBatch =
  (shape: string, messages: number, key: string) =>
  (r: Json): number | undefined => {
    const hit = (Array.isArray(r.rows) ? (r.rows as Json[]) : []).find(
      (x) => x.shape === shape && x.messages === messages,
    );
    return hit === undefined ? undefined : at(hit, key);
  };
/** A value of the record-decode bench's row for one record shape and batch size. */
const ofRecordDecode =
  (shape: string, perBatch: number, key: string) =>
  (r: Json): number | undefined => {
    const hit = (Array.isArray(r.rows) ? (r.rows as Json[]) : []).find(
      (x) => x.shape === shape && x.recordsPerBatch === perBatch,
    );
    return hit === undefined ? undefined : at(hit, key);
  };
const codec =
  (label: string) =>
  (r: Json): number | undefined => {
    const hit = (Array.isArray(r.results) ? (r.results as Json[]) : []).find((x) => x.label === label);
    return hit === undefined ? undefined : at(hit, 'perSec');
  };

/** The engine's packed series state (commit 28c906e): earlier engine, replay and memory runs measured the old one. */
const PACKED_STATE = '2026-11-27T15:00:00Z';
/** The transactional producers' 20 ms retry (commit f16795d): earlier latency runs had 300 ms stalls. */
const TX_RETRY = '2026-11-27T18:50:00Z';

const engineSize = size('n', 2_000_000);
/** The engine's headline figures: V8's default young generation (runs under another are listed, not quoted). */
const engine = (r: Json): boolean => engineSize(r) && at(r, 'maxSemiSpaceMB') === undefined;
const replay = (r: Json): boolean => at(r, 'n') === 2_000_000 && at(r, 'file', 'n') === 1_000_000;
/** The runner's default fetch size per partition, hence batch and transaction size (runs with another --max-bytes are quoted apart). */
const defaultFetch = (r: Json): boolean => (at(r, 'maxBytesPerPartition') ?? 1_048_576) === 1_048_576;
/** The pipeline bench's default shape: 10k series, about 100 records a series over five windows (older runs: 10k). */
const pipeline = (r: Json): boolean =>
  size('n', 1_000_000)(r) && (at(r, 'series') ?? 10_000) === 10_000 && defaultFetch(r) && r.windows === undefined;
/** The fleet shape: 100k series, two records a series and window, so about a final signal for every 2.5 records. */
const pipelineFleet = (r: Json): boolean =>
  size('n', 1_000_000)(r) && at(r, 'series') === 100_000 && defaultFetch(r) && r.windows === undefined;
/** A split stage two's busiest shard: its evaluation's ms per window (bench/latency.ts --decision-shards). */
const busiestShard = (r: Json): number | undefined => {
  const shards = (r.splitWork as { shards?: Json[] } | null | undefined)?.shards;
  if (!Array.isArray(shards) || shards.length === 0) return undefined;
  return Math.max(...shards.map((x) => at(x, 'msPerWindow') ?? 0));
};
const latency = (r: Json): boolean => (at(r, 'commands') ?? 0) >= 200;
const clients = size('n', 300_000);
/** Records of the aborted transaction a client delivered read_committed, in the probe's smallest fetch. */
const probe =
  (client: 'kafkajs' | 'platformatic') =>
  (r: Json): number | undefined => {
    const reads = (r.isolation as Json | undefined)?.reads;
    return Array.isArray(reads) && reads.length > 0 ? at(reads[0] as Json, client, 'abortedDelivered') : undefined;
  };

export const FIGURES: readonly FigureSpec[] = [
  {
    id: 'engine.tumbling',
    bench: 'engine',
    unit: 'perSec',
    since: PACKED_STATE,
    select: engine,
    value: (r) => at(r, 'eventsPerSec'),
    aim: { atLeast: 2e6 },
  },
  {
    id: 'engine.tumbling.cpu',
    bench: 'engine',
    unit: 'perSec',
    since: PACKED_STATE,
    select: engine,
    value: (r) => at(r, 'cpuEventsPerSec'),
  },
  {
    id: 'engine.hopping',
    bench: 'engine-hopping',
    unit: 'perSec',
    since: PACKED_STATE,
    select: engine,
    value: (r) => at(r, 'eventsPerSec'),
    aim: { atLeast: 2e6 },
  },
  {
    id: 'engine.hopping.cpu',
    bench: 'engine-hopping',
    unit: 'perSec',
    since: PACKED_STATE,
    select: engine,
    value: (r) => at(r, 'cpuEventsPerSec'),
  },
  {
    id: 'replay.core',
    bench: 'replay',
    unit: 'perSec',
    since: PACKED_STATE,
    select: replay,
    value: (r) => at(r, 'pipeline', 'eventsPerSec'),
    aim: { atLeast: 1e6 },
  },
  {
    id: 'replay.core.cpu',
    bench: 'replay',
    unit: 'perSec',
    since: PACKED_STATE,
    select: replay,
    value: (r) => at(r, 'pipeline', 'cpuEventsPerSec'),
    aim: { atLeast: 1e6 },
  },
  {
    id: 'replay.file',
    bench: 'replay',
    unit: 'perSec',
    since: PACKED_STATE,
    select: replay,
    value: (r) => at(r, 'file', 'eventsPerSec'),
    aim: { atLeast: 1e6 },
  },
  {
    id: 'replay.file.cpu',
    bench: 'replay',
    unit: 'perSec',
    since: PACKED_STATE,
    select: replay,
    value: (r) => at(r, 'file', 'cpuEventsPerSec'),
    aim: { atLeast: 1e6 },
  },
  {
    id: 'replay.file.vsJsonParse',
    bench: 'replay',
    unit: 'ratio',
    since: PACKED_STATE,
    select: replay,
    value: (r) => at(r, 'file', 'ratioToJsonParse'),
  },
  {
    id: 'codec.avro',
    bench: 'codec',
    unit: 'perSec',
    select: size('records', 100_000),
    value: codec('avro: homeostat decodeSync'),
    aim: { atLeast: 150_000 },
  },
  {
    id: 'codec.avro.vsAvsc',
    bench: 'codec',
    unit: 'ratio',
    select: size('records', 100_000),
    value: (r) => at(r, 'ratios', 'avroDecodeVsAvscFromBuffer'),
  },
  {
    id: 'codec.signalAvro.vsSchemaWalk',
    bench: 'codec',
    unit: 'ratio',
    select: size('records', 100_000),
    value: (r) => at(r, 'ratios', 'signalAvroEncodeVsNormalizeTs'),
  },
  {
    id: 'codec.signalJson.vsSchemaWalk',
    bench: 'codec',
    unit: 'ratio',
    select: size('records', 100_000),
    value: (r) => at(r, 'ratios', 'signalJsonEncodeVsNormalizeTs'),
  },
  {
    id: 'pipeline.avro',
    bench: 'pipeline',
    unit: 'perSec',
    since: PACKED_STATE,
    select: pipeline,
    value: ofFormat('avro', 'pipeline', 'eventsPerSec'),
    aim: { atLeast: 150_000 },
  },
  {
    id: 'pipeline.json',
    bench: 'pipeline',
    unit: 'perSec',
    since: PACKED_STATE,
    select: pipeline,
    value: ofFormat('json', 'pipeline', 'eventsPerSec'),
  },
  {
    id: 'pipeline.avro.vsRaw',
    bench: 'pipeline',
    unit: 'ratio',
    since: PACKED_STATE,
    select: pipeline,
    value: ofFormat('avro', 'ratioVsRaw'),
  },
  {
    // Issue #21's aim: against the same client's raw consumer *plus* Avro/JSON decoding, per
    // CPU-second (wall time on shared cores measures the neighbours as much as the pipeline).
    id: 'pipeline.avro.vsDecodeCpu',
    bench: 'pipeline',
    unit: 'ratio',
    since: PACKED_STATE,
    select: pipeline,
    value: cpuVsDecode('avro'),
    aim: { atLeast: 0.8 },
  },
  {
    id: 'pipeline.json.vsDecodeCpu',
    bench: 'pipeline',
    unit: 'ratio',
    since: PACKED_STATE,
    select: pipeline,
    value: cpuVsDecode('json'),
  },
  {
    id: 'pipeline.json.vsRaw',
    bench: 'pipeline',
    unit: 'ratio',
    since: PACKED_STATE,
    select: pipeline,
    value: ofFormat('json', 'ratioVsRaw'),
  },
  {
    id: 'pipeline.avro.raw',
    bench: 'pipeline',
    unit: 'perSec',
    since: PACKED_STATE,
    select: pipeline,
    value: ofFormat('avro', 'raw', 'eventsPerSec'),
  },
  {
    id: 'pipeline-fleet.avro.cpu',
    bench: 'pipeline',
    unit: 'perSec',
    select: pipelineFleet,
    value: ofFormat('avro', 'pipeline', 'eventsPerCpuSec'),
  },
  {
    id: 'pipeline-fleet.avro.vsDecodeCpu',
    bench: 'pipeline',
    unit: 'ratio',
    select: pipelineFleet,
    value: cpuVsDecode('avro'),
    aim: { atLeast: 0.8 },
  },
  {
    id: 'scaleout.single',
    bench: 'scale-out',
    unit: 'perSec',
    select: pipeline,
    value: phase('single', 'eventsPerSec'),
  },
  {
    id: 'scaleout.shared1',
    bench: 'scale-out',
    unit: 'perSec',
    select: pipeline,
    value: phase('shared-1', 'eventsPerSec'),
  },
  {
    id: 'scaleout.shared2',
    bench: 'scale-out',
    unit: 'perSec',
    select: pipeline,
    value: phase('shared-2', 'eventsPerSec'),
  },
  {
    id: 'scaleout.shared1.ratio',
    bench: 'scale-out',
    unit: 'ratio',
    select: pipeline,
    value: phase('shared-1', 'ratioToSingle'),
  },
  {
    id: 'scaleout.shared2.ratio',
    bench: 'scale-out',
    unit: 'ratio',
    select: pipeline,
    value: phase('shared-2', 'ratioToSingle'),
  },
  {
    id: 'latency.p50',
    bench: 'latency',
    unit: 'ms',
    since: TX_RETRY,
    select: latency,
    value: (r) => at(r, 'latencyMs', 'p50'),
  },
  {
    id: 'latency.p99',
    bench: 'latency',
    unit: 'ms',
    since: TX_RETRY,
    select: latency,
    value: (r) => at(r, 'latencyMs', 'p99'),
    aim: { atMost: 100 },
  },
  {
    id: 'latency.p99.vsTx',
    bench: 'latency',
    unit: 'ratio',
    since: TX_RETRY,
    select: latency,
    value: (r) => at(r, 'ratioP99VsBaseline'),
  },
  {
    id: 'latency-scale-out.p50',
    bench: 'latency-scale-out',
    unit: 'ms',
    since: TX_RETRY,
    select: latency,
    value: (r) => at(r, 'latencyMs', 'p50'),
  },
  ...(
    [
      [10_000, false],
      [30_000, false],
      [100_000, false],
      [100_000, true],
    ] as const
  ).map(([series, scaled]): FigureSpec => ({
    id: `fleet.${series / 1000}k.${scaled ? 'scaled' : 'single'}.p99`,
    bench: 'latency-fleet',
    unit: 'ms',
    select: (r) => at(r, 'workers') === series && r.scaleOut === scaled && !((at(r, 'decisionShards') ?? 0) > 0),
    value: (r) => at(r, 'latencyMs', 'p99'),
    aim: { atMost: 1000 },
  })),
  {
    id: 'latency-scale-out.p99',
    bench: 'latency-scale-out',
    unit: 'ms',
    since: TX_RETRY,
    select: latency,
    value: (r) => at(r, 'latencyMs', 'p99'),
    aim: { atMost: 100 },
  },
  {
    id: 'memory.10k',
    bench: 'memory',
    unit: 'bytes',
    since: PACKED_STATE,
    value: ofSeries(10_000, (x) => at(x, 'engine', 'bytesPerSeries')),
    aim: { atMost: 1024 },
  },
  {
    id: 'memory.100k',
    bench: 'memory',
    unit: 'bytes',
    since: PACKED_STATE,
    value: ofSeries(100_000, (x) => at(x, 'engine', 'bytesPerSeries')),
    aim: { atMost: 1024 },
  },
  {
    id: 'memory.1m',
    bench: 'memory',
    unit: 'bytes',
    since: PACKED_STATE,
    value: ofSeries(1_000_000, (x) => at(x, 'engine', 'bytesPerSeries')),
    aim: { atMost: 1024 },
  },
  {
    id: 'memory.10k.vsMap',
    bench: 'memory',
    unit: 'ratio',
    since: PACKED_STATE,
    value: ofSeries(10_000, (x) => at(x, 'ratio')),
  },
  {
    id: 'memory.100k.vsMap',
    bench: 'memory',
    unit: 'ratio',
    since: PACKED_STATE,
    value: ofSeries(100_000, (x) => at(x, 'ratio')),
  },
  {
    id: 'memory.1m.vsMap',
    bench: 'memory',
    unit: 'ratio',
    since: PACKED_STATE,
    value: ofSeries(1_000_000, (x) => at(x, 'ratio')),
  },
  {
    id: 'producer.sdk',
    bench: 'producer',
    unit: 'perSec',
    select: size('samples', 1_000_000),
    value: (r) => at(r, 'sdk', 'perSec'),
  },
  {
    id: 'producer.raw',
    bench: 'producer',
    unit: 'perSec',
    select: size('samples', 1_000_000),
    value: (r) => at(r, 'raw', 'perSec'),
  },
  {
    id: 'producer.vsRaw',
    bench: 'producer',
    unit: 'ratio',
    select: size('samples', 1_000_000),
    value: (r) => at(r, 'throughputRatio'),
  },
  {
    id: 'producer.smallBound.vsRaw',
    bench: 'producer',
    unit: 'ratio',
    select: size('samples', 1_000_000),
    value: (r) => at(r, 'throughputRatioSmallBound'),
  },
  {
    id: 'backoff.full50.calls',
    bench: 'backoff',
    unit: 'ratio',
    value: (r) =>
      at(
        (Array.isArray(r.results) ? (r.results as Json[]) : []).find(
          (x) => x.strategy === 'full' && x.clients === 50,
        ) ?? {},
        'callsRatio',
      ),
  },
  {
    id: 'stagetwo.100k.cpu',
    bench: 'stage-two',
    unit: 'perSec',
    value: ofSeries(100_000, (x) => at(x, 'cpuFinalsPerSec')),
  },
  {
    id: 'stagetwo.100k.release',
    bench: 'stage-two',
    unit: 'ms',
    value: ofSeries(100_000, (x) => at(x, 'releaseMs', 'max')),
  },
  {
    id: 'stagetwo.1m.release',
    bench: 'stage-two',
    unit: 'ms',
    value: ofSeries(1_000_000, (x) => at(x, 'releaseMs', 'max')),
    aim: { atMost: 1000 },
  },
  {
    id: 'stagetwo.1m.shards2.release',
    bench: 'stage-two',
    unit: 'ms',
    value: ofShards(1_000_000, 2, (x) => at(x, 'releaseMs', 'max')),
    aim: { atMost: 1000 },
  },
  {
    id: 'stagetwo.1m.shards2.arbiter',
    bench: 'stage-two',
    unit: 'ms',
    value: ofShards(1_000_000, 2, (x) => at(x, 'arbiterMs', 'max')),
  },
  { id: 'report.renderMs', bench: 'report-sample', unit: 'ms', value: (r) => at(r, 'renderMs') },
  { id: 'report.vsJson', bench: 'report-sample', unit: 'ratio', value: (r) => at(r, 'renderVsJsonRatio') },
];

const lat =
  (key: string, q: string): RunColumn['value'] =>
  (r) =>
    at(r, key, q);
const latencyColumns: RunColumn[] = [
  { title: 'commands', unit: 'count', value: (r) => at(r, 'latencyMs', 'n') },
  { title: 'p50', unit: 'ms', value: lat('latencyMs', 'p50') },
  { title: 'p90', unit: 'ms', value: lat('latencyMs', 'p90') },
  { title: 'p99', unit: 'ms', value: lat('latencyMs', 'p99') },
  { title: 'from produce p99', unit: 'ms', value: lat('fromProduceMs', 'p99') },
  { title: 'close→decided p99', unit: 'ms', value: lat('closeToDecidedMs', 'p99') },
  { title: 'decided→visible p99', unit: 'ms', value: lat('decidedToVisibleMs', 'p99') },
  { title: 'one transactional record p50', unit: 'ms', value: lat('baselineTransactionalVisibleMs', 'p50') },
  { title: 'p99', unit: 'ms', value: lat('baselineTransactionalVisibleMs', 'p99') },
];

/** A document table: figures filled into a template, or one row per recorded run of a bench. */
export type DocTable = { name: string; file: string } & (
  { template: string } | { bench: string; columns: readonly RunColumn[]; select?: (r: Json) => boolean }
);

/** Tables rendered into the docs, by region name; each lives in one file between its markers. */
export const TABLES: readonly DocTable[] = [
  {
    name: 'readme',
    file: 'README.md',
    template: `| benchmark | figure | baseline in the same run | aim |
|---|---|---|---|
| engine alone, pre-decoded records, 10k series, tumbling windows | {engine.tumbling} events/s, {engine.tumbling.cpu} per CPU-second ({engine.tumbling#}) | — | ≥ 2M: {engine.tumbling!} |
| engine, hopping windows (10 s / 2 s) | {engine.hopping} events/s, {engine.hopping.cpu} per CPU-second ({engine.hopping#}) | — | ≥ 2M: {engine.hopping!} |
| replay core (engine + scope merge + decisions) | {replay.core} events/s, {replay.core.cpu} per CPU-second ({replay.core#}) | — | ≥ 1M: {replay.core!}; per CPU-second {replay.core.cpu!} |
| \`replay --input\` from a JSONL file, parsing included | {replay.file} events/s, {replay.file.cpu} per CPU-second ({replay.file#}) | {replay.file.vsJsonParse} the same replay through \`JSON.parse\` | ≥ 1M: {replay.file!}; per CPU-second {replay.file.cpu!} |
| codec, Avro telemetry decode + validation | {codec.avro} records/s ({codec.avro#}) | {codec.avro.vsAvsc} avsc alone | ≥ 150k: {codec.avro!} |
| full pipeline on the real broker, 1M records | Avro {pipeline.avro}, JSON {pipeline.json} events/s ({pipeline.avro#}) | Avro {pipeline.avro.vsRaw}, JSON {pipeline.json.vsRaw} a raw kafkajs consumer (Avro {pipeline.avro.raw}/s); per CPU-second, Avro {pipeline.avro.vsDecodeCpu}, JSON {pipeline.json.vsDecodeCpu} a raw consumer + decoding | ≥ 150k Avro: {pipeline.avro!}; ≥ 0.8× raw + decoding, per CPU-second: {pipeline.avro.vsDecodeCpu!} |
| the same in the fleet shape: 100k series, a final signal written for every 2.5 records read | Avro {pipeline-fleet.avro.cpu} events per CPU-second ({pipeline-fleet.avro.cpu#}) | {pipeline-fleet.avro.vsDecodeCpu} a raw kafkajs consumer + avsc, per CPU-second | ≥ 0.8×: {pipeline-fleet.avro.vsDecodeCpu!} ([where it goes](docs/benchmarks.md#pipeline--end-to-end-throughput-on-the-real-broker-benchpipelinets), "The fleet shape") |
| scale-out (\`runner.scaleOut\`), 1M JSON records, 4 partitions | single owner {scaleout.single}, scaled out 1 process {scaleout.shared1}, 2 processes {scaleout.shared2} events/s ({scaleout.single#}) | 1 process {scaleout.shared1.ratio}, 2 processes {scaleout.shared2.ratio} the single owner; 2 cores shared with the broker | — |
| command latency, window close → visible to a read_committed consumer | single owner p50 {latency.p50}, p99 {latency.p99} ({latency.p99#}); scaled out p50 {latency-scale-out.p50}, p99 {latency-scale-out.p99} ({latency-scale-out.p99#}) | single-owner p99 {latency.p99.vsTx} one transactional record | p99 ≤ 100 ms: {latency.p99!}; scaled out {latency-scale-out.p99!} |
| stage two through the broker: one process, a fleet reporting once per 10 s window, a hundredth overloaded each window | window close → command visible p99, single owner: 10k {fleet.10k.single.p99}, 30k {fleet.30k.single.p99}, 100k {fleet.100k.single.p99} ({fleet.10k.single.p99#}, {fleet.30k.single.p99#}, {fleet.100k.single.p99#}); scaled out (stage topic), 100k {fleet.100k.scaled.p99} ({fleet.100k.scaled.p99#}) | — | ≤ 1 s: 10k {fleet.10k.single.p99!}, 30k {fleet.30k.single.p99!}, 100k {fleet.100k.single.p99!} ([why](docs/scale-out.md#through-the-broker-one-process-at-10k100k-series)) |
| engine state per active series (10k / 100k / 1M) | {memory.10k} / {memory.100k} / {memory.1m} ({memory.10k#}) | {memory.10k.vsMap} / {memory.100k.vsMap} / {memory.1m.vsMap} a bare Map of 4 numbers | ≤ 1 KiB: {memory.10k!} / {memory.100k!} / {memory.1m!} |
| telemetry producer SDK, 1M samples, bound 100k | {producer.sdk} samples/s ({producer.sdk#}) | {producer.vsRaw} a raw kafkajs producer ({producer.raw}/s); bound 20k {producer.smallBound.vsRaw} | — |
| client backoff simulation (AWS, 50 clients) | full jitter {backoff.full50.calls} the calls of no jitter ({backoff.full50.calls#}) | no jitter | — |
| stage two alone (policies, guardrails, signing, verification), 10 s windows, a new hundredth of the series overloaded each window | 100k series: {stagetwo.100k.cpu} finals per CPU-second, slowest window release → commands {stagetwo.100k.release} ({stagetwo.100k.cpu#}); 1M series: {stagetwo.1m.release} ({stagetwo.1m.release#}); split by target, 2 shards in threads: {stagetwo.1m.shards2.release}, of it the arbiter {stagetwo.1m.shards2.arbiter} ({stagetwo.1m.shards2.release#}) | — | 1M series within 1 s: {stagetwo.1m.release!}; 2 shards {stagetwo.1m.shards2.release!} ([why, and what it needs](docs/scale-out.md#how-far-one-stage-two-goes)) |
`,
  },
  {
    name: 'benchmarks',
    file: 'docs/benchmarks.md',
    template: `| bench | headline | vs baseline (same run) | aim | runs |
|---|---|---|---|---|
| engine | tumbling 10 s: {engine.tumbling} events/s ({engine.tumbling.cpu} per CPU-second), 10k series | — | ≥ 2M: {engine.tumbling!} | {engine.tumbling#}; {engine.tumbling@} |
| engine --hop | hopping 10 s / 2 s: {engine.hopping} events/s ({engine.hopping.cpu} per CPU-second) | — | ≥ 2M: {engine.hopping!} | {engine.hopping#}; {engine.hopping@} |
| codec | decode Avro {codec.avro} records/s; encode signals (the outputs) | decode {codec.avro.vsAvsc} avsc \`fromBuffer\`; signal encode Avro {codec.signalAvro.vsSchemaWalk}, JSON {codec.signalJson.vsSchemaWalk} the schema-walking check before it (alternating rounds) | ≥ 150k Avro/s: {codec.avro!} | {codec.avro#}; {codec.avro@} |
| backoff | full jitter at 50 clients: {backoff.full50.calls} the calls | vs exponential backoff without jitter | — | {backoff.full50.calls#}; deterministic (seeded) |
| replay | pure pipeline + decisions {replay.core} events/s ({replay.core.cpu} per CPU-second); file end to end {replay.file} ({replay.file.cpu} per CPU-second) | file {replay.file.vsJsonParse} its JSON.parse path | 1M/s: pipeline {replay.core!}, file {replay.file!}; per CPU-second {replay.core.cpu!}, {replay.file.cpu!} | {replay.core#}; {replay.core@} |
| memory | {memory.10k} / {memory.100k} / {memory.1m} per series at 10k / 100k / 1M | {memory.10k.vsMap} / {memory.100k.vsMap} / {memory.1m.vsMap} a Map of aggregates | ≤ 1 KiB: {memory.1m!} at 1M, {memory.10k!} at 10k | {memory.10k#}; {memory.10k@} |
| pipeline | Avro {pipeline.avro}, JSON {pipeline.json} events/s end to end (1M records) | Avro {pipeline.avro.vsRaw}, JSON {pipeline.json.vsRaw} a raw kafkajs consumer; Avro {pipeline.avro.vsDecodeCpu} a raw consumer + decoding, per CPU-second | ≥ 150k/s Avro: {pipeline.avro!}; ≥ 0.8× raw + decoding: {pipeline.avro.vsDecodeCpu!} | {pipeline.avro#}; {pipeline.avro@} |
| latency | command p50 {latency.p50}, p99 {latency.p99} after window close | p99 {latency.p99.vsTx} one transactional record | p99 ≤ 100 ms: {latency.p99!} | {latency.p99#}; {latency.p99@} |
| latency --scale-out | command p50 {latency-scale-out.p50}, p99 {latency-scale-out.p99} | — | p99 ≤ 100 ms: {latency-scale-out.p99!} | {latency-scale-out.p99#}; {latency-scale-out.p99@} |
| report-sample | render {report.renderMs} | {report.vsJson} \`JSON.stringify\` of the model | — | {report.renderMs#}; {report.renderMs@} |
| producer | SDK {producer.sdk} samples/s (1M samples, bound 100k) | {producer.vsRaw} a raw kafkajs producer ({producer.raw}/s); bound 20k {producer.smallBound.vsRaw} | — | {producer.sdk#}; {producer.sdk@} |
| scale-out | single owner {scaleout.single}; scaled out, 1 process {scaleout.shared1}, 2 processes {scaleout.shared2} events/s | 1 process {scaleout.shared1.ratio}, 2 processes {scaleout.shared2.ratio} the single owner | — | {scaleout.single#}; {scaleout.single@} |
`,
  },
  {
    name: 'scale-out',
    file: 'docs/scale-out.md',
    template: `| what | figure | how |
|---|---|---|
| throughput, 1M JSON records, 4 partitions, 2 cores shared with the broker ({scaleout.single#}) | single owner {scaleout.single} events/s; scaled out: 1 process {scaleout.shared1} ({scaleout.shared1.ratio} the single owner), 2 processes {scaleout.shared2} ({scaleout.shared2.ratio}) — the stage hop costs CPU per event (docs/benchmarks.md has the per-CPU-second figures of every run) | \`npx tsx bench/scale-out.ts\` (docs/benchmarks.md) |
| command latency, window close → command visible ({latency-scale-out.p99#}) | p50 {latency-scale-out.p50}, p99 {latency-scale-out.p99} (single owner: p99 {latency.p99}, {latency.p99#}) — the stage hop adds a transaction, but each partition's transactions run on their own producer | \`npx tsx bench/latency.ts --scale-out\` |
| 1 → 2 → 3 → 2 → 1 processes, one SIGKILLed mid-stream | 34 909 records, 179 commands, 317 decisions, 62 outcomes, 7 794 signals; **lost 0, duplicate command ids 0**; signals, commands, decisions and outcomes byte-identical to one uninterrupted process; commands and decisions byte-identical to a single-owner process; passed 15 of 15 runs in a row after the fixes above (48–51 s each) | \`npx jest --selectProjects faults --runInBand --forceExit test/faults/scale-out.test.ts\` |
`,
  },
  {
    name: 'runs-stage-two',
    file: 'docs/scale-out.md',
    bench: 'stage-two',
    columns: [10_000, 30_000, 50_000, 100_000, 200_000, 1_000_000].flatMap((n): RunColumn[] => {
      const label = n >= 1e6 ? '1M' : `${n / 1e3}k`;
      return [
        { title: `${label}: finals/s`, unit: 'perSec', value: ofSeries(n, (x) => at(x, 'finalsPerSec')) },
        // Wall figures swing with the shared machine's load; CPU-seconds less so.
        { title: 'per CPU-s', unit: 'perSec', value: ofSeries(n, (x) => at(x, 'cpuFinalsPerSec')) },
        { title: 'release → commands p50', unit: 'ms', value: ofSeries(n, (x) => at(x, 'releaseMs', 'p50')) },
        { title: 'max', unit: 'ms', value: ofSeries(n, (x) => at(x, 'releaseMs', 'max')) },
        { title: 'RSS MiB', unit: 'count', value: ofSeries(n, (x) => at(x, 'maxRssMiB')) },
      ];
    }),
  },
  {
    name: 'runs-stage-two-snapshot',
    file: 'docs/scale-out.md',
    bench: 'stage-two',
    select: (r) => Array.isArray(r.results) && (r.results as Json[]).some((x) => x.snapshot !== undefined),
    columns: [100_000, 1_000_000].flatMap((n): RunColumn[] => {
      const label = n >= 1e6 ? '1M' : `${n / 1e3}k`;
      const snap = (...path: string[]) => ofSeries(n, (x) => at(x, 'snapshot', ...path));
      const mib = (...path: string[]) =>
        ofSeries(n, (x) => {
          const b = at(x, 'snapshot', ...path);
          return b === undefined ? undefined : Math.round((b / 2 ** 20) * 10) / 10;
        });
      return [
        { title: `${label}: state()`, unit: 'ms', value: snap('stateMsPerWindow') },
        { title: 'JSON', unit: 'ms', value: snap('jsonMsPerWindow') },
        { title: 'JSON + gzip', unit: 'ms', value: snap('wholeJson', 'encodeMsPerWindow') },
        { title: 'frames', unit: 'ms', value: snap('frames', 'encodeMsPerWindow') },
        { title: 'ratio', unit: 'ratio', value: snap('encodeRatio') },
        { title: 'MiB JSON → frames', unit: 'count', value: mib('wholeJson', 'jsonBytes') },
        { title: '→', unit: 'count', value: mib('frames', 'inflatedBytes') },
        { title: 'gzip MiB', unit: 'count', value: mib('frames', 'bytes') },
        { title: 'chunks', unit: 'count', value: snap('frames', 'chunks') },
        { title: 'read back: JSON', unit: 'ms', value: snap('wholeJson', 'decodeMs') },
        { title: 'frames', unit: 'ms', value: snap('frames', 'decodeMs') },
        { title: 'per CPU-s with it', unit: 'perSec', value: snap('cpuFinalsPerSecWithSnapshot') },
      ];
    }),
  },
  {
    name: 'runs-stage-two-shards',
    file: 'docs/scale-out.md',
    bench: 'stage-two',
    select: (r) => Array.isArray(r.sharded),
    columns: [10_000, 100_000, 1_000_000].flatMap((n): RunColumn[] => {
      const label = n >= 1e6 ? '1M' : `${n / 1e3}k`;
      return [
        {
          title: `${label}, 1 shard: per CPU-s`,
          unit: 'perSec',
          value: ofShards(n, 1, (x) => at(x, 'cpuFinalsPerSec')),
        },
        { title: 'release → commands p50', unit: 'ms', value: ofShards(n, 1, (x) => at(x, 'releaseMs', 'p50')) },
        { title: 'arbiter p50', unit: 'ms', value: ofShards(n, 1, (x) => at(x, 'arbiterMs', 'p50')) },
        { title: '2 shards: release p50', unit: 'ms', value: ofShards(n, 2, (x) => at(x, 'releaseMs', 'p50')) },
        {
          title: 'per CPU-s vs 1',
          unit: 'ratio',
          value: ofShards(n, 2, (x) => at(x, 'vsOneShard', 'cpuFinalsPerSec')),
        },
        { title: '4 shards: release p50', unit: 'ms', value: ofShards(n, 4, (x) => at(x, 'releaseMs', 'p50')) },
        // Runs since the shards build from the arbiter's verdicts: the arbiter only judges and verifies.
        ...(n < 1e6
          ? []
          : ([
              { title: '2 shards: arbiter p50', unit: 'ms', value: ofShards(n, 2, (x) => at(x, 'arbiterMs', 'p50')) },
              { title: 'max', unit: 'ms', value: ofShards(n, 2, (x) => at(x, 'arbiterMs', 'max')) },
              {
                title: 'shards building p50',
                unit: 'ms',
                value: ofShards(n, 2, (x) => at(x, 'shardBuildMs', 'p50')),
              },
            ] satisfies RunColumn[])),
      ];
    }),
  },
  {
    name: 'runs-pipeline',
    file: 'docs/benchmarks.md',
    bench: 'pipeline',
    select: pipeline,
    columns: [
      { title: 'Avro raw', unit: 'perSec', value: ofFormat('avro', 'raw', 'eventsPerSec') },
      { title: 'Avro raw + decode', unit: 'perSec', value: ofFormat('avro', 'decode', 'eventsPerSec') },
      { title: 'Avro pipeline', unit: 'perSec', value: ofFormat('avro', 'pipeline', 'eventsPerSec') },
      { title: 'per CPU-s', unit: 'perSec', value: ofFormat('avro', 'pipeline', 'eventsPerCpuSec') },
      { title: 'Avro / raw', unit: 'ratio', value: ofFormat('avro', 'ratioVsRaw') },
      { title: 'Avro / raw + decode', unit: 'ratio', value: ofFormat('avro', 'ratioVsDecode') },
      { title: 'same, per CPU-s', unit: 'ratio', value: cpuVsDecode('avro') },
      { title: 'JSON raw', unit: 'perSec', value: ofFormat('json', 'raw', 'eventsPerSec') },
      { title: 'JSON pipeline', unit: 'perSec', value: ofFormat('json', 'pipeline', 'eventsPerSec') },
      { title: 'JSON / raw', unit: 'ratio', value: ofFormat('json', 'ratioVsRaw') },
      { title: 'JSON / raw + decode', unit: 'ratio', value: ofFormat('json', 'ratioVsDecode') },
      { title: 'same, per CPU-s', unit: 'ratio', value: cpuVsDecode('json') },
      { title: 'Avro transactions', unit: 'count', value: ofFormat('avro', 'pipeline', 'counters', 'transactions') },
    ],
  },
  {
    name: 'runs-pipeline-fleet',
    file: 'docs/benchmarks.md',
    bench: 'pipeline',
    select: pipelineFleet,
    columns: [
      { title: 'Avro raw + decode', unit: 'perSec', value: ofFormat('avro', 'decode', 'eventsPerSec') },
      { title: 'Avro pipeline', unit: 'perSec', value: ofFormat('avro', 'pipeline', 'eventsPerSec') },
      { title: 'per CPU-s', unit: 'perSec', value: ofFormat('avro', 'pipeline', 'eventsPerCpuSec') },
      { title: 'Avro / raw + decode, per CPU-s', unit: 'ratio', value: cpuVsDecode('avro') },
      { title: 'final signals', unit: 'count', value: ofFormat('avro', 'pipeline', 'counters', 'signalsWritten') },
      { title: 'JSON pipeline per CPU-s', unit: 'perSec', value: ofFormat('json', 'pipeline', 'eventsPerCpuSec') },
      { title: 'JSON / raw + decode, per CPU-s', unit: 'ratio', value: cpuVsDecode('json') },
    ],
  },
  {
    name: 'runs-record-batch',
    file: 'docs/benchmarks.md',
    bench: 'record-batch',
    select: (r) => (at(r, 'rounds') ?? 0) >= 9, // --quick runs (3 rounds) left out
    columns: (
      [
        ['signal records', 1],
        ['signal records', 3_300],
        ['signal records', 33_000],
        ['stage records (one header)', 3_300],
      ] as const
    ).flatMap(([shape, n]): RunColumn[] => {
      const label = `${shape.startsWith('signal') ? 'signals' : 'stage records'}, ${n} a request`;
      const ofRow = (key: string) => ofRecordBatch(shape, n, key);
      return [
        { title: `${label}: kafkajs µs/record`, unit: 'count', value: ofRow('kafkajsUs') },
        { title: 'of it its Records', unit: 'count', value: ofRow('kafkajsRecordsUs') },
        { title: 'its CRC-32C', unit: 'count', value: ofRow('kafkajsCrcUs') },
        { title: 'fast µs/record', unit: 'count', value: ofRow('fastUs') },
        { title: 'kafkajs / fast', unit: 'ratio', value: ofRow('ratio') },
      ];
    }),
  },
  {
    name: 'runs-record-decode',
    file: 'docs/benchmarks.md',
    bench: 'record-decode',
    select: (r) => (at(r, 'rounds') ?? 0) >= 9,
    columns: (
      [
        ['telemetry records', 1],
        ['telemetry records', 100],
        ['telemetry records', 1_000],
        ['stage records (one header)', 1_000],
      ] as const
    ).flatMap(([shape, n]): RunColumn[] => {
      const label = `${shape.startsWith('telemetry') ? 'telemetry' : 'stage records'}, ${n} a batch`;
      return [
        { title: `${label}: kafkajs µs/record`, unit: 'count', value: ofRecordDecode(shape, n, 'kafkajsUs') },
        { title: 'fast µs/record', unit: 'count', value: ofRecordDecode(shape, n, 'fastUs') },
        { title: 'kafkajs / fast', unit: 'ratio', value: ofRecordDecode(shape, n, 'ratio') },
      ];
    }),
  },
  { name: 'runs-latency', file: 'docs/benchmarks.md', bench: 'latency', select: latency, columns: latencyColumns },
  {
    name: 'runs-latency-fleet',
    file: 'docs/scale-out.md',
    bench: 'latency-fleet',
    columns: [
      { title: 'series', unit: 'count', value: (r) => at(r, 'workers') },
      // 1: runner.scaleOut (stage one, the stage topic, stage two in one process); 0: the single owner.
      {
        title: 'scaled out',
        unit: 'count',
        value: (r) => (typeof r.scaleOut === 'boolean' ? Number(r.scaleOut) : undefined),
      },
      // runner.decisionShards: stage two split over that many shards and an arbiter (in the bench's one process).
      { title: 'decision shards', unit: 'count', value: (r) => at(r, 'decisionShards') },
      // Split runs: 1 when the shards built and signed the commands (the second hop), 0 when the arbiter did.
      {
        title: 'shards sign',
        unit: 'count',
        value: (r) => ((at(r, 'decisionShards') ?? 0) > 0 ? Number(r.splitBuildsInShards === true) : undefined),
      },
      { title: 'close → visible p50', unit: 'ms', value: lat('latencyMs', 'p50') },
      { title: 'p99', unit: 'ms', value: lat('latencyMs', 'p99') },
      { title: 'close → decided p50', unit: 'ms', value: lat('closeToDecidedMs', 'p50') },
      { title: 'decided → visible p50', unit: 'ms', value: lat('decidedToVisibleMs', 'p50') },
      { title: 'process CPU-s', unit: 'count', value: (r) => at(r, 'process', 'cpuSeconds') },
      { title: 'wall s', unit: 'count', value: (r) => at(r, 'seconds') },
      { title: 'RSS MiB', unit: 'count', value: (r) => at(r, 'process', 'maxRssMiB') },
      { title: 'busiest shard ms/window', unit: 'ms', value: busiestShard },
      { title: 'arbiter ms/window', unit: 'ms', value: (r) => at(r, 'splitWork', 'arbiter', 'msPerWindow') },
    ],
  },
  {
    name: 'runs-latency-scale-out',
    file: 'docs/benchmarks.md',
    bench: 'latency-scale-out',
    select: latency,
    columns: latencyColumns,
  },
  {
    name: 'runs-memory',
    file: 'docs/benchmarks.md',
    bench: 'memory',
    columns: [10_000, 100_000, 1_000_000].flatMap((n): RunColumn[] => {
      const label = n >= 1e6 ? '1M' : `${n / 1e3}k`;
      return [
        { title: `${label}: B/series`, unit: 'bytes', value: ofSeries(n, (x) => at(x, 'engine', 'bytesPerSeries')) },
        { title: 'after close', unit: 'bytes', value: ofSeries(n, (x) => at(x, 'engine', 'afterCloseBytesPerSeries')) },
        { title: 'Map', unit: 'bytes', value: ofSeries(n, (x) => at(x, 'baseline', 'bytesPerSeries')) },
        { title: 'ratio', unit: 'ratio', value: ofSeries(n, (x) => at(x, 'ratio')) },
      ];
    }),
  },
  {
    name: 'runs-replay',
    file: 'docs/benchmarks.md',
    bench: 'replay',
    select: replay,
    columns: [
      { title: 'core', unit: 'perSec', value: (r) => at(r, 'pipeline', 'eventsPerSec') },
      { title: 'core per CPU-s', unit: 'perSec', value: (r) => at(r, 'pipeline', 'cpuEventsPerSec') },
      { title: 'file end to end', unit: 'perSec', value: (r) => at(r, 'file', 'eventsPerSec') },
      { title: 'per CPU-s', unit: 'perSec', value: (r) => at(r, 'file', 'cpuEventsPerSec') },
      { title: 'JSON.parse path', unit: 'perSec', value: (r) => at(r, 'fileJsonParse', 'eventsPerSec') },
      { title: 'file / JSON.parse path', unit: 'ratio', value: (r) => at(r, 'file', 'ratioToJsonParse') },
      { title: 'reader alone', unit: 'perSec', value: (r) => at(r, 'fileRead', 'eventsPerSec') },
      { title: 'importer alone', unit: 'perSec', value: (r) => at(r, 'fileParse', 'eventsPerSec') },
    ],
  },
  {
    name: 'runs-scale-out',
    file: 'docs/benchmarks.md',
    bench: 'scale-out',
    select: pipeline,
    columns: [
      { title: 'single owner', unit: 'perSec', value: phase('single', 'eventsPerSec') },
      { title: 'per CPU-s', unit: 'perSec', value: phase('single', 'eventsPerCpuSec') },
      { title: 'scaled out, 1 process', unit: 'perSec', value: phase('shared-1', 'eventsPerSec') },
      { title: 'vs single', unit: 'ratio', value: phase('shared-1', 'ratioToSingle') },
      { title: 'per CPU-s', unit: 'perSec', value: phase('shared-1', 'eventsPerCpuSec') },
      { title: '2 processes', unit: 'perSec', value: phase('shared-2', 'eventsPerSec') },
      { title: 'vs single', unit: 'ratio', value: phase('shared-2', 'ratioToSingle') },
      { title: 'per CPU-s', unit: 'perSec', value: phase('shared-2', 'eventsPerCpuSec') },
    ],
  },
  ...(['engine', 'engine-hopping'] as const).map((bench) => ({
    name: `runs-${bench}`,
    file: 'docs/benchmarks.md',
    bench,
    select: engineSize,
    columns: [
      {
        title: `${bench === 'engine' ? 'tumbling' : 'hopping'} events/s`,
        unit: 'perSec',
        value: (r: Json) => at(r, 'eventsPerSec'),
      },
      { title: 'per CPU-s', unit: 'perSec', value: (r: Json) => at(r, 'cpuEventsPerSec') },
      { title: 'semi-space MB (— default)', unit: 'count', value: (r: Json) => at(r, 'maxSemiSpaceMB') },
    ] satisfies RunColumn[],
  })),
  {
    name: 'runs-clients-consume',
    file: 'docs/benchmarks.md',
    bench: 'clients',
    select: clients,
    columns: (['avro', 'json'] as const).flatMap((f): RunColumn[] => [
      {
        title: `${f === 'avro' ? 'Avro' : 'JSON'}: kafkajs per CPU-s`,
        unit: 'perSec',
        value: ofFormat(f, 'count', 'kafkajs', 'recordsPerCpuSec'),
      },
      {
        title: 'platformatic per CPU-s',
        unit: 'perSec',
        value: ofFormat(f, 'count', 'platformatic', 'recordsPerCpuSec'),
      },
      { title: 'ratio', unit: 'ratio', value: ofFormat(f, 'count', 'ratioPerCpuSec') },
      { title: 'wall ratio', unit: 'ratio', value: ofFormat(f, 'count', 'ratio') },
      { title: '+ decode: ratio per CPU-s', unit: 'ratio', value: ofFormat(f, 'decode', 'ratioPerCpuSec') },
      { title: 'wall ratio', unit: 'ratio', value: ofFormat(f, 'decode', 'ratio') },
    ]),
  },
  {
    name: 'runs-clients-eos',
    file: 'docs/benchmarks.md',
    bench: 'clients',
    select: clients,
    columns: [
      ...(['avro', 'json'] as const).flatMap((f): RunColumn[] => [
        {
          title: `${f === 'avro' ? 'Avro' : 'JSON'}: kafkajs`,
          unit: 'perSec',
          value: ofFormat(f, 'exactlyOnce', 'kafkajs', 'recordsPerSec'),
        },
        { title: 'platformatic', unit: 'perSec', value: ofFormat(f, 'exactlyOnce', 'platformatic', 'recordsPerSec') },
        { title: 'ratio', unit: 'ratio', value: ofFormat(f, 'exactlyOnce', 'ratio') },
        { title: 'per CPU-s ratio', unit: 'ratio', value: ofFormat(f, 'exactlyOnce', 'ratioPerCpuSec') },
      ]),
      { title: 'aborted records delivered, platformatic (16 KiB fetch)', unit: 'count', value: probe('platformatic') },
      { title: 'kafkajs', unit: 'count', value: probe('kafkajs') },
    ],
  },
  {
    name: 'runs-producer',
    file: 'docs/benchmarks.md',
    bench: 'producer',
    columns: [
      { title: 'raw kafkajs', unit: 'perSec', value: (r) => at(r, 'raw', 'perSec') },
      { title: 'SDK, bound 100k', unit: 'perSec', value: (r) => at(r, 'sdk', 'perSec') },
      { title: 'SDK / raw', unit: 'ratio', value: (r) => at(r, 'throughputRatio') },
      { title: 'SDK, bound 20k', unit: 'perSec', value: (r) => at(r, 'sdkSmallBound', 'perSec') },
      { title: 'SDK / raw', unit: 'ratio', value: (r) => at(r, 'throughputRatioSmallBound') },
    ],
  },
];
