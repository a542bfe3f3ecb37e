/**
 * A record read by the fast record batch decoder (record-batch-decoder.ts): kafkajs's record,
 * field for field, except that its value stays where it arrived — in the fetch response (or
 * the batch's inflated bytes) — until someone asks for `value`.
 *
 * Why: kafkajs hands every record's value out as a Buffer view of the fetch, one small
 * object per record, and making it took 0.31 µs of each event in a profile of the pipeline
 * (docs/benchmarks.md, "Values left in the fetch"). The processor's one-pass readers read the
 * value in place instead
 * (BatchDecoder.decodeFast → decodeFastIn), so on its path no view is made; any other reader
 * of `value` — the general decode path, the DLQ's copy of a refused record — gets the view
 * kafkajs would have made, made once, when first asked for.
 *
 * `value` is a getter on the class, not an own property, so a copy of such a record
 * (`{ ...message }`, JSON.stringify) would lose it. Only the consumers of a topic that opted in
 * (keepValuesInPlace: homeostat's processor, for its telemetry topic) get these records; the
 * consumer's batch (fetch-batch.ts) turns every other topic's into kafkajs's plain objects
 * (asKafkajsRecord), so another kafkajs consumer in the same process sees kafkajs's records.
 * And the decoder makes them only once that batch is in place (inPlaceRecords).
 */
import type { BatchContext } from './record-batch-decoder';

export class FetchedRecord {
  /** The view of the value, once made; undefined until asked for. */
  private view: Buffer | null | undefined = undefined;

  constructor(
    readonly magicByte: number,
    readonly attributes: number,
    readonly timestamp: string,
    readonly offset: string,
    readonly key: Buffer | null,
    /** The buffer the value lies in: the fetch response, or the batch's inflated records. */
    readonly valueBuffer: Buffer,
    /** The value's first byte in valueBuffer; -1 for a null value, or once `value` was set. */
    public valueStart: number,
    /** One past its last byte; -1 as valueStart. */
    public valueEnd: number,
    readonly headers: Record<string, unknown>,
    readonly isControlRecord: boolean,
    readonly batchContext: BatchContext & { magicByte: number },
  ) {
    if (valueStart < 0) this.view = null;
  }

  /** kafkajs's value: null, or a view of the value's bytes (the same view on every read). */
  get value(): Buffer | null {
    if (this.view === undefined) this.view = this.valueBuffer.subarray(this.valueStart, this.valueEnd);
    return this.view;
  }

  /** As writable as kafkajs's plain object's field; the bytes in place no longer count then. */
  set value(v: Buffer | null) {
    this.view = v;
    this.valueStart = -1;
    this.valueEnd = -1;
  }

  /** Whether the value is in valueBuffer[valueStart..valueEnd) (not null, not replaced). */
  get inPlace(): boolean {
    return this.valueStart >= 0;
  }
}

/** kafkajs's plain record for `r`, its value an own property (the view, made now if not yet). */
export function asKafkajsRecord(r: FetchedRecord): Record<string, unknown> {
  return {
    magicByte: r.magicByte,
    attributes: r.attributes,
    timestamp: r.timestamp,
    offset: r.offset,
    key: r.key,
    value: r.value,
    headers: r.headers,
    isControlRecord: r.isControlRecord,
    batchContext: r.batchContext,
  };
}

/** Topics whose consumers in this process take records with their values in place, and how many opted in. */
const inPlaceTopics = new Map<string, number>();

/**
 * Whether the record batch decoder makes FetchedRecords: only while the consumer's batch that
 * turns them into kafkajs's objects for other topics is in place (fetch-batch.ts) and some
 * topic is opted in — otherwise every consumer gets kafkajs's records straight from the
 * decoder, with no FetchedRecord made and turned back.
 */
export const inPlaceRecords = { enabled: false, batchInPlace: false };

function refresh(): void {
  inPlaceRecords.enabled = inPlaceRecords.batchInPlace && inPlaceTopics.size > 0;
}

/**
 * Opts `topic`'s consumers in this process in to records with their values in place, until the
 * returned release is called (once the opting consumer stopped: the process's other consumers
 * then stop paying for the records turned back into kafkajs's).
 */
export function keepValuesInPlace(topic: string): () => void {
  inPlaceTopics.set(topic, (inPlaceTopics.get(topic) ?? 0) + 1);
  refresh();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (inPlaceTopics.get(topic) ?? 1) - 1;
    if (left > 0) inPlaceTopics.set(topic, left);
    else inPlaceTopics.delete(topic);
    refresh();
  };
}

/** The consumer's batch that hands kafkajs's records to the topics not opted in is in place. */
export function batchHandlesValuesInPlace(): void {
  inPlaceRecords.batchInPlace = true;
  refresh();
}

/** Whether `topic`'s consumers take records with their values in place. */
export function valuesKeptInPlace(topic: string): boolean {
  return inPlaceTopics.has(topic);
}
