/**
 * Memory of the pure engine per active series: createProcessor (src/pipeline/processor.ts)
 * fed S series, each with one open window holding SAMPLES samples, at S = 10k, 100k, 1M.
 *
 *   npx tsx bench/memory.ts [--series 10000,100000,1000000] [--samples 4]
 *
 * Each size runs in a fresh child process started with --expose-gc (the parent re-executes
 * itself), so that one size's garbage never counts in another's. In the child: GC twice,
 * read process.memoryUsage(); build the processor and feed the records in chunks (the input
 * is garbage once fed, as in a consumer); GC twice, read again. The figure is
 *   bytes per series = Δ(heapUsed + arrayBuffers) / S
 * (the engine keeps sample columns and each series' numbers in typed arrays, which live
 * outside the V8 heap), with ΔRSS / S alongside. The watermark never passes the window, so
 * every series has exactly one open window and nothing is emitted. Records look like decoded
 * telemetry: a fresh tags object per record with the default dimension tags (tenant, service)
 * and a role.
 *
 * Then, in the same child, a tick closes the window (its signals are dropped, as a consumer
 * drops them once published) and the state is measured again: every series dormant, with
 * its EWMA/trend history, until its next sample (`afterCloseBytesPerSeries`).
 *
 * Baseline, same child: the least state any keyed windowed aggregate needs — a Map from the
 * series key string to { count, sum, min, max } — fed the same records; the ratio is
 * engine bytes / baseline bytes. Aim: ≤ 1 KiB per series.
 * Writes bench/results/memory/<ISO time>.json.
 */
import { spawnSync } from 'node:child_process';
import { DEFAULT_ENGINE_CONFIG, resolveEngineConfig } from '../src/core';
import type { Telemetry } from '../src/model/telemetry';
import { createProcessor, emptyOutputs } from '../src/pipeline/processor';
import { argFlag, argNumber, argString, round, writeResult } from './lib/results';

const SIZES = argString('series', '10000,100000,1000000')
  .split(',')
  .map((x) => Number(x.replace(/_/g, '')))
  .filter((x) => Number.isInteger(x) && x > 0);
const SAMPLES = Math.floor(argNumber('samples', 4));
const TARGET_BYTES_PER_SERIES = 1024;
const METRICS = ['query.latency_ms', 'queue.depth', 'inflight', 'requests', 'tenant.bytes_in'] as const;
const T0 = Date.UTC(2026, 0, 1);
/** The default window (every sample of a series falls in the one starting at T0). */
const WINDOW_MS = DEFAULT_ENGINE_CONFIG.window.sizeMs;
const PARTITIONS = 3;
const CHUNK = 10_000;

interface Sample {
  heapUsed: number;
  arrayBuffers: number;
  rss: number;
}

