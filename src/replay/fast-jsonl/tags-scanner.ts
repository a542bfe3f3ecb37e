/**
 * The `tags` object of a telemetry line on the fast path: keys and values plain ASCII strings,
 * keys non-empty, not `__proto__`, in strictly increasing byte order (homeostat writes them
 * sorted; it also rules out a duplicate key, whose last value JSON.parse would keep), within
 * the record limits.
 *
 * A source's tags rarely change, so the body last read for each source is remembered: when the
 * bytes are the same again, so is the parse, and one compare replaces a scan and two interner
 * look-ups per tag. The records then share that one tags object, frozen: a copy per record
 * made the whole replay clearly slower (interleaved runs of the bench/replay.ts file scenario:
 * 1.13–1.43M events/s shared, 0.63–1.27M/s copied — the allocation, its garbage, and the engine
 * reading tags from a few thousand objects instead of one per record). Nothing in the pipeline
 * writes to tags; freezing makes a writer fail loudly instead of changing other records.
 */
import type { AsciiInterner } from './ascii-interner';
import type { StringScanner } from './string-scanner';
import { createPatternRows, rowEquals, storeRow } from './words';

// Local copies: under tsx (the benches) an imported function is read through a getter on every call.
const equals = rowEquals;
const store = storeRow;

export interface TagsScanLimits {
  maxTags: number;
  maxTagKeyLength: number;
  maxTagValueLength: number;
}

export interface TagsScanner {
  /**
   * From `i` (just past `{`): the index just past the closing `}`, or -1 when the body is not
   * in the layout above. Sets `tags` (frozen). `source` and `sourceSlot` (its interner slot)
   * key the memory of the source's last tags.
   */
  scan(view: DataView, buf: Buffer, i: number, source: string, sourceSlot: number): number;
  tags: Readonly<Record<string, string>>;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const CLOSE = 0x7d;
/** Bodies up to this many bytes are remembered (three tags of 20-odd characters fit). */
const BODY_BYTES = 96;

/** Whether buf[a0, a1) sorts strictly before buf[b0, b1), bytewise (= code units for ASCII). */
function before(buf: Buffer, a0: number, a1: number, b0: number, b1: number): boolean {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let k = 0; k < n; k++) {
    const d = buf[a0 + k] - buf[b0 + k];
    if (d !== 0) return d < 0;
  }
  return a1 - a0 < b1 - b0;
}

export function createTagsScanner(
  interner: AsciiInterner,
  strings: StringScanner,
  limits: TagsScanLimits,
): TagsScanner {
  const { maxTags, maxTagKeyLength: maxKey, maxTagValueLength: maxValue } = limits;
  // Per interner slot of a source: that source (identity), its last tags body and their parse.
  const seenSource = new Array<string | undefined>(interner.size).fill(undefined);
  const bodies = createPatternRows(interner.size, BODY_BYTES);
  const stride = bodies.stride;
  const data = bodies.data;
  const seenTags = new Array<Record<string, string>>(interner.size).fill({});

  /** A full scan of the body from i. */
  function parse(self: TagsScanner, view: DataView, buf: Buffer, i: number): number {
    const tags: Record<string, string> = {};
    self.tags = tags;
    if (buf[i] === CLOSE) return i + 1;
    let count = 0;
    let prev0 = -1;
    let prev1 = -1;
    for (;;) {
      if (buf[i] !== QUOTE) return -1;
      const k0 = i + 1;
      const k1 = strings.end(view, buf, k0);
      if (k1 <= k0 || k1 - k0 > maxKey) return -1;
      if (prev0 >= 0 && !before(buf, prev0, prev1, k0, k1)) return -1;
      const key = interner.get(view, buf, k0, k1, strings.hash);
      // Assigning it would set the prototype; the slow path refuses it with a reason.
      if (key === '__proto__') return -1;
      if (buf[k1 + 1] !== COLON || buf[k1 + 2] !== QUOTE) return -1;
      const v0 = k1 + 3;
      const v1 = strings.end(view, buf, v0);
      if (v1 < 0 || v1 - v0 > maxValue) return -1;
      tags[key] = interner.get(view, buf, v0, v1, strings.hash);
      if (++count > maxTags) return -1;
      prev0 = k0;
      prev1 = k1;
      const c = buf[v1 + 1];
      if (c === CLOSE) return v1 + 2;
      if (c !== COMMA) return -1;
      i = v1 + 2;
    }
  }

  const self: TagsScanner = {
    tags: {},
    scan(view, buf, i, source, sourceSlot) {
      if (seenSource[sourceSlot] === source) {
        const n = equals(data, sourceSlot * stride, view, buf, i);
        if (n >= 0) {
          self.tags = seenTags[sourceSlot];
          return i + n;
        }
      }
      const end = parse(self, view, buf, i);
      if (end < 0) return -1;
      Object.freeze(self.tags);
      seenSource[sourceSlot] = source;
      if (end - i <= BODY_BYTES) {
        store(data, sourceSlot * stride, view, buf, i, end - i);
        seenTags[sourceSlot] = self.tags;
      } else data[sourceSlot * stride] = 0;
      return end;
    },
  };
  return self;
}
