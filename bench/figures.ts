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
import { at, type FigureSpec, type Json } from './lib/figure-summary';

const size = (key: string, n: number) => (r: Json): boolean => at(r, key) === n;
const ofFormat = (format: string, ...path: string[]) => (r: Json): number | undefined => {
  const hit = (Array.isArray(r.results) ? (r.results as Json[]) : []).find((x) => x.format === format);
  return hit === undefined ? undefined : at(hit, ...path);
};
const phase = (name: string, key: string) => (r: Json): number | undefined => {
  const hit = (Array.isArray(r.results) ? (r.results as Json[]) : []).find((x) => x.name === name);
  return hit === undefined ? undefined : at(hit, key);
};
const memoryAt = (series: number, pick: (x: Json) => number | undefined) => (r: Json): number | undefined => {
  const hit = (Array.isArray(r.results) ? (r.results as Json[]) : []).find((x) => x.series === series);
  return hit === undefined ? undefined : pick(hit);
};
const codec = (label: string) => (r: Json): number | undefined => {
  const hit = (Array.isArray(r.results) ? (r.results as Json[]) : []).find((x) => x.label === label);
  return hit === undefined ? undefined : at(hit, 'perSec');
};

/** The engine's packed series state (commit 28c906e): earlier engine, replay and memory runs measured the old one. */
const PACKED_STATE = '2026-11-27T15:00:00Z';
/** The transactional producers' 20 ms retry (commit f16795d): earlier latency runs had 300 ms stalls. */
const TX_RETRY = '2026-11-27T18:50:00Z';

const engine = size('n', 2_000_000);
const replay = (r: Json): boolean => at(r, 'n') === 2_000_000 && at(r, 'file', 'n') === 1_000_000;
const pipeline = size('n', 1_000_000);
const latency = (r: Json): boolean => (at(r, 'commands') ?? 0) >= 200;

