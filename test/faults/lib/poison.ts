/**
 * The poison corpus: records that must never reach a window, each with the DLQ reason it
 * must get. Built from valid telemetry and then broken one way each, so that what is tested
 * is the breakage and not some unrelated defect.
 */
import type { Message } from 'kafkajs';
import { createTelemetryAvroEncoder, encodeTelemetryJson, frameHeader, schemaType } from '../../../src/codec';
import type { ErrorCode } from '../../../src/errors';
import type { Telemetry } from '../../../src/model/telemetry';

export interface PoisonKind {
  name: string;
  code: ErrorCode;
  make(i: number): Buffer | null;
}

/** Just under what one record may be on the broker (message.max.bytes 1 048 588 minus batch overhead). */
export const NEAR_MAX_VALUE_BYTES = 1_048_000;

export function poisonKinds(schemaId: number, ts: (i: number) => number): PoisonKind[] {
  const avro = createTelemetryAvroEncoder(schemaId);
  const good = (i: number): Telemetry => ({
    ts: ts(i),
    source: `poison-${i % 7}`,
    metric: 'queue.depth',
    value: i,
    tags: { role: 'worker' },
  });
  const json = (fields: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify(fields));
  const raw = (o: Record<string, unknown>): Buffer =>
    Buffer.concat([frameHeader(schemaId), schemaType('telemetry').toBuffer(o)]);
  return [
    {
      name: 'truncated Avro',
      code: 'TRUNCATED',
      make: (i) => {
        const b = avro.encode({ ...good(i), tags: { role: 'worker', tenant: `t-${i}` } });
        return b.subarray(0, b.length - 1 - (i % 8));
      },
    },
    {
      name: 'wrong magic byte',
      code: 'NOT_DECODABLE',
      make: (i) => Buffer.concat([Buffer.from([1 + (i % 200)]), avro.encode(good(i)).subarray(1)]),
    },
    {
      name: 'unknown schema id',
      code: 'UNKNOWN_SCHEMA_ID',
      make: (i) => Buffer.concat([frameHeader(0x7f7f0000 + (i % 5)), avro.encode(good(i)).subarray(5)]),
    },
    {
      name: 'huge tag value',
      code: 'TAG_TOO_LARGE',
      make: (i) => encodeTelemetryJson({ ...good(i), tags: { role: 'x'.repeat(20_000 + i) } }),
    },
    {
      name: 'numerous tags',
      code: 'TOO_MANY_TAGS',
      make: (i) =>
        encodeTelemetryJson({
          ...good(i),
          tags: Object.fromEntries(Array.from({ length: 500 }, (_, k) => [`k${k}`, `v${i}`])),
        }),
    },
    { name: 'NaN value (Avro)', code: 'NON_FINITE_VALUE', make: (i) => raw({ ...good(i), value: Number.NaN }) },
    {
      name: 'Infinity value (Avro)',
      code: 'NON_FINITE_VALUE',
      make: (i) => raw({ ...good(i), value: i % 2 === 0 ? Infinity : -Infinity }),
    },
    {
      name: 'Infinity value (JSON 1e999)',
      code: 'NON_FINITE_VALUE',
      make: (i) => Buffer.from(`{"ts":${ts(i)},"source":"p","metric":"m","value":1e999,"tags":{}}`),
    },
    { name: 'NaN value (JSON string)', code: 'NON_FINITE_VALUE', make: (i) => json({ ...good(i), value: 'NaN' }) },
    { name: 'event time in 1970', code: 'TS_OUT_OF_RANGE', make: (i) => json({ ...good(i), ts: 86_400_000 + i }) },
    {
      name: 'event time in 3000',
      code: 'TS_OUT_OF_RANGE',
      make: (i) => json({ ...good(i), ts: Date.UTC(3000, 0, 1) + i }),
    },
    {
      name: 'invalid UTF-8',
      code: 'INVALID_UTF8',
      make: (i) =>
        Buffer.concat([
          Buffer.from(`{"ts":${ts(i)},"source":"`),
          Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
          Buffer.from('","metric":"m","value":1,"tags":{}}'),
        ]),
    },
    { name: 'tombstone (null value)', code: 'NOT_DECODABLE', make: () => null },
    { name: 'JSON array', code: 'NOT_DECODABLE', make: (i) => Buffer.from(`[${i}]`) },
    { name: 'broken JSON', code: 'INVALID_JSON', make: (i) => Buffer.from(`{"ts":${ts(i)},"source":`) },
    { name: 'missing field', code: 'MISSING_FIELD', make: (i) => json({ ts: ts(i), source: 's', value: 1, tags: {} }) },
  ];
}

/** `count` poison records, kinds in turn, each sent twice (a duplicate is dead-lettered twice). */
export function poisonMessages(
  kinds: PoisonKind[],
  count: number,
  partitions: number,
): { messages: Message[]; codes: ErrorCode[] } {
  const messages: Message[] = [];
  const codes: ErrorCode[] = [];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length];
    const value = kind.make(i);
    const copies = i % 10 === 0 ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      messages.push({ key: `poison-${i}`, partition: i % partitions, value });
      codes.push(kind.code);
    }
  }
  return { messages, codes };
}

/** A value of just under the broker's record size limit: valid JSON telemetry padded with a tag. */
export function nearMaxValue(ts: number): Buffer {
  const base = encodeTelemetryJson({ ts, source: 'big', metric: 'queue.depth', value: 1, tags: { pad: '' } });
  return encodeTelemetryJson({
    ts,
    source: 'big',
    metric: 'queue.depth',
    value: 1,
    tags: { pad: 'p'.repeat(NEAR_MAX_VALUE_BYTES - base.length) },
  });
}
