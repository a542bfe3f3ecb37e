/**
 * A bench's telemetry topic: pre-producing the deterministic fleet (bench/lib/telemetry.ts)
 * in one wire format, and the decode the raw-consumer baselines add (avsc `fromBuffer` of the
 * Avro body after the registry header / `JSON.parse`) — shared by bench/pipeline.ts and
 * bench/clients.ts, so both read the same records and time the same decoding.
 */
import type { Kafka } from 'kafkajs';
import { HEADER_SIZE, schemaType } from '../../src/codec';
import type { Telemetry } from '../../src/model/telemetry';
import { produceBulk } from './kafka';
import { createFleet } from './telemetry';

export type WireFormat = 'avro' | 'json';

/** Decodes one telemetry value as the baselines do; the result is only checked for presence. */
export function telemetryDecoder(format: WireFormat): (value: Buffer) => unknown {
  const type = schemaType('telemetry');
  return format === 'avro'
    ? (v) => type.fromBuffer(v.subarray(HEADER_SIZE)) as unknown
    : (v) => JSON.parse(v.toString('utf8')) as unknown;
}

/**
 * Produces `n` records of the fleet (`series` series from `t0`, 20k events/s of event time,
 * ≤ 500 ms disorder, seed 42) encoded by `encode`, keyed by source. Returns the wall time
 * (ms) and the bytes of the encoded values.
 */
export async function produceTelemetry(
  kafka: Kafka,
  topic: string,
  options: { n: number; series: number; t0: number; encode: (t: Telemetry) => Buffer },
): Promise<{ ms: number; bytes: number }> {
  const fleet = createFleet({
    series: options.series,
    t0: options.t0,
    eventsPerSecond: 20_000,
    disorderMs: 500,
    seed: 42,
  });
  let bytes = 0;
  const ms = await produceBulk(kafka, topic, options.n, () => {
    const t = fleet.next();
    const value = options.encode(t);
    bytes += value.length;
    return { key: t.source, value };
  });
  return { ms, bytes };
}
