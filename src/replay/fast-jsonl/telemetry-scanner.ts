/**
 * The fast path of a replay from JSONL: a scanner for the one line layout homeostat writes
 * itself (write-jsonl.ts: `{"ts":…,"source":"…","metric":"…","value":…,"tags":{…}}`, keys in
 * that order, tag keys sorted, no whitespace), reading the fields straight from the bytes —
 * no string per line, no JSON.parse, no intermediate object.
 *
 * It accepts a line only when it is sure the slow path (JSON.parse, parseJsonlLine, the
 * import's scale and shift, validateTelemetry under the same limits) would accept it and
 * produce the same record; for anything else it returns null and the caller runs the slow
 * path, which also words the error. So what it accepts is deliberately narrow:
 *   - strings of printable ASCII without escapes (no `\`, no control or non-ASCII bytes);
 *   - ts a plain integer of at most 15 digits (exact as a double), no sign, no leading zero;
 *   - value `-?int(.frac)?` with no exponent, its digits as an integer m < 10^15 and at most 22
 *     of them after the point: m / 10^k with m and 10^k exact doubles is one correctly rounded
 *     division, hence the same double JSON.parse reads (Clinger's fast path,
 *     https://doi.org/10.1145/93542.93557) — -0 included;
 *   - tag keys non-empty, not `__proto__`, in strictly increasing byte order (so no duplicate
 *     key, whose last value JSON.parse would keep);
 *   - within the record limits, and a line no longer than maxLineLength.
 * test/unit/replay/fast-jsonl-*.test.ts checks fast == slow on random and adversarial lines.
 * Fixed text and known tags are compared a word at a time (words.ts).
 */
import type { TelemetryLimits } from '../../codec';
import type { Telemetry } from '../../model/telemetry';
import { createAsciiInterner, type AsciiInterner } from './ascii-interner';
import { createStringScanner } from './string-scanner';
import { createTagsScanner } from './tags-scanner';
import { textWords } from './words';

export interface TelemetryScanOptions {
  /** The record limits the slow path validates with; undefined: not checked (as there). */
  limits?: TelemetryLimits;
  /** Longer lines go to the slow path, which reports them. */
  maxLineLength: number;
  /** Added to every ts (the import's rebase offset, once known). Default 0. */
  shiftMs?: number;
  /** Every value is multiplied by it (the import's valueScale). Default 1. */
  valueScale?: number;
  /** Shared between scanners of one file, so that a change of options keeps the cache. */
  interner?: AsciiInterner;
}

export interface TelemetryScanner {
  /**
   * The record on the line starting at `buf[start]`, or null when the line is not in the
   * layout above (then `next` is meaningless). `buf` must hold a `\n` at or after `start`,
   * followed by at least LINE_SLACK more bytes (of any value): every loop stops on the `\n`,
   * so no bounds checks are needed, and word reads may run that far past it.
   */
  scan(buf: Buffer, start: number): Telemetry | null;
  /** After a successful scan: the index just past the line's `\n`. */
  next: number;
}

/** Bytes a buffer must hold after the `\n` of the last line handed to `scan`. */
export const LINE_SLACK = 3;

// The fixed text between the fields, as the words compared at offsets 0, 4 and length − 4
// (written out below rather than looped over: this is the hottest code of a replay).
const [TS0, TS1] = textWords('{"ts":');
const [SO0, SO1, SO2] = textWords(',"source":"');
const [ME0, ME1, ME2] = textWords('","metric":"');
const [VA0, VA1, VA2] = textWords('","value":');
const [TA0, TA1, TA2] = textWords(',"tags":{');
/** 10^k is an exact double up to k = 22. */
const MAX_FRACTION = 22;
const POW10 = Array.from({ length: MAX_FRACTION + 1 }, (_, k) => 10 ** k);
/** Digits of ts, and the largest value mantissa: below 2^53, so exact. */
const MAX_DIGITS = 15;
const MAX_MANTISSA = 999_999_999_999_999;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LF = 0x0a;
const CR = 0x0d;

/** The scanner's bounds and transforms with their defaults (no limit, no shift, no scale). */
function scanSettings(options: TelemetryScanOptions) {
  const limits = options.limits;
  return {
    minTs: limits?.minTs ?? -Infinity,
    maxTs: limits?.maxTs ?? Infinity,
    maxSource: limits?.maxSourceLength ?? Infinity,
    maxMetric: limits?.maxMetricLength ?? Infinity,
    maxLine: options.maxLineLength,
    shift: options.shiftMs ?? 0,
    scale: options.valueScale ?? 1,
    tagLimits: {
      maxTags: limits?.maxTags ?? Infinity,
      maxTagKeyLength: limits?.maxTagKeyLength ?? Infinity,
      maxTagValueLength: limits?.maxTagValueLength ?? Infinity,
    },
  };
}

