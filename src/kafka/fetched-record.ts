/**
 * A record read by the fast record batch decoder (record-batch-decoder.ts): kafkajs's record,
 * the same own, enumerable keys in the same order, except that its value stays where it arrived —
 * in the fetch response (or the batch's inflated bytes) — until someone reads `value`.
 *
 * Why: kafkajs hands every record's value out as a Buffer view of the fetch, and making a view
 * costs about as much as reading a telemetry record's fields. The processor's one-pass readers
 * read the value in place instead (BatchDecoder.decodeFast → valueInPlace → decodeFastIn), so on
 * its path no view is made. Anyone else who reads `value` — the general decode path, the DLQ's
 * copy of a refused record, another kafkajs consumer in the same process, a spread or
 * JSON.stringify of the record — gets the view kafkajs would have made, made once, on first read.
 * `value` is an own enumerable accessor (a getter and a setter in the object literal), not a
 * prototype getter, so that copies of the record (`{ ...message }`) keep it, as with kafkajs.
 */
import type { BatchContext } from './record-batch-decoder';

/** Where the last value asked for through `valueInPlace` lies: one at a time, read at once. */
export interface ValueLocation {
  buffer: Buffer;
  start: number;
  end: number;
}

const EMPTY = Buffer.alloc(0);
const located: ValueLocation = { buffer: EMPTY, start: 0, end: 0 };
/** Set only inside valueInPlace: a record's getter then reports where its value lies instead. */
let locating = false;
/** What a getter returns while locating, for a value left in place. */
const IN_PLACE = Buffer.alloc(0);

/**
 * Where `m`'s value lies when it is a fetched record's value still in place (not null, not
 * replaced): then the location (valid until the next call), else undefined — read `m.value`.
 * Any other record (kafkajs's own) just has its value read.
 */
export function valueInPlace(m: { value: Buffer | null }): ValueLocation | undefined {
  locating = true;
  let v: Buffer | null;
  try {
    v = m.value;
  } finally {
    locating = false;
  }
  return v === IN_PLACE ? located : undefined;
}

export interface FetchedRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, unknown>;
  isControlRecord: boolean;
  batchContext: BatchContext & { magicByte: number };
}

/**
 * kafkajs's record with its value at `buffer[start..end)`, or null when `start` is -1. Arguments,
 * not an object of fields: one object per record, the record itself.
 */
export function fetchedRecord(
  magicByte: number,
  attributes: number,
  timestamp: string,
  offset: string,
  key: Buffer | null,
  buffer: Buffer,
  start: number,
  end: number,
  headers: Record<string, unknown>,
  isControlRecord: boolean,
  batchContext: BatchContext & { magicByte: number },
): FetchedRecord {
  let view: Buffer | null | undefined = start < 0 ? null : undefined;
  return {
    magicByte,
    attributes,
    timestamp,
    offset,
    key,
    get value(): Buffer | null {
      if (view === undefined) {
        if (locating) {
          located.buffer = buffer;
          located.start = start;
          located.end = end;
          return IN_PLACE;
        }
        view = buffer.subarray(start, end);
      }
      return view;
    },
    set value(v: Buffer | null) {
      view = v;
    },
    headers,
    isControlRecord,
    batchContext,
  };
}