export const FIGURES: readonly FigureSpec[] = [
  { id: 'engine.tumbling', bench: 'engine', unit: 'perSec', since: PACKED_STATE, select: engine, value: (r) => at(r, 'eventsPerSec'), aim: { atLeast: 2e6 } },
  { id: 'engine.tumbling.cpu', bench: 'engine', unit: 'perSec', since: PACKED_STATE, select: engine, value: (r) => at(r, 'cpuEventsPerSec') },
  { id: 'engine.hopping', bench: 'engine-hopping', unit: 'perSec', since: PACKED_STATE, select: engine, value: (r) => at(r, 'eventsPerSec'), aim: { atLeast: 2e6 } },
  { id: 'engine.hopping.cpu', bench: 'engine-hopping', unit: 'perSec', since: PACKED_STATE, select: engine, value: (r) => at(r, 'cpuEventsPerSec') },
  { id: 'replay.core', bench: 'replay', unit: 'perSec', since: PACKED_STATE, select: replay, value: (r) => at(r, 'pipeline', 'eventsPerSec'), aim: { atLeast: 1e6 } },
  { id: 'replay.core.cpu', bench: 'replay', unit: 'perSec', since: PACKED_STATE, select: replay, value: (r) => at(r, 'pipeline', 'cpuEventsPerSec'), aim: { atLeast: 1e6 } },
  { id: 'replay.file', bench: 'replay', unit: 'perSec', since: PACKED_STATE, select: replay, value: (r) => at(r, 'file', 'eventsPerSec'), aim: { atLeast: 1e6 } },
  { id: 'replay.file.cpu', bench: 'replay', unit: 'perSec', since: PACKED_STATE, select: replay, value: (r) => at(r, 'file', 'cpuEventsPerSec'), aim: { atLeast: 1e6 } },
  { id: 'replay.file.vsJsonParse', bench: 'replay', unit: 'ratio', since: PACKED_STATE, select: replay, value: (r) => at(r, 'file', 'ratioToJsonParse') },
  { id: 'codec.avro', bench: 'codec', unit: 'perSec', select: size('records', 100_000), value: codec('avro: homeostat decodeSync'), aim: { atLeast: 150_000 } },
  { id: 'codec.avro.vsAvsc', bench: 'codec', unit: 'ratio', select: size('records', 100_000), value: (r) => at(r, 'ratios', 'avroDecodeVsAvscFromBuffer') },
  { id: 'pipeline.avro', bench: 'pipeline', unit: 'perSec', since: PACKED_STATE, select: pipeline, value: ofFormat('avro', 'pipeline', 'eventsPerSec'), aim: { atLeast: 150_000 } },
  { id: 'pipeline.json', bench: 'pipeline', unit: 'perSec', since: PACKED_STATE, select: pipeline, value: ofFormat('json', 'pipeline', 'eventsPerSec') },
  { id: 'pipeline.avro.vsRaw', bench: 'pipeline', unit: 'ratio', since: PACKED_STATE, select: pipeline, value: ofFormat('avro', 'ratioVsRaw'), aim: { atLeast: 0.8 } },
  { id: 'pipeline.json.vsRaw', bench: 'pipeline', unit: 'ratio', since: PACKED_STATE, select: pipeline, value: ofFormat('json', 'ratioVsRaw') },
  { id: 'pipeline.avro.raw', bench: 'pipeline', unit: 'perSec', since: PACKED_STATE, select: pipeline, value: ofFormat('avro', 'raw', 'eventsPerSec') },
  { id: 'scaleout.single', bench: 'scale-out', unit: 'perSec', select: pipeline, value: phase('single', 'eventsPerSec') },
  { id: 'scaleout.shared1', bench: 'scale-out', unit: 'perSec', select: pipeline, value: phase('shared-1', 'eventsPerSec') },
  { id: 'scaleout.shared2', bench: 'scale-out', unit: 'perSec', select: pipeline, value: phase('shared-2', 'eventsPerSec') },
  { id: 'scaleout.shared1.ratio', bench: 'scale-out', unit: 'ratio', select: pipeline, value: phase('shared-1', 'ratioToSingle') },
  { id: 'scaleout.shared2.ratio', bench: 'scale-out', unit: 'ratio', select: pipeline, value: phase('shared-2', 'ratioToSingle') },
  { id: 'latency.p50', bench: 'latency', unit: 'ms', since: TX_RETRY, select: latency, value: (r) => at(r, 'latencyMs', 'p50') },
  { id: 'latency.p99', bench: 'latency', unit: 'ms', since: TX_RETRY, select: latency, value: (r) => at(r, 'latencyMs', 'p99'), aim: { atMost: 100 } },
  { id: 'latency.p99.vsTx', bench: 'latency', unit: 'ratio', since: TX_RETRY, select: latency, value: (r) => at(r, 'ratioP99VsBaseline') },
  { id: 'latency-scale-out.p50', bench: 'latency-scale-out', unit: 'ms', since: TX_RETRY, select: latency, value: (r) => at(r, 'latencyMs', 'p50') },
  { id: 'latency-scale-out.p99', bench: 'latency-scale-out', unit: 'ms', since: TX_RETRY, select: latency, value: (r) => at(r, 'latencyMs', 'p99'), aim: { atMost: 100 } },
  { id: 'memory.10k', bench: 'memory', unit: 'bytes', since: PACKED_STATE, value: memoryAt(10_000, (x) => at(x, 'engine', 'bytesPerSeries')), aim: { atMost: 1024 } },
  { id: 'memory.100k', bench: 'memory', unit: 'bytes', since: PACKED_STATE, value: memoryAt(100_000, (x) => at(x, 'engine', 'bytesPerSeries')), aim: { atMost: 1024 } },
  { id: 'memory.1m', bench: 'memory', unit: 'bytes', since: PACKED_STATE, value: memoryAt(1_000_000, (x) => at(x, 'engine', 'bytesPerSeries')), aim: { atMost: 1024 } },
  { id: 'memory.10k.vsMap', bench: 'memory', unit: 'ratio', since: PACKED_STATE, value: memoryAt(10_000, (x) => at(x, 'ratio')) },
  { id: 'memory.100k.vsMap', bench: 'memory', unit: 'ratio', since: PACKED_STATE, value: memoryAt(100_000, (x) => at(x, 'ratio')) },
  { id: 'memory.1m.vsMap', bench: 'memory', unit: 'ratio', since: PACKED_STATE, value: memoryAt(1_000_000, (x) => at(x, 'ratio')) },
  { id: 'producer.sdk', bench: 'producer', unit: 'perSec', select: size('samples', 1_000_000), value: (r) => at(r, 'sdk', 'perSec') },
  { id: 'producer.raw', bench: 'producer', unit: 'perSec', select: size('samples', 1_000_000), value: (r) => at(r, 'raw', 'perSec') },
  { id: 'producer.vsRaw', bench: 'producer', unit: 'ratio', select: size('samples', 1_000_000), value: (r) => at(r, 'throughputRatio') },
  { id: 'producer.smallBound.vsRaw', bench: 'producer', unit: 'ratio', select: size('samples', 1_000_000), value: (r) => at(r, 'throughputRatioSmallBound') },
  {
    id: 'backoff.full50.calls',
    bench: 'backoff',
    unit: 'ratio',
    value: (r) => at((Array.isArray(r.results) ? (r.results as Json[]) : []).find((x) => x.strategy === 'full' && x.clients === 50) ?? {}, 'callsRatio'),
  },
  { id: 'report.renderMs', bench: 'report-sample', unit: 'ms', value: (r) => at(r, 'renderMs') },
  { id: 'report.vsJson', bench: 'report-sample', unit: 'ratio', value: (r) => at(r, 'renderVsJsonRatio') },
];

