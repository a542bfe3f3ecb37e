/**
 * Deterministic telemetry for the fault tests: a fleet of workers whose queues overload in
 * turns (so the adaptive-timeout policy cuts, holds, relaxes and reverts), request counters
 * for the service scope, and a sprinkling of malformed records. Seeded, so a failure can be
 * reproduced; event times stay within the allowed out-of-orderness of each partition.
 */
import type { Message } from 'kafkajs';
import { createTelemetryAvroEncoder, encodeTelemetryJson } from '../../../src/codec';
import type { Telemetry } from '../../../src/model/telemetry';
export { mulberry32 as prng } from '../../../src/client/random';
import { mulberry32 as prng } from '../../../src/client/random';

/** Event time of the first sample: fixed, so that ids and bytes are the same in every run. */
export const T0 = Date.UTC(2026, 0, 1);

export interface FleetOptions {
  workers: number;
  /** Event-time seconds of telemetry. */
  seconds: number;
  /** Telemetry partitions: each worker's records go to partition (worker % partitions). */
  partitions: number;
  /** One malformed record per this many good ones (0: none). */
  malformedEvery?: number;
  /** ± jitter of event times, ms (below the allowed out-of-orderness). */
  jitterMs?: number;
  seed?: number;
  /** Event time of the first second. Default T0. */
  start?: number;
}

/** True while worker `w` is overloaded at event-time second `s`: 12 s on, then calm, staggered per worker. */
export function overloaded(w: number, s: number): boolean {
  return w % 4 === 0 && Math.floor(s / 12 + w / 8) % 3 === 0;
}

/**
 * Records in production order (event time ascending, up to the jitter), with explicit
 * partitions so that the reference run can use the same ones. Per worker and 100 ms of
 * event time: one queue.depth sample; per 500 ms: one `requests` sample.
 */
export function fleet(o: FleetOptions): Message[] {
  const rnd = prng(o.seed ?? 7);
  const jitter = o.jitterMs ?? 80;
  const start = o.start ?? T0;
  const out: Message[] = [];
  let good = 0;
  for (let tick = 0; tick < o.seconds * 10; tick++) {
    const s = Math.floor(tick / 10);
    for (let w = 0; w < o.workers; w++) {
      const source = `worker-${w}`;
      const partition = w % o.partitions;
      const ts = start + tick * 100 + Math.round((rnd() - 0.5) * 2 * jitter);
      const depth = overloaded(w, s) ? 80 + Math.floor(rnd() * 60) : Math.floor(rnd() * 8);
      out.push({
        key: source,
        partition,
        value: encodeTelemetryJson({ ts, source, metric: 'queue.depth', value: depth, tags: { role: 'worker' } }),
      });
      good++;
      if (tick % 5 === 0) {
        const service = `svc-${w % 3}`;
        out.push({
          key: source,
          partition,
          value: encodeTelemetryJson({
            ts,
            source,
            metric: 'requests',
            value: 1 + Math.floor(rnd() * 20),
            tags: { service },
          }),
        });
        good++;
      }
      if (o.malformedEvery && good % o.malformedEvery === 0) {
        out.push({ key: source, partition, value: Buffer.from(`not telemetry ${good}`) });
      }
    }
  }
  return out;
}

/** One record per partition far ahead of the data: once read, every data window closes. */
export function endMarkers(partitions: number, ts: number): Message[] {
  const out: Message[] = [];
  for (let p = 0; p < partitions; p++) {
    out.push({
      key: `eos-${p}`,
      partition: p,
      value: encodeTelemetryJson({ ts, source: `eos-${p}`, metric: 'eos', value: 0, tags: {} }),
    });
  }
  return out;
}

/**
 * Every other telemetry record re-encoded as Confluent Avro with writer schema `schemaId`
 * (registered in the registry the processor reads), so that both decoders carry load; records
 * that are not JSON telemetry (the malformed ones) are left as they are.
 */
export function halfAvro(messages: readonly Message[], schemaId: number): Message[] {
  const avro = createTelemetryAvroEncoder(schemaId);
  let n = 0;
  return messages.map((m) => {
    const value = m.value as Buffer | null;
    if (value === null || value[0] !== 0x7b || n++ % 2 === 1) return m;
    return { ...m, value: avro.encode(JSON.parse(value.toString()) as Telemetry) };
  });
}
