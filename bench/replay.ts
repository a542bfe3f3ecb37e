/**
 * Replay throughput on one core: recorded telemetry through the whole pure pipeline — windows,
 * watermarks, signals, two-stage scope merge, then the three built-in policies with the
 * guardrails, modes and command building — measured against baselines in the same run.
 *
 *   npx tsx bench/replay.ts [--n 2000000] [--series 10000] [--file-n 1000000]
 *
 * Input: the bench fleet (bench/lib/telemetry.ts: 10k series over 2k workers, 20 tenants'
 * worth of byte counters, 20k events/s of event time, ≤ 500 ms disorder), six partitions,
 * tumbling 10 s windows, policies adaptive-timeout + herd-control + watermark-quota in shadow
 * mode with thresholds that make all three act (see CONFIG below).
 *
 * Scenarios (best of 3 after a warm-up):
 *   baseline:    a loop that reads the same pre-built inputs and sums their values;
 *   pipeline:    createReplay with no outputs kept — engine + scope merge + decisions (the
 *                replay core; record generation and JSON parsing excluded);
 *   outputs:     the same plus canonical JSON of every decision, command and final signal
 *                (what `replay --out --commands --signals` writes, minus the disk);
 *   file:        `replay --input` end to end on a JSONL file of --file-n records: read, parse
 *                and validate every line (the fast path: src/replay/fast-jsonl), then the pipeline;
 *   file-json:   baseline for `file`: the same, every line through JSON.parse and the importer
 *                (`fileSources(…, { fastPath: false })`, what replay did before the fast path);
 *   file-read:   the file reader alone on the fast path (no pipeline): the ceiling of `file`;
 *   file-parse:  the importer alone on the same file (JSON.parse): the ceiling of `file-json`.
 * File scenarios run interleaved (one of each per round, best of 3 rounds), so that a change of
 * load on the shared machine hits them alike. Writes bench/results/replay/<ISO time>.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecordCodec, resolveTelemetryLimits } from '../src/codec';
import { loadConfig } from '../src/config/homeostat-config';
import { importRecords, writeTelemetryJsonl } from '../src/import';
import {
  createReplay,
  replayBatches,
  type ReplayCounters,
  type ReplayInput,
  type ReplaySink,
} from '../src/replay/replay';
import { replaySetupFromConfig } from '../src/replay/setup';
import { fileBatches } from '../src/replay/file-batches';
import { fileSources } from '../src/replay/sources';
import { argNumber, round, writeResult } from './lib/results';
import { createFleet } from './lib/telemetry';

const N = Math.floor(argNumber('n', 2_000_000));
const SERIES = Math.floor(argNumber('series', 10_000));
const FILE_N = Math.floor(argNumber('file-n', 1_000_000));
const PARTITIONS = 6;
const CHUNK = 5_000;

/** The config every scenario replays with: the same YAML shape as `homeostat run`. */
const CONFIG = {
  engine: { window: { sizeMs: 10_000 } },
  policies: [
    {
      name: 'timeouts',
      type: 'adaptive-timeout',
      // Per-worker p99 of ~8 latency samples a window (log-normal, median 20 ms) crosses 150 ms now and then.
      parameters: {
        high: { latencyMs: 150, queueDepth: 45 },
        low: { latencyMs: 60, queueDepth: 10 },
        overloadWindows: 2,
        calmWindows: 2,
      },
      guardrails: { blastRadius: { fraction: 0.5 }, rateLimit: { burst: 1000, perWindow: 500 } },
    },
    { name: 'herds', type: 'herd-control', parameters: { stormWindows: 2 } },
    // Σ tenant.bytes_in ≈ 0.5 × 1e6 B × 4k records/s ≈ 2 GB/s: above 0.85 of 2.2 GB/s.
    {
      name: 'quotas',
      type: 'watermark-quota',
      parameters: { capacityBytesPerSec: 2.2e9 },
      guardrails: { blastRadius: { fraction: 1 } },
    },
  ],
  guardrails: { global: { rateLimit: { burst: 5000, perWindow: 2000 } } },
};

