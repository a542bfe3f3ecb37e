/**
 * Compact binary form of a DDSketch, carried base64-encoded in `WindowSignal.sketch` so
 * that stage two can merge partial aggregates exactly.
 *
 * Layout (version 1), little-endian; "uvar" is an unsigned LEB128 varint (up to 2^53),
 * "svar" a zigzag varint:
 *   u8   version (1)
 *   f64  relativeAccuracy      uvar maxBins
 *   uvar count                 (if count > 0:) f64 sum, f64 min, f64 max
 *   uvar zeroCount
 *   store positive, store negative, each:
 *     uvar nonEmptyBins, then per bin: svar index (first) or uvar gap to the previous
 *     index (others), uvar count
 * Sparse bins with delta-coded indexes keep a typical latency window under ~1 byte per
 * distinct bucket plus its count.
 */
import { InputError } from '../errors';
import { DDSketch } from './ddsketch';
import { CollapsingLowestStore } from './sketch-store';

const VERSION = 1;

class ByteWriter {
  private buf = new Uint8Array(64);
  private len = 0;
  private readonly view8 = new DataView(new ArrayBuffer(8));

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.len++] = v;
  }

  f64(v: number): void {
    this.reserve(8);
    this.view8.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.buf[this.len++] = this.view8.getUint8(i);
  }

  uvar(v: number): void {
    this.reserve(8);
    // Arithmetic rather than bit operators: counts may exceed 2^32.
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  svar(v: number): void {
    this.uvar(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

class ByteReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw bad('truncated');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  uvar(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 0x80;
    }
    throw bad('varint too long');
  }

  svar(): number {
    const z = this.uvar();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  done(): boolean {
    return this.pos === this.buf.length;
  }
}

function bad(why: string): InputError {
  return new InputError('INVALID_FIELD', `sketch is not a valid serialised DDSketch: ${why}`, { field: 'sketch' });
}

function writeStore(w: ByteWriter, store: CollapsingLowestStore): void {
  let nonEmpty = 0;
  store.forEach(() => {
    nonEmpty += 1;
  });
  w.uvar(nonEmpty);
  let prev = NaN;
  store.forEach((index, count) => {
    if (Number.isNaN(prev)) w.svar(index);
    else w.uvar(index - prev);
    w.uvar(count);
    prev = index;
  });
}

function readStore(r: ByteReader, store: CollapsingLowestStore): number {
  const n = r.uvar();
  if (n > store.maxBins) throw bad(`store holds ${n} bins, more than maxBins ${store.maxBins}`);
  let index = 0;
  let total = 0;
  for (let k = 0; k < n; k++) {
    if (k === 0) index = r.svar();
    else {
      const gap = r.uvar();
      if (gap < 1) throw bad('bin indexes not ascending');
      index += gap;
    }
    const c = r.uvar();
    if (c < 1) throw bad('empty bin');
    store.addCount(index, c);
    total += c;
  }
  return total;
}

/** Serialises to bytes (see the layout above). */
export function encodeSketch(s: DDSketch): Uint8Array {
  const w = new ByteWriter();
  w.u8(VERSION);
  w.f64(s.relativeAccuracy);
  w.uvar(s.maxBins);
  w.uvar(s.count);
  if (s.count > 0) {
    w.f64(s.sum);
    w.f64(s.min);
    w.f64(s.max);
  }
  w.uvar(s.zeroCount);
  writeStore(w, s.positive);
  writeStore(w, s.negative);
  return w.bytes();
}

/** Parses bytes written by `encodeSketch`; throws InputError INVALID_FIELD on anything else. */
export function decodeSketch(bytes: Uint8Array): DDSketch {
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== VERSION) throw bad(`unknown version ${version}`);
  const relativeAccuracy = r.f64();
  const maxBins = r.uvar();
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1) || maxBins < 1) {
    throw bad(`bad parameters (accuracy ${relativeAccuracy}, maxBins ${maxBins})`);
  }
  const s = new DDSketch({ relativeAccuracy, maxBins });
  const count = r.uvar();
  if (count > 0) {
    s.sum = r.f64();
    s.min = r.f64();
    s.max = r.f64();
  }
  s.zeroCount = r.uvar();
  const held = s.zeroCount + readStore(r, s.positive) + readStore(r, s.negative);
  if (held !== count) throw bad(`bins hold ${held} values but count is ${count}`);
  if (!r.done()) throw bad('trailing bytes');
  s.count = count;
  return s;
}

export function sketchToBase64(s: DDSketch): string {
  const b = encodeSketch(s);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

export function sketchFromBase64(text: string): DDSketch {
  return decodeSketch(new Uint8Array(Buffer.from(text, 'base64')));
}