export function createTelemetryScanner(options: TelemetryScanOptions): TelemetryScanner {
  const { minTs, maxTs, maxSource, maxMetric, maxLine, shift, scale, tagLimits } = scanSettings(options);
  const interner = options.interner ?? createAsciiInterner();
  const strings = createStringScanner();
  const tagsScanner = createTagsScanner(interner, strings, tagLimits);
  // A view of the buffer being scanned, made again only when the buffer changes (the line reader
  // alternates between two).
  let viewOf: Buffer | undefined;
  let view: DataView = new DataView(new ArrayBuffer(0));

  const self: TelemetryScanner = {
    next: 0,
    scan(buf, start) {
      if (buf !== viewOf) {
        view = new DataView(buf.buffer, buf.byteOffset, buf.length);
        viewOf = buf;
      }
      if (view.getInt32(start, true) !== TS0 || view.getInt32(start + 2, true) !== TS1) return null;
      let i = start + 6;

      // ts: a plain non-negative integer; anything else (sign, fraction, exponent) is the slow path's.
      let c = buf[i];
      if (c < ZERO || c > NINE) return null;
      let ts = c - ZERO;
      c = buf[++i];
      if (ts === 0 && c >= ZERO && c <= NINE) return null;
      let digits = 1;
      while (c >= ZERO && c <= NINE) {
        if (++digits > MAX_DIGITS) return null;
        ts = ts * 10 + (c - ZERO);
        c = buf[++i];
      }

      if (view.getInt32(i, true) !== SO0 || view.getInt32(i + 4, true) !== SO1 || view.getInt32(i + 7, true) !== SO2)
        return null;
      i += 11;
      let end = strings.end(view, buf, i);
      if (end <= i || end - i > maxSource) return null;
      const source = interner.get(view, buf, i, end, strings.hash);
      const sourceSlot = interner.slot;

      if (
        view.getInt32(end, true) !== ME0 ||
        view.getInt32(end + 4, true) !== ME1 ||
        view.getInt32(end + 8, true) !== ME2
      )
        return null;
      i = end + 12;
      end = strings.end(view, buf, i);
      if (end <= i || end - i > maxMetric) return null;
      const metric = interner.get(view, buf, i, end, strings.hash);

      if (
        view.getInt32(end, true) !== VA0 ||
        view.getInt32(end + 4, true) !== VA1 ||
        view.getInt32(end + 6, true) !== VA2
      )
        return null;
      i = end + 10;
      c = buf[i];
      const negative = c === MINUS;
      if (negative) c = buf[++i];
      if (c < ZERO || c > NINE) return null;
      let m = c - ZERO;
      c = buf[++i];
      if (m === 0) {
        if (c >= ZERO && c <= NINE) return null;
      } else {
        while (c >= ZERO && c <= NINE) {
          m = m * 10 + (c - ZERO);
          c = buf[++i];
        }
      }
      let fraction = 0;
      if (c === DOT) {
        c = buf[++i];
        if (c < ZERO || c > NINE) return null;
        while (c >= ZERO && c <= NINE) {
          m = m * 10 + (c - ZERO);
          fraction++;
          c = buf[++i];
        }
      }
      // m only grows, so if it ends below 10^15 every step was exact.
      if (m > MAX_MANTISSA || fraction > MAX_FRACTION) return null;
      let value = fraction === 0 ? m : m / POW10[fraction];
      if (negative) value = -value;

      // An exponent, or anything else after the number, fails here.
      if (view.getInt32(i, true) !== TA0 || view.getInt32(i + 4, true) !== TA1 || view.getInt32(i + 5, true) !== TA2)
        return null;
      i = tagsScanner.scan(view, buf, i + 9, source, sourceSlot);
      if (i < 0) return null;
      const tags = tagsScanner.tags;

      if (buf[i] !== CLOSE) return null;
      c = buf[++i];
      const contentEnd = i;
      if (c === CR) c = buf[++i];
      if (c !== LF) return null;
      if (contentEnd - start > maxLine) return null;

      // The import's scale and shift, then the record limits, exactly as the slow path applies them.
      if (scale !== 1) {
        value *= scale;
        if (!Number.isFinite(value)) return null;
      }
      if (shift !== 0) {
        ts += shift;
        if (!Number.isSafeInteger(ts)) return null;
      }
      if (ts < minTs || ts > maxTs) return null;
      self.next = i + 1;
      return { ts, source, metric, value, tags };
    },
  };
  return self;
}
