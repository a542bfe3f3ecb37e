/**
 * A record read by the fast record batch decoder (record-batch-decoder.ts): kafkajs's record,
 * field for field, except that its value stays where it arrived — in the fetch response (or
 * the batch's inflated bytes) — until someone asks for `value`.
 *
 * Why: kafkajs hands every record's value out as a Buffer view of the fetch, one small
 * object per record that the young generation then collects (a view costs about as much as
 * reading a telemetry record's fields). The processor's one-pass Avro reader reads the value
 * in place instead (BatchDecoder.decodeFast → decodeFastIn), so on its path no view is made;
 * any other reader of `value` — the general decode path, the DLQ's copy of a refused record,
 * a bare kafkajs consumer in the same process — gets the same view kafkajs would have made,
 * made once, when first asked for.
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
