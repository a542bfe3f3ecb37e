/**
 * A small recorded incident for replay tests: three partitions, ten minutes of event time in
 * 10 s windows, with an overloaded worker (adaptive-timeout), a retry storm on a service
 * (herd-control) and a multitenant cluster over its high watermark (watermark-quota), so that
 * a replay issues commands and decisions of every policy. Seeded: the same records every time.
 */
import { mulberry32 } from '../../../src/client/random';
import type { Telemetry } from '../../../src/model/telemetry';
import { loadConfig, type HomeostatConfig } from '../../../src/config/homeostat-config';
import type { ReplayInput } from '../../../src/replay/replay';

export const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
export const WINDOW_MS = 10_000;
export const WINDOWS = 60;
export const PARTITIONS = 3;

/** The YAML config of the scenario, as `homeostat run` would read it. */
export const SCENARIO_CONFIG = {
  engine: { window: { sizeMs: WINDOW_MS }, allowedOutOfOrdernessMs: 2000 },
  policies: [
    {
      name: 'timeouts',
      type: 'adaptive-timeout',
      mode: 'enforce',
      parameters: {
        high: { latencyMs: 800, queueDepth: 40 },
        low: { latencyMs: 300, queueDepth: 10 },
        overloadWindows: 2,
        calmWindows: 2,
        defaultTimeoutMs: 5000,
      },
      guardrails: { blastRadius: { fraction: 1 } },
    },
    { name: 'herds', type: 'herd-control', mode: 'canary', canary: { fraction: 0.5 }, parameters: { stormWindows: 2 } },
    {
      name: 'quotas',
      type: 'watermark-quota',
      mode: 'shadow',
      parameters: { capacityBytesPerSec: 1_000_000, minHoldMs: 30_000 },
      guardrails: { blastRadius: { fraction: 1 } },
    },
  ],
};

export function scenarioConfig(overrides: Record<string, unknown> = {}): HomeostatConfig {
  return loadConfig({ overrides: { ...SCENARIO_CONFIG, ...overrides }, env: {} });
}

/** Records per partition, each partition in time order (as a producer keyed by source writes them). */
export function scenarioPartitions(seed = 7): Telemetry[][] {
  const rnd = mulberry32(seed);
  const parts: Telemetry[][] = Array.from({ length: PARTITIONS }, () => []);
  const workers = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5'];
  const tenants = ['t0', 't1', 't2', 't3'];
  const inWindows = (w: number, a: number, b: number): boolean => w >= a && w < b;
  for (let sec = 0; sec < (WINDOWS * WINDOW_MS) / 1000; sec++) {
    const w = Math.floor((sec * 1000) / WINDOW_MS);
    const ts = T0 + sec * 1000;
    workers.forEach((name, i) => {
      const overloaded = (i === 1 && inWindows(w, 10, 25)) || (i === 4 && inWindows(w, 30, 38));
      const p = parts[i % PARTITIONS];
      for (let q = 0; q < 3; q++) {
        const latency = (overloaded ? 1500 : 60) * (0.6 + 0.8 * rnd());
        p.push({
          ts: ts + q * 100,
          source: name,
          metric: 'query.latency_ms',
          value: Math.round(latency * 10) / 10,
          tags: {},
        });
      }
      p.push({
        ts: ts + 500,
        source: name,
        metric: 'queue.depth',
        value: overloaded ? 60 + Math.floor(20 * rnd()) : Math.floor(8 * rnd()),
        tags: {},
      });
    });
    // Service `api`: steady requests; a retry storm in windows 15..24.
    ['c0', 'c1'].forEach((client, i) => {
      const p = parts[(i + 1) % PARTITIONS];
      const storm = inWindows(w, 15, 25);
      p.push({
        ts: ts + 200,
        source: client,
        metric: 'requests',
        value: 100 + Math.floor(10 * rnd()),
        tags: { service: 'api' },
      });
      p.push({
        ts: ts + 300,
        source: client,
        metric: 'retries',
        value: storm ? 60 + Math.floor(10 * rnd()) : Math.floor(2 * rnd()),
        tags: { service: 'api' },
      });
    });
    // Tenants: ~600 kB/s in all, above 85% of the 1 MB/s capacity in windows 20..34 (t0 surges).
    tenants.forEach((tenant, i) => {
      const p = parts[i % PARTITIONS];
      const base = 150_000 * (0.9 + 0.2 * rnd());
      const value = i === 0 && inWindows(w, 20, 35) ? base * 3 : base;
      p.push({
        ts: ts + 700,
        source: `broker-${i}`,
        metric: 'tenant.bytes_in',
        value: Math.round(value),
        tags: { tenant },
      });
    });
  }
  for (const p of parts) p.sort((a, b) => a.ts - b.ts);
  return parts;
}

/** Partition arrays as replay inputs (offsets = index in the partition). */
export function asInputs(parts: readonly Telemetry[][]): ReplayInput[][] {
  return parts.map((records, partition) => records.map((record, offset) => ({ partition, offset, record })));
}