function gcAndRead(): Sample {
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

/** The records of series i (0 ≤ i < S), sample k: source i / 5, metric i % 5, all in one 10 s window. */
function record(i: number, k: number): Telemetry {
  const s = Math.floor(i / METRICS.length);
  return {
    ts: T0 + 100 + k * 10,
    source: `worker-${s}`,
    metric: METRICS[i % METRICS.length],
    value: (i % 97) + k,
    tags: { role: 'worker', service: `svc-${s % 20}`, tenant: `tenant-${s % 50}` },
  };
}

/** Records in consumer-batch-sized chunks, each with its partition (by source, like the Kafka key). */
function* chunks(series: number, samples: number): Generator<{ partition: number; record: Telemetry }[]> {
  let buf: { partition: number; record: Telemetry }[] = [];
  for (let k = 0; k < samples; k++) {
    for (let i = 0; i < series; i++) {
      buf.push({ partition: Math.floor(i / METRICS.length) % PARTITIONS, record: record(i, k) });
      if (buf.length === CHUNK) {
        yield buf;
        buf = [];
      }
    }
  }
  if (buf.length > 0) yield buf;
}

interface ChildResult {
  series: number;
  samples: number;
  engine: {
    bytesPerSeries: number;
    heapBytesPerSeries: number;
    arrayBufferBytesPerSeries: number;
    rssBytesPerSeries: number;
    liveSeries: number;
    feedMs: number;
    afterCloseBytesPerSeries: number;
  };
  baseline: { bytesPerSeries: number };
  ratio: number;
}

function measureEngine(series: number): ChildResult['engine'] {
  const before = gcAndRead();
  const processor = createProcessor({
    engine: resolveEngineConfig({ maxSeries: Math.max(100_000, 2 * series) }),
    partitionCount: PARTITIONS,
  });
  const out = emptyOutputs();
  processor.step({ kind: 'assign', partitions: Array.from({ length: PARTITIONS }, (_, p) => p) }, out);
  const offsets = new Array<number>(PARTITIONS).fill(0);
  const started = performance.now();
  for (const chunk of chunks(series, SAMPLES)) {
    for (const { partition: p, record: r } of chunk) {
      processor.step({ kind: 'record', partition: p, offset: offsets[p]++, record: r }, out);
    }
    out.published.length = 0;
    out.finals.length = 0;
    out.dead.length = 0;
  }
  const feedMs = performance.now() - started;
  const after = gcAndRead();
  const live = processor.seriesCount();
  const c = processor.counters();
  if (c.consumed !== c.aggregated + c.late + c.deadLettered || c.aggregated !== series * SAMPLES) {
    throw new Error(`unexpected accounting for ${series} series: ${JSON.stringify(c)}`);
  }
  // Close the window (the watermark reaches its end + grace); its signals are dropped.
  const end = Math.floor(T0 / WINDOW_MS) * WINDOW_MS + WINDOW_MS;
  processor.step({ kind: 'tick', watermark: end + DEFAULT_ENGINE_CONFIG.window.graceMs }, out);
  if (processor.counters().signals < series)
    throw new Error(`the window of ${series} series did not close: ${JSON.stringify(processor.counters())}`);
  out.published.length = 0;
  out.finals.length = 0;
  const closed = gcAndRead();
  // Keep the processor alive past the measurement.
  if (processor.watermark() > Infinity || processor.seriesCount() !== live) console.log('unreachable');
  const heap = after.heapUsed - before.heapUsed;
  const ab = after.arrayBuffers - before.arrayBuffers;
  return {
    bytesPerSeries: round((heap + ab) / series, 1),
    heapBytesPerSeries: round(heap / series, 1),
    arrayBufferBytesPerSeries: round(ab / series, 1),
    rssBytesPerSeries: round((after.rss - before.rss) / series, 1),
    liveSeries: live,
    feedMs: round(feedMs, 0),
    afterCloseBytesPerSeries: round(
      (closed.heapUsed + closed.arrayBuffers - before.heapUsed - before.arrayBuffers) / series,
      1,
    ),
  };
}

interface Agg {
  count: number;
  sum: number;
  min: number;
  max: number;
}

function measureBaseline(series: number): ChildResult['baseline'] {
  const before = gcAndRead();
  const state = new Map<string, Agg>();
  for (const chunk of chunks(series, SAMPLES)) {
    for (const { record: r } of chunk) {
      const key = `${r.source}|${r.metric}|${r.tags.tenant}|${r.tags.service}`;
      const a = state.get(key);
      if (a === undefined) state.set(key, { count: 1, sum: r.value, min: r.value, max: r.value });
      else {
        a.count++;
        a.sum += r.value;
        if (r.value < a.min) a.min = r.value;
        if (r.value > a.max) a.max = r.value;
      }
    }
  }
  const after = gcAndRead();
  if (state.size !== series) throw new Error(`baseline holds ${state.size} series, expected ${series}`);
  return {
    bytesPerSeries: round((after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / series, 1),
  };
}

function child(series: number): void {
  // Baseline first: the engine's measurement must not include the baseline's garbage, and
  // the baseline's Map is garbage by the time the engine's "before" is read.
  const baseline = measureBaseline(series);
  const engine = measureEngine(series);
  const result: ChildResult = {
    series,
    samples: SAMPLES,
    engine,
    baseline,
    ratio: round(engine.bytesPerSeries / baseline.bytesPerSeries, 2),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function parent(): void {
  const results: ChildResult[] = [];
  for (const series of SIZES) {
    const r = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '--max-old-space-size=8192',
        ...process.execArgv,
        process.argv[1],
        '--child',
        String(series),
        '--samples',
        String(SAMPLES),
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      },
    );
    if (r.status !== 0) throw new Error(`the ${series}-series child failed (exit ${String(r.status)})`);
    const line = r.stdout.trim().split('\n').pop()!;
    const res = JSON.parse(line) as ChildResult;
    results.push(res);
    console.log(
      `${String(series).padStart(8)} series × ${SAMPLES} samples: engine ${res.engine.bytesPerSeries.toFixed(0)} B/series ` +
        `(heap ${res.engine.heapBytesPerSeries.toFixed(0)} + typed arrays ${res.engine.arrayBufferBytesPerSeries.toFixed(0)}; RSS ${res.engine.rssBytesPerSeries.toFixed(0)} B/series), ` +
        `baseline Map ${res.baseline.bytesPerSeries.toFixed(0)} B/series, ratio ${res.ratio}; after the window closes ${res.engine.afterCloseBytesPerSeries.toFixed(0)} B/series`,
    );
  }
  const worst = Math.max(...results.map((r) => r.engine.bytesPerSeries));
  const file = writeResult('memory', {
    samplesPerSeries: SAMPLES,
    definition:
      'bytes per series = Δ(heapUsed + arrayBuffers) after two forced GCs / live series; one open window per series',
    baseline: 'Map<seriesKey, {count,sum,min,max}> fed the same records',
    results,
    target: { bytesPerSeries: TARGET_BYTES_PER_SERIES, met: worst <= TARGET_BYTES_PER_SERIES },
  });
  console.log(
    `target ≤ ${TARGET_BYTES_PER_SERIES} B/series: ${worst <= TARGET_BYTES_PER_SERIES ? 'met' : 'NOT met'} (worst ${worst.toFixed(0)})\nwrote ${file}`,
  );
}

if (argFlag('child')) {
  const i = process.argv.indexOf('--child');
  child(Number(process.argv[i + 1]));
} else {
  parent();
}
