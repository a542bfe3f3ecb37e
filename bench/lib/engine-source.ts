/**
 * The engine benches' records (bench/engine.ts, bench/engine-ab.ts): `series` series (sources ×
 * 5 metrics), 12 partitions, mild disorder (up to 500 ms, within the default 2 s allowed
 * out-of-orderness), 20 000 events per second of event time, seeded.
 */
import type { Engine, EngineInput, EngineOutput } from '../../src/core';
import type { Telemetry } from '../../src/model/telemetry';
import { mulberry32 as prng } from '../../src/client/random';

/** Partitions the records are spread over (a source lives on one). */
export const ENGINE_PARTITIONS = 12;
const PARTITIONS = ENGINE_PARTITIONS;
const METRICS = ['query.latency_ms', 'queue.depth', 'cpu.util', 'requests', 'tenant.bytes_in'];
const EVENTS_PER_SEC = 20_000; // event-time rate: N = 2M spans 100 s, ten default windows

/**
 * Deterministic record source, generated in chunks (like consumer batches) so that the live
 * heap stays small: a 2M-record array would make every major GC mark ~300 MB of input that
 * a real consumer never holds, and the benchmark would measure the collector instead.
 */
export function createEngineSource(series: number): { next(count: number): EngineInput[] } {
  const rnd = prng(42);
  const sources = Math.max(1, Math.ceil(series / METRICS.length));
  const names = Array.from({ length: sources }, (_, i) => `worker-${i}`);
  const tenants = Array.from({ length: 50 }, (_, i) => `tenant-${i}`);
  const services = Array.from({ length: 20 }, (_, i) => `svc-${i}`);
  const t0 = 1_700_000_000_000;
  const offsets = new Array<number>(PARTITIONS).fill(0);
  let i = 0;
  return {
    next(count) {
      const inputs = new Array<EngineInput>(count);
      for (let k = 0; k < count; k++, i++) {
        const s = Math.floor(rnd() * sources);
        const mi = Math.floor(rnd() * METRICS.length);
        const metric = METRICS[mi];
        const ts = t0 + Math.floor((i * 1000) / EVENTS_PER_SEC) - Math.floor(rnd() * 500);
        let value: number;
        if (mi === 0)
          value = Math.exp(3 + 0.8 * gaussian(rnd)); // log-normal latency, ms
        else if (mi === 1) value = Math.floor(rnd() * 50);
        else if (mi === 2) value = rnd();
        else if (mi === 3) value = 1 + Math.floor(rnd() * 10);
        else value = Math.floor(rnd() * 1e6);
        const record: Telemetry = {
          ts,
          source: names[s],
          metric,
          value,
          tags: { tenant: tenants[s % tenants.length], service: services[s % services.length], role: 'worker' },
        };
        const partition = s % PARTITIONS;
        inputs[k] = { kind: 'record', partition, offset: offsets[partition]++, record };
      }
      return inputs;
    },
  };
}

function gaussian(rnd: () => number): number {
  // Box–Muller
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/** The engine benches' hopping windows (10 s / 2 s); tumbling is the engine default (10 s). */
export const HOPPING = { window: { sizeMs: 10_000, advanceMs: 2_000 } };

/**
 * Feeds n records of `series` series through a fresh state of `engine`, in chunks of 5 000
 * (about a consumer fetch), plus a final flush: the process CPU time (user + system) while the
 * engine steps, record generation excluded, and the outputs it returned.
 */
export function feedEngine(engine: Engine, n: number, series: number): { cpuMs: number; outputs: number } {
  const chunk = 5_000;
  const state = engine.init();
  engine.step(state, { kind: 'assign', partitions: Array.from({ length: ENGINE_PARTITIONS }, (_, i) => i) });
  const source = createEngineSource(series);
  let cpu = 0;
  let outputs = 0;
  for (let done = 0; done <= n; done += chunk) {
    const inputs = done < n ? source.next(Math.min(chunk, n - done)) : null;
    const c0 = process.cpuUsage();
    if (inputs === null) outputs += read(engine.step(state, { kind: 'flush' }).outputs);
    else for (let i = 0; i < inputs.length; i++) outputs += read(engine.step(state, inputs[i]).outputs);
    const d = process.cpuUsage(c0);
    cpu += (d.user + d.system) / 1000;
  }
  if (sink === 1) console.log('');
  return { cpuMs: cpu, outputs };
}

let sink = 0;

/**
 * Reads every signal as a consumer does (the pipeline encodes each, in output order): a few
 * fields across the object, so that where the engine left its signals in memory costs here
 * as it would there. Returns the outputs' count.
 */
function read(outputs: readonly EngineOutput[]): number {
  for (const o of outputs) if (o.kind === 'signal') sink += o.signal.count + o.signal.p999 + o.signal.key.length;
  return outputs.length;
}
