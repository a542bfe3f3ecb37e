/**
 * Deterministic telemetry for the benches: the same seed gives the same records on any
 * machine, so two runs (or two wire formats) measure the same input.
 */
import type { Telemetry } from '../../src/model/telemetry';
export { mulberry32 as prng } from '../../src/client/random';
import { mulberry32 as prng } from '../../src/client/random';

/** Box–Muller; 1 − u keeps log() away from 0. */
export function gaussian(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

export const BENCH_METRICS = ['query.latency_ms', 'queue.depth', 'inflight', 'requests', 'tenant.bytes_in'] as const;

export interface FleetOptions {
  /** Distinct (source, metric) series; sources = ceil(series / 5). */
  series: number;
  /** Event time of record 0, epoch ms. */
  t0: number;
  /** Event-time rate: record i has ts ≈ t0 + i × 1000 / eventsPerSecond. */
  eventsPerSecond: number;
  /** Records arrive up to this many ms out of order (keep it under allowedOutOfOrdernessMs). */
  disorderMs: number;
  seed: number;
}

/**
 * A fleet of workers with realistic values per metric (log-normal latency, small queue
 * gauges, request counts, tenant byte counts), tags for the default scopes (tenant,
 * service, role). Record i is a pure function of (options, i's position in the stream).
 */
export function createFleet(o: FleetOptions): { next(): Telemetry; sources: number } {
  const rnd = prng(o.seed);
  const sources = Math.max(1, Math.ceil(o.series / BENCH_METRICS.length));
  const names = Array.from({ length: sources }, (_, i) => `worker-${i}`);
  const tags = names.map((_, s) => ({ role: 'worker', service: `svc-${s % 20}`, tenant: `tenant-${s % 50}` }));
  let i = 0;
  return {
    sources,
    next() {
      const s = Math.floor(rnd() * sources);
      const mi = Math.floor(rnd() * BENCH_METRICS.length);
      const ts = o.t0 + Math.floor((i++ * 1000) / o.eventsPerSecond) - Math.floor(rnd() * o.disorderMs);
      let value: number;
      if (mi === 0) value = Math.round(Math.exp(3 + 0.8 * gaussian(rnd)) * 100) / 100;
      else if (mi === 1) value = Math.floor(rnd() * 50);
      else if (mi === 2) value = Math.floor(rnd() * 16);
      else if (mi === 3) value = 1 + Math.floor(rnd() * 10);
      else value = Math.floor(rnd() * 1e6);
      return { ts, source: names[s], metric: BENCH_METRICS[mi], value, tags: tags[s] };
    },
  };
}