function setup(): ReturnType<typeof replaySetupFromConfig> {
  const config = loadConfig({ overrides: CONFIG, env: {} });
  return replaySetupFromConfig(config, { partitions: Array.from({ length: PARTITIONS }, (_, i) => i), env: {} });
}

/** Chunks of inputs, generated outside the timed region (like consumer batches). */
function createSource(): { next(count: number): ReplayInput[] } {
  const fleet = createFleet({
    series: SERIES,
    t0: 1_700_000_000_000,
    eventsPerSecond: 20_000,
    disorderMs: 500,
    seed: 42,
  });
  const offsets = new Array<number>(PARTITIONS).fill(0);
  return {
    next(count) {
      const out = new Array<ReplayInput>(count);
      for (let k = 0; k < count; k++) {
        const record = fleet.next();
        const partition = Number(record.source.slice(7)) % PARTITIONS;
        out[k] = { partition, offset: offsets[partition]++, record };
      }
      return out;
    },
  };
}

interface Run {
  /** Wall-clock ms of the timed work. */
  ms: number;
  /** CPU ms (user + system) of this process during it: less disturbed by other load on a shared machine. */
  cpuMs: number;
  counters: ReplayCounters | null;
  sum: number;
}

function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

function timeChunks(count: number, each: (inputs: ReplayInput[]) => void, end: () => ReplayCounters | null): Run {
  const source = createSource();
  let ns = 0n;
  let cpu = 0;
  for (let done = 0; done < count; done += CHUNK) {
    const inputs = source.next(Math.min(CHUNK, count - done));
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    each(inputs);
    ns += process.hrtime.bigint() - t;
    cpu += cpuSince(c);
  }
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  const counters = end();
  ns += process.hrtime.bigint() - t;
  cpu += cpuSince(c);
  return { ms: Number(ns) / 1e6, cpuMs: cpu, counters, sum: 0 };
}

function runBaseline(count: number): Run {
  let sum = 0;
  const r = timeChunks(
    count,
    (inputs) => {
      for (let i = 0; i < inputs.length; i++) {
        const x = inputs[i];
        if ('record' in x) sum += x.record.value;
      }
    },
    () => null,
  );
  return { ...r, sum };
}

function encodingSink(): { sink: ReplaySink; bytes: () => number } {
  const dc = createRecordCodec('decision');
  const cc = createRecordCodec('command');
  const sc = createRecordCodec('signal');
  let bytes = 0;
  return {
    sink: {
      decisions: (ds) => ds.forEach((d) => (bytes += dc.encodeJson(d).length)),
      commands: (cs) => cs.forEach((c) => (bytes += cc.encodeJson(c).length)),
      signals: (ss) => ss.forEach((s) => (bytes += sc.encodeJson(s).length)),
    },
    bytes: () => bytes,
  };
}

function runPipeline(count: number, withOutputs: boolean): Run & { bytes: number } {
  const enc = encodingSink();
  const replay = createReplay(setup(), withOutputs ? enc.sink : {});
  const r = timeChunks(
    count,
    (inputs) => {
      for (let i = 0; i < inputs.length; i++) replay.push(inputs[i]);
    },
    () => replay.finish(),
  );
  return { ...r, bytes: enc.bytes() };
}

interface FileRun {
  ms: number;
  cpuMs: number;
  counters: ReplayCounters;
}

async function runFile(file: string, fastPath: boolean): Promise<FileRun> {
  const s = setup();
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  const limits = resolveTelemetryLimits();
  const counters = await replayBatches(fileSources([file], { limits, fastPath }), { ...s, partitions: [0] }, {});
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, cpuMs: cpuSince(c), counters };
}

async function runFileRead(file: string): Promise<{ ms: number; cpuMs: number; records: number }> {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  let records = 0;
  for await (const batch of fileBatches(file, 0, { limits: resolveTelemetryLimits() })) records += batch.length;
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, cpuMs: cpuSince(c), records };
}

