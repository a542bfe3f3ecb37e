/**
 * Comparing and scanning bytes four at a time. Most of a telemetry line is fixed text (keys,
 * quotes) or text seen before (a source's tags), so the scanner spends its time comparing
 * bytes; a DataView reads 4 unaligned bytes as one little-endian int32 in a single load, a
 * quarter of the loads and compares of a byte loop.
 *
 * Reads may run up to 3 bytes past the `\n` that ends a line (never past an earlier byte that
 * differs), so buffers handed to the scanner carry that much slack after their last `\n`.
 */

/**
 * Fixed text as the little-endian int32 words to compare at offsets 0, 4, … and length − 4 (the
 * last overlaps the one before): ceil(length / 4) compares cover any length ≥ 4.
 */
export function textWords(text: string): number[] {
  const buf = Buffer.from(text, 'latin1');
  if (buf.length < 4) throw new RangeError(`textWords needs at least 4 bytes, got ${JSON.stringify(text)}`);
  const offsets = Array.from({ length: Math.ceil(buf.length / 4) }, (_, k) => Math.min(4 * k, buf.length - 4));
  return offsets.map((o) => buf.readInt32LE(o));
}

/**
 * Whether none of a word's 4 bytes can end or spoil a plain string: a quote, a backslash, a
 * control byte (< 0x20) or anything above `~` (DEL and every non-ASCII byte). Bit tricks from
 * https://graphics.stanford.edu/~seander/bithacks.html#ValueInWord (haszero, hasless, hasmore),
 * which never miss such a byte; a rare false alarm only sends the word to the byte loop.
 */
export function plainWord(w: number): boolean {
  const q = w ^ 0x22222222;
  const b = w ^ 0x5c5c5c5c;
  const flags = ((w - 0x20202020) & ~w) | (w + 0x01010101) | w | ((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b);
  return (flags & 0x80808080) === 0;
}

/**
 * Patterns kept in rows of one flat Int32Array instead of an object each: a look-up touches one
 * or two cache lines instead of chasing three pointers, which matters once the engine, between
 * two lines, has pushed the scanner's caches out of the CPU's.
 * Row layout: [length + 1, word 0, …]; 0 marks an empty row, so a fresh (zeroed) table needs no
 * set-up and its untouched pages cost no memory. Bytes shorter than 4 are one word, little-endian,
 * zero-padded.
 */
export interface PatternRows {
  readonly data: Int32Array;
  /** Int32s per row. */
  readonly stride: number;
  readonly maxBytes: number;
}

export function createPatternRows(rows: number, maxBytes: number): PatternRows {
  const stride = 1 + Math.ceil(maxBytes / 4);
  return { data: new Int32Array(rows * stride), stride, maxBytes };
}

/** Stores `buf[start, start + n)` (n ≤ maxBytes) at row offset `at`. */
export function storeRow(
  data: Int32Array,
  at: number,
  view: DataView,
  buf: Uint8Array,
  start: number,
  n: number,
): void {
  data[at] = n + 1;
  if (n < 4) {
    let w = 0;
    for (let k = n - 1; k >= 0; k--) w = (w << 8) | buf[start + k];
    data[at + 1] = w;
    return;
  }
  const count = Math.ceil(n / 4);
  for (let k = 0; k < count - 1; k++) data[at + 1 + k] = view.getInt32(start + 4 * k, true);
  data[at + count] = view.getInt32(start + n - 4, true);
}

/** Whether the row at `at` holds `n` bytes (false for an empty row). */
export function rowHolds(data: Int32Array, at: number, n: number): boolean {
  return data[at] === n + 1;
}

/** The row's length when the bytes at `i` are exactly the row's, else -1 (also for an empty row). */
export function rowEquals(data: Int32Array, at: number, view: DataView, buf: Uint8Array, i: number): number {
  const n = data[at] - 1;
  if (n < 4) {
    if (n < 0) return -1;
    let w = 0;
    for (let k = n - 1; k >= 0; k--) w = (w << 8) | buf[i + k];
    return data[at + 1] === w ? n : -1;
  }
  const last = (n + 3) >> 2;
  for (let k = 1; k < last; k++) if (view.getInt32(i + 4 * (k - 1), true) !== data[at + k]) return -1;
  return view.getInt32(i + n - 4, true) === data[at + last] ? n : -1;
}
