/**
 * A record of the fast record batch decoder keeps its value in the fetch's bytes (fetched-record.ts):
 * its `value` must still be what kafkajs hands out (null or one view of the bytes, writable), its
 * plain copy kafkajs's object, and the batch decoder's one-pass read of it in place must answer
 * exactly as the read of its own copy — including after the value was replaced, when only the new
 * value counts.
 */
import type { KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { createTelemetryDecoder, DEFAULT_TELEMETRY_LIMITS, encodeTelemetryJson } from '../../../src/codec';
import { Accounting } from '../../../src/kafka/accounting';
import { BatchDecoder } from '../../../src/kafka/batch-decoder';
import { createBatchDead } from '../../../src/kafka/dlq-arrival';
import { asKafkajsRecord, FetchedRecord } from '../../../src/kafka/fetched-record';
import type { BatchContext } from '../../../src/kafka/record-batch-decoder';
import { createSourcePartitionWatch } from '../../../src/kafka/source-partitions';
import type { Telemetry } from '../../../src/model/telemetry';
import { OWN_ID, UNKNOWN_ID, frame, lookup, own } from '../../helpers/telemetry-writers';

const logger = pino({ level: 'silent' });
const t: Telemetry = {
  ts: 1_767_225_600_000,
  source: 'w-1',
  metric: 'queue.depth',
  value: 3,
  tags: { role: 'worker' },
};
const other: Telemetry = { ...t, source: 'w-2', value: 4 };

const context = { magicByte: 2 } as BatchContext & { magicByte: number };

/** A record whose value is `bytes`, laid between other bytes of one buffer (as in a fetch response). */
function fetched(bytes: Buffer | null, offset = '7'): FetchedRecord {
  const before = Buffer.from([0, 0, 0, 0, 1, 0x7b]);
  // After it, a whole record: a reader running past the value's end would find one.
  const after = frame(OWN_ID, own.toBuffer(other));
  const buf = Buffer.concat([before, bytes ?? Buffer.alloc(0), after]);
  const start = bytes === null ? -1 : before.length;
  const end = bytes === null ? -1 : before.length + bytes.length;
  return new FetchedRecord(2, 0, '1767225600000', offset, null, buf, start, end, {}, false, context);
}

/** The same record as kafkajs's plain object, its value a copy of its own. */
function plain(r: FetchedRecord): KafkaMessage {
  const value = r.value === null ? null : Buffer.from(r.value);
  return { ...r, value, timestamp: r.timestamp, offset: r.offset } as unknown as KafkaMessage;
}

function batchDecoder(): BatchDecoder {
  const limits = DEFAULT_TELEMETRY_LIMITS;
  return new BatchDecoder({
    decoder: createTelemetryDecoder({ resolver: lookup, limits }),
    limits,
    logger,
    accounting: new Accounting('t', undefined),
    sourcePartitions: createSourcePartitionWatch({ logger }),
    dead: createBatchDead(),
  });
}

describe('a record read by the fast record batch decoder', () => {
  it('hands out its value as kafkajs does: null, or one view of the bytes, replaceable', () => {
    const bytes = frame(OWN_ID, own.toBuffer(t));
    const r = fetched(bytes);
    expect(r.inPlace).toBe(true);
    expect(r.value).toEqual(bytes);
    expect(r.value).toBe(r.value);
    expect(r.value!.buffer).toBe(r.valueBuffer.buffer); // a view, not a copy
    expect(fetched(null).value).toBeNull();
    expect(fetched(null).inPlace).toBe(false);
    const replacement = Buffer.from('x');
    r.value = replacement;
    expect(r.value).toBe(replacement);
    expect(r.inPlace).toBe(false);
  });

  it("turns into kafkajs's plain object: its keys in its order, the value an own property", () => {
    const bytes = frame(OWN_ID, own.toBuffer(t));
    const r = fetched(bytes);
    const p = asKafkajsRecord(r);
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(Object.keys(p)).toEqual([
      'magicByte',
      'attributes',
      'timestamp',
      'offset',
      'key',
      'value',
      'headers',
      'isControlRecord',
      'batchContext',
    ]);
    expect(p.value).toBe(r.value);
    expect({ ...p }.value).toEqual(bytes);
    expect(asKafkajsRecord(fetched(null)).value).toBeNull();
  });

  it("is made only while some topic is opted in and the batch that hands the others kafkajs's records is in place", () => {
    type Module = typeof import('../../../src/kafka/fetched-record');
    // Fresh modules: nothing opted in, no batch installed (this tier's setup installs one).
    const fresh = (): Module => {
      let m: Module | undefined;
      jest.isolateModules(() => {
        m = jest.requireActual<Module>('../../../src/kafka/fetched-record');
      });
      return m!;
    };
    const a = fresh();
    expect(a.valuesKeptInPlace('telemetry-a')).toBe(false);
    a.keepValuesInPlace('telemetry-a');
    expect(a.valuesKeptInPlace('telemetry-a')).toBe(true);
    expect(a.valuesKeptInPlace('telemetry-b')).toBe(false);
    // kafkajs's own Batch would pass such records to every topic's consumers: none made.
    expect(a.inPlaceRecords.enabled).toBe(false);
    a.batchHandlesValuesInPlace();
    expect(a.inPlaceRecords.enabled).toBe(true);
    // The batch in place, no topic opted in: still none.
    const b = fresh();
    b.batchHandlesValuesInPlace();
    expect(b.inPlaceRecords.enabled).toBe(false);
    const first = b.keepValuesInPlace('telemetry-a');
    const second = b.keepValuesInPlace('telemetry-a');
    expect(b.inPlaceRecords.enabled).toBe(true);
    // Released by every consumer that opted in (each release counts once): none made again.
    first();
    first();
    expect(b.valuesKeptInPlace('telemetry-a')).toBe(true);
    expect(b.inPlaceRecords.enabled).toBe(true);
    second();
    expect(b.valuesKeptInPlace('telemetry-a')).toBe(false);
    expect(b.inPlaceRecords.enabled).toBe(false);
  });

  it('is read in place by the batch decoder exactly as its own copy is read', async () => {
    const d = batchDecoder();
    await d.afterMiss(plain(fetched(frame(OWN_ID, own.toBuffer(t)))), 0, OWN_ID);
    const avro = frame(OWN_ID, own.toBuffer(t));
    const values: (Buffer | null)[] = [
      avro,
      encodeTelemetryJson(t),
      null,
      Buffer.alloc(0),
      avro.subarray(0, avro.length - 1), // the rest of it follows in the buffer
      frame(UNKNOWN_ID, own.toBuffer(t)),
      Buffer.concat([avro, Buffer.from([0])]),
    ];
    for (const v of values) {
      const r = fetched(v);
      expect(d.decodeFast(r as unknown as KafkaMessage)).toEqual(d.decodeFast(plain(r)));
    }
    expect(d.decodeFast(fetched(avro) as unknown as KafkaMessage)).toEqual(t);
  });

  it('is read from its new value once replaced', () => {
    const d = batchDecoder();
    const r = fetched(frame(OWN_ID, own.toBuffer(t)));
    r.value = encodeTelemetryJson(other);
    expect(d.decodeFast(r as unknown as KafkaMessage)).toEqual(other);
  });
});