async function runFileParse(file: string): Promise<{ ms: number; cpuMs: number; records: number }> {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  let records = 0;
  for await (const ev of importRecords(file, { format: 'jsonl' })) if (ev.kind === 'record') records++;
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, cpuMs: cpuSince(c), records };
}

function best<T extends { ms: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
}

function bestCpu(runs: readonly { cpuMs: number }[]): number {
  return Math.min(...runs.map((r) => r.cpuMs));
}

const perSec = (n: number, ms: number): number => Math.round(n / (ms / 1000));

async function main(): Promise<void> {
  runPipeline(Math.min(N, 200_000), true); // warm-up (JIT)
  runBaseline(Math.min(N, 200_000));
  const baseRuns = [runBaseline(N), runBaseline(N), runBaseline(N)];
  const pipeRuns = [runPipeline(N, false), runPipeline(N, false), runPipeline(N, false)];
  const outRuns = [runPipeline(N, true), runPipeline(N, true), runPipeline(N, true)];
  const base = best(baseRuns);
  const pipe = best(pipeRuns);
  const outs = best(outRuns);
  const c = pipe.counters as ReplayCounters;
  if (c.consumed !== c.aggregated + c.late + c.deadLettered) throw new Error('accounting identity broken');

  const dir = mkdtempSync(join(tmpdir(), 'homeostat-bench-replay-'));
  const file = join(dir, 'telemetry.jsonl');
  const fileRuns: FileRun[] = [];
  const jsonRuns: FileRun[] = [];
  const readRuns: { ms: number; cpuMs: number; records: number }[] = [];
  const parseRuns: { ms: number; cpuMs: number; records: number }[] = [];
  try {
    const fleet = createFleet({
      series: SERIES,
      t0: 1_700_000_000_000,
      eventsPerSecond: 20_000,
      disorderMs: 500,
      seed: 42,
    });
    await writeTelemetryJsonl(
      (function* () {
        for (let i = 0; i < FILE_N; i++) yield fleet.next();
      })(),
      file,
    );
    await runFile(file, true); // warm-up
    await runFile(file, false);
    for (let round = 0; round < 3; round++) {
      fileRuns.push(await runFile(file, true));
      jsonRuns.push(await runFile(file, false));
      readRuns.push(await runFileRead(file));
      parseRuns.push(await runFileParse(file));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fileRun = best(fileRuns);
  const jsonRun = best(jsonRuns);
  const readRun = best(readRuns);
  const parseRun = best(parseRuns);
  // Both paths must replay the same recording to the same counters (decisions by kind included).
  if (JSON.stringify(fileRun.counters) !== JSON.stringify(jsonRun.counters))
    throw new Error('the fast path and the JSON.parse path disagree');

  const result = {
    n: N,
    series: SERIES,
    partitions: PARTITIONS,
    windows: 'tumbling 10 s',
    policies: CONFIG.policies.map((p) => p.type),
    baseline: {
      eventsPerSec: perSec(N, base.ms),
      cpuEventsPerSec: perSec(N, bestCpu(baseRuns)),
      ms: round(base.ms),
      what: 'read the same inputs and sum their values',
    },
    pipeline: {
      eventsPerSec: perSec(N, pipe.ms),
      cpuEventsPerSec: perSec(N, bestCpu(pipeRuns)),
      ms: round(pipe.ms),
      ratioToBaseline: round(pipe.ms > 0 ? base.ms / pipe.ms : 0, 4),
      what: 'engine + scope merge + decision stage (policies, guardrails, modes, command ids), no JSON parsing, no output encoding',
      windows: c.evaluations,
      finalSignals: c.finals,
      commands: c.commands,
      decisions: c.decisions,
      decisionsByKind: c.decisionsByKind,
    },
    pipelineWithOutputs: {
      eventsPerSec: perSec(N, outs.ms),
      cpuEventsPerSec: perSec(N, bestCpu(outRuns)),
      ms: round(outs.ms),
      outputBytes: outs.bytes,
      what: 'pipeline + canonical JSON of every decision, command and final signal (not written to disk)',
    },
    file: {
      n: FILE_N,
      eventsPerSec: perSec(FILE_N, fileRun.ms),
      cpuEventsPerSec: perSec(FILE_N, bestCpu(fileRuns)),
      ms: round(fileRun.ms),
      ratioToJsonParse: round(jsonRun.ms / fileRun.ms, 3),
      ratioToImporter: round(parseRun.ms / fileRun.ms, 3),
      what: 'replay --input end to end: read the JSONL file, parse and validate every line (fast path), pipeline (one partition)',
      decisions: fileRun.counters.decisions,
    },
    fileJsonParse: {
      eventsPerSec: perSec(FILE_N, jsonRun.ms),
      cpuEventsPerSec: perSec(FILE_N, bestCpu(jsonRuns)),
      ms: round(jsonRun.ms),
      what: 'baseline for file: the same replay with every line through JSON.parse and the importer (fastPath: false)',
    },
    fileRead: {
      eventsPerSec: perSec(readRun.records, readRun.ms),
      cpuEventsPerSec: perSec(readRun.records, bestCpu(readRuns)),
      ms: round(readRun.ms),
      what: 'the replay file reader alone on the fast path (no pipeline): the ceiling of file',
    },
    fileParse: {
      eventsPerSec: perSec(parseRun.records, parseRun.ms),
      cpuEventsPerSec: perSec(parseRun.records, bestCpu(parseRuns)),
      ms: round(parseRun.ms),
      what: 'the importer alone on the same file (JSON.parse): the ceiling of fileJsonParse',
    },
    target: {
      eventsPerSec: 1_000_000,
      pipelineMeetsIt: perSec(N, pipe.ms) >= 1_000_000,
      pipelineMeetsItPerCpuSecond: perSec(N, bestCpu(pipeRuns)) >= 1_000_000,
      fileEndToEndMeetsIt: perSec(FILE_N, fileRun.ms) >= 1_000_000,
      fileEndToEndMeetsItPerCpuSecond: perSec(FILE_N, bestCpu(fileRuns)) >= 1_000_000,
    },
  };
  const path = writeResult('replay', result);
  console.log(
    `load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores (CPU-time figures are less disturbed by it)\n` +
      `baseline (read + sum):        ${(result.baseline.eventsPerSec / 1e6).toFixed(1)}M events/s\n` +
      `pipeline (engine + decisions): ${(result.pipeline.eventsPerSec / 1e6).toFixed(2)}M events/s wall, ${(result.pipeline.cpuEventsPerSec / 1e6).toFixed(2)}M per CPU-second (${N} records, ${c.evaluations} windows, ${c.finals} signals, ${c.commands} commands, ${c.decisions} decisions)\n` +
      `  + canonical JSON outputs:    ${(result.pipelineWithOutputs.eventsPerSec / 1e6).toFixed(2)}M events/s (${(outs.bytes / 1e6).toFixed(1)} MB)\n` +
      `file end to end (parse incl.): ${(result.file.eventsPerSec / 1e6).toFixed(2)}M events/s wall, ${(result.file.cpuEventsPerSec / 1e6).toFixed(2)}M per CPU-second (${FILE_N} records)\n` +
      `  baseline, JSON.parse path:   ${(result.fileJsonParse.eventsPerSec / 1e6).toFixed(2)}M events/s wall, ${(result.fileJsonParse.cpuEventsPerSec / 1e6).toFixed(2)}M per CPU-second; ratio ${result.file.ratioToJsonParse.toFixed(2)}×\n` +
      `  reader alone (fast path):    ${(result.fileRead.eventsPerSec / 1e6).toFixed(2)}M/s; importer alone (JSON.parse) ${(result.fileParse.eventsPerSec / 1e6).toFixed(2)}M/s\n` +
      `target ${(result.target.eventsPerSec / 1e6).toFixed(0)}M events/s: pipeline ${result.target.pipelineMeetsIt ? 'met' : 'NOT met'}, file end to end ${result.target.fileEndToEndMeetsIt ? 'met' : 'NOT met'}\n` +
      `wrote ${path}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