/** Tables rendered into the docs, by region name; each lives in one file between its markers. */
export const TABLES: ReadonlyArray<{ name: string; file: string; template: string }> = [
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
| full pipeline on the real broker, 1M records | Avro {pipeline.avro}, JSON {pipeline.json} events/s ({pipeline.avro#}) | Avro {pipeline.avro.vsRaw}, JSON {pipeline.json.vsRaw} a raw kafkajs consumer (Avro {pipeline.avro.raw}/s) | ≥ 150k Avro: {pipeline.avro!}; ≥ 0.8× raw: {pipeline.avro.vsRaw!} |
| scale-out (\`runner.scaleOut\`), 1M JSON records, 4 partitions | single owner {scaleout.single}, scaled out 1 process {scaleout.shared1}, 2 processes {scaleout.shared2} events/s ({scaleout.single#}) | 1 process {scaleout.shared1.ratio}, 2 processes {scaleout.shared2.ratio} the single owner; 2 cores shared with the broker | — |
| command latency, window close → visible to a read_committed consumer | single owner p50 {latency.p50}, p99 {latency.p99} ({latency.p99#}); scaled out p50 {latency-scale-out.p50}, p99 {latency-scale-out.p99} ({latency-scale-out.p99#}) | single-owner p99 {latency.p99.vsTx} one transactional record | p99 ≤ 100 ms: {latency.p99!}; scaled out {latency-scale-out.p99!} |
| engine state per active series (10k / 100k / 1M) | {memory.10k} / {memory.100k} / {memory.1m} ({memory.10k#}) | {memory.10k.vsMap} / {memory.100k.vsMap} / {memory.1m.vsMap} a bare Map of 4 numbers | ≤ 1 KiB: {memory.10k!} / {memory.100k!} / {memory.1m!} |
| telemetry producer SDK, 1M samples, bound 100k | {producer.sdk} samples/s ({producer.sdk#}) | {producer.vsRaw} a raw kafkajs producer ({producer.raw}/s); bound 20k {producer.smallBound.vsRaw} | — |
| client backoff simulation (AWS, 50 clients) | full jitter {backoff.full50.calls} the calls of no jitter ({backoff.full50.calls#}) | no jitter | — |
`,
  },
  {
    name: 'benchmarks',
    file: 'docs/benchmarks.md',
    template: `| bench | headline | vs baseline (same run) | aim | runs |
|---|---|---|---|---|
| engine | tumbling 10 s: {engine.tumbling} events/s ({engine.tumbling.cpu} per CPU-second), 10k series | — | ≥ 2M: {engine.tumbling!} | {engine.tumbling#}; {engine.tumbling@} |
| engine --hop | hopping 10 s / 2 s: {engine.hopping} events/s ({engine.hopping.cpu} per CPU-second) | — | ≥ 2M: {engine.hopping!} | {engine.hopping#}; {engine.hopping@} |
| codec | decode Avro {codec.avro} records/s | {codec.avro.vsAvsc} avsc \`fromBuffer\` | ≥ 150k Avro/s: {codec.avro!} | {codec.avro#}; {codec.avro@} |
| backoff | full jitter at 50 clients: {backoff.full50.calls} the calls | vs exponential backoff without jitter | — | {backoff.full50.calls#}; deterministic (seeded) |
| replay | pure pipeline + decisions {replay.core} events/s ({replay.core.cpu} per CPU-second); file end to end {replay.file} ({replay.file.cpu} per CPU-second) | file {replay.file.vsJsonParse} its JSON.parse path | 1M/s: pipeline {replay.core!}, file {replay.file!}; per CPU-second {replay.core.cpu!}, {replay.file.cpu!} | {replay.core#}; {replay.core@} |
| memory | {memory.10k} / {memory.100k} / {memory.1m} per series at 10k / 100k / 1M | {memory.10k.vsMap} / {memory.100k.vsMap} / {memory.1m.vsMap} a Map of aggregates | ≤ 1 KiB: {memory.1m!} at 1M, {memory.10k!} at 10k | {memory.10k#}; {memory.10k@} |
| pipeline | Avro {pipeline.avro}, JSON {pipeline.json} events/s end to end (1M records) | Avro {pipeline.avro.vsRaw}, JSON {pipeline.json.vsRaw} a raw kafkajs consumer | ≥ 150k/s Avro: {pipeline.avro!}; ≥ 0.8×: {pipeline.avro.vsRaw!} | {pipeline.avro#}; {pipeline.avro@} |
| latency | command p50 {latency.p50}, p99 {latency.p99} after window close | p99 {latency.p99.vsTx} one transactional record | p99 ≤ 100 ms: {latency.p99!} | {latency.p99#}; {latency.p99@} |
| latency --scale-out | command p50 {latency-scale-out.p50}, p99 {latency-scale-out.p99} | — | p99 ≤ 100 ms: {latency-scale-out.p99!} | {latency-scale-out.p99#}; {latency-scale-out.p99@} |
| report-sample | render {report.renderMs} | {report.vsJson} \`JSON.stringify\` of the model | — | {report.renderMs#}; {report.renderMs@} |
| producer | SDK {producer.sdk} samples/s (1M samples, bound 100k) | {producer.vsRaw} a raw kafkajs producer ({producer.raw}/s); bound 20k {producer.smallBound.vsRaw} | — | {producer.sdk#}; {producer.sdk@} |
| scale-out | single owner {scaleout.single}; scaled out, 1 process {scaleout.shared1}, 2 processes {scaleout.shared2} events/s | 1 process {scaleout.shared1.ratio}, 2 processes {scaleout.shared2.ratio} the single owner | — | {scaleout.single#}; {scaleout.single@} |
`,
  },
];
