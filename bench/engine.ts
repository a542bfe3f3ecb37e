/**
 * Throughput of the windowing engine alone, on pre-decoded records.
 *
 *   npx tsx bench/engine.ts [--n 2000000] [--series 10000] [--hop]
 *   node --max-semi-space-size=64 --import tsx bench/engine.ts --hop   (another young generation, recorded as such)
 *
 * Generates N records over `series` series (sources × 5 metrics, 12 partitions, mild
 * disorder: up to 500 ms, within the default 2 s allowed out-of-orderness), then times
 * (best of 3) feeding them through a fresh engine plus a final flush. Baseline measured in
 * the same run: a loop that only reads the same inputs and sums the values.
 * Writes bench/results/engine/<ISO time>.json: { eventsPerSec, baselineEventsPerSec, ratio, n, series, ... },
 * ratio = engine / baseline throughput.
 */
import { loadavg } from 'node:os';
import { createEngine, type EngineInput } from '../src/core';
import { createEngineSource, ENGINE_PARTITIONS } from './lib/engine-source';
import { maxSemiSpaceMB, writeResult } from './lib/results';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const N = arg('n', 2_000_000);
const SERIES = arg('series', 10_000);
const HOP = process.argv.includes('--hop');
const PARTITIONS = ENGINE_PARTITIONS;

/** The bench's records (bench/lib/engine-source.ts), SERIES series. */
function createSource(): { next(count: number): EngineInput[] } {
  return createEngineSource(SERIES);
}

const CHUNK = 5_000; // about a consumer fetch batch

/** Times the engine only (chunk generation excluded), including the final flush. */
function runEngine(count: number): { ms: number; cpuMs: number; signals: number; series: number } {
  const engine = createEngine(HOP ? { window: { sizeMs: 10_000, advanceMs: 2_000 } } : {});
  const state = engine.init();
  engine.step(state, { kind: 'assign', partitions: Array.from({ length: PARTITIONS }, (_, i) => i) });
  const source = createSource();
  let signals = 0;
  let ns = 0n;
  let cpu = 0;
  for (let done = 0; done < count; done += CHUNK) {
    const inputs = source.next(Math.min(CHUNK, count - done));
    const c0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < inputs.length; i++) signals += engine.step(state, inputs[i]).outputs.length;
    ns += process.hrtime.bigint() - start;
    cpu += cpuMs(c0);
  }
  const c0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  signals += engine.step(state, { kind: 'flush' }).outputs.length;
  ns += process.hrtime.bigint() - start;
  cpu += cpuMs(c0);
  const c = engine.counters(state);
  if (c.consumed !== c.aggregated + c.late + c.rejected) throw new Error('accounting identity broken');
  return { ms: Number(ns) / 1e6, cpuMs: cpu, signals, series: engine.seriesCount(state) };
}

/** Process CPU time (user + system) since `from`, ms: robust to other load on a shared machine. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

/** Same chunks, timed loop that only reads each input and sums the values. */
function runBaseline(count: number): { ms: number; sum: number } {
  const source = createSource();
  let sum = 0;
  let ns = 0n;
  for (let done = 0; done < count; done += CHUNK) {
    const inputs = source.next(Math.min(CHUNK, count - done));
    const start = process.hrtime.bigint();
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      if (input.kind === 'record') sum += input.record.value;
    }
    ns += process.hrtime.bigint() - start;
  }
  return { ms: Number(ns) / 1e6, sum };
}

function main(): void {
  runEngine(Math.min(N, 200_000)); // warm-up (JIT)
  let best = Infinity;
  let bestCpu = Infinity;
  let signals = 0;
  let series = 0;
  for (let r = 0; r < 3; r++) {
    const run = runEngine(N);
    if (run.ms < best) best = run.ms;
    if (run.cpuMs < bestCpu) bestCpu = run.cpuMs;
    signals = run.signals;
    series = run.series;
  }
  let baseBest = Infinity;
  let sink = 0;
  for (let r = 0; r < 3; r++) {
    const b = runBaseline(N);
    baseBest = Math.min(baseBest, b.ms);
    sink += b.sum;
  }
  const eventsPerSec = Math.round(N / (best / 1000));
  const baselineEventsPerSec = Math.round(N / (baseBest / 1000));
  const ratio = eventsPerSec / baselineEventsPerSec;
  const cpuEventsPerSec = Math.round(N / (bestCpu / 1000));
  const result = {
    eventsPerSec,
    baselineEventsPerSec,
    ratio: Number(ratio.toFixed(4)),
    n: N,
    series,
    windows: HOP ? 'hopping 10s/2s' : 'tumbling 10s',
    outputs: signals,
    engineMs: Number(best.toFixed(1)),
    cpuEventsPerSec,
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
    baselineMs: Number(baseBest.toFixed(2)),
    node: process.version,
    // Most of a close's garbage is the signals it returns: the young generation's size moves the figure.
    maxSemiSpaceMB: maxSemiSpaceMB(),
  };
  console.log(
    `engine: ${(eventsPerSec / 1e6).toFixed(2)}M events/s wall, ${(cpuEventsPerSec / 1e6).toFixed(2)}M per CPU-second ` +
      `(${best.toFixed(0)} ms for ${N} records, ${series} series, ${signals} outputs; load ${loadavg()[0].toFixed(1)})\n` +
      `baseline (read + sum): ${(baselineEventsPerSec / 1e6).toFixed(1)}M events/s; ratio engine/baseline = ${ratio.toFixed(4)}` +
      (sink === 0 ? ' ' : ''),
  );
  console.log(`wrote ${writeResult(HOP ? 'engine-hopping' : 'engine', result)}`);
}

main();
