/**
 * The last tags a source sent, remembered by their bytes, for the one-pass telemetry readers
 * (telemetry-avro-fast.ts, telemetry-json-fast.ts).
 *
 * Why: a source's tags rarely change, yet each record's tags were read afresh — a varint and
 * an interned string per key and value, an own-key check and a keyed store per tag, and a new
 * object — about a third of the Avro reader's time (profile of the pipeline bench, issue #21).
 * When a record's tag bytes are the ones its source sent last, so is their reading: one
 * compare of the bytes, four at a time, replaces it, and the records share that one tags
 * object, frozen. The replay reader does the same (replay/fast-jsonl/tags-scanner.ts, with the
 * measurements behind it); nothing in the pipeline writes to tags, and freezing makes a writer
 * fail loudly instead of changing other records.
 *
 * The shared objects carry a slot where the engine keeps the series their records went to
 * (core/series-hint.ts), so that it finds them without its index.
 *
 * Keyed by the source's slot in the string table (ascii-intern.ts), which the reader has in
 * hand: no hash of its own. Only tags read and accepted under the same limits are remembered
 * (a change of limits forgets them all), so a hit gives what the reading would. Bounded: one
 * row of BODY_BYTES per slot of the string table (about 6.5 MiB at 65536 slots, zero pages until a slot is used).
 */
import { addSeriesHint, hintOf, hintSource } from '../core/series-hint';
import { createPatternRows, rowEquals, storeRow } from '../replay/fast-jsonl/words';
import { INTERN_SLOTS } from './ascii-intern';
import type { TelemetryLimits } from './limits';

/** Tag bodies up to this many bytes are remembered (three tags of 20-odd characters fit). */
const BODY_BYTES = 96;

// Local copies: under tsx (the benches) an imported function is read through a getter on every call.
const equals = rowEquals;
const store = storeRow;
const slotOf = hintOf;
const sourceOf = hintSource;
const NONE: Readonly<Record<string, string>> = Object.freeze({});

export interface TagsMemo {
  /**
   * Where the tags remembered for `source` (at string-table slot `slot`) end when the bytes at
   * `buf[start]` (before `end`) are exactly the ones they were read from under `limits`, and
   * then they are in `tags`; -1 otherwise.
   */
  recall(buf: Buffer, start: number, end: number, source: string, slot: number, limits: TelemetryLimits): number;
  /** The tags of the last recall that matched. */
  readonly tags: Record<string, string>;
  /** Remembers `tags`, read and accepted from `buf[start, end)` under `limits`; returns them frozen. */
  remember(
    buf: Buffer,
    start: number,
    end: number,
    source: string,
    slot: number,
    limits: TelemetryLimits,
    tags: Record<string, string>,
  ): Record<string, string>;
}

export function createTagsMemo(): TagsMemo {
  const rows = createPatternRows(INTERN_SLOTS, BODY_BYTES);
  const data = rows.data;
  const stride = rows.stride;
  const remembered = new Array<Record<string, string>>(INTERN_SLOTS).fill(NONE);
  let memoLimits: TelemetryLimits | undefined;
  // Views of the whole backing store, indexed by absolute offset: the readers' buffers are
  // views into a few large ones (a fetch response, a pool chunk), so they are rarely rebuilt.
  let backing: ArrayBufferLike | undefined;
  let view: DataView = new DataView(new ArrayBuffer(0));
  let bytes: Uint8Array = new Uint8Array(0);

  const useBacking = (buf: Buffer): void => {
    if (buf.buffer === backing) return;
    backing = buf.buffer;
    view = new DataView(backing);
    bytes = new Uint8Array(backing);
  };

  // Writable here: recall sets the tags it found.
  const self: { -readonly [K in keyof TagsMemo]: TagsMemo[K] } = {
    tags: NONE,
    recall(buf, start, end, source, slot, limits) {
      if (slot < 0 || limits !== memoLimits) return -1;
      // The source is checked on the tags' series slot (which the engine reads next: in cache then).
      const tags = remembered[slot];
      const hint = slotOf(tags);
      if (hint === undefined || sourceOf(hint) !== source) return -1;
      const at = slot * stride;
      // The compare reads exactly the row's length: only when that many bytes are there.
      const n = data[at] - 1;
      if (n < 0 || n > end - start) return -1;
      useBacking(buf);
      if (equals(data, at, view, bytes, buf.byteOffset + start) !== n) return -1;
      self.tags = tags;
      return start + n;
    },
    remember(buf, start, end, source, slot, limits, tags) {
      const n = end - start;
      if (slot < 0 || n > BODY_BYTES) return Object.freeze(tags);
      // Shared: the engine may keep the series of its records on it.
      Object.freeze(addSeriesHint(tags, source));
      if (limits !== memoLimits) {
        memoLimits = limits;
        remembered.fill(NONE);
      }
      remembered[slot] = tags;
      useBacking(buf);
      store(data, slot * stride, view, bytes, buf.byteOffset + start, n);
      return tags;
    },
  };
  return self;
}
