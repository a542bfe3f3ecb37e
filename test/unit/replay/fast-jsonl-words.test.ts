/** The word-at-a-time helpers of the fast path agree with their byte-by-byte definitions. */
import fc from 'fast-check';
import {
  createPatternRows,
  plainWord,
  rowEquals,
  rowHolds,
  storeRow,
  textWords,
} from '../../../src/replay/fast-jsonl/words';

const isPlain = (b: number): boolean => b >= 0x20 && b <= 0x7e && b !== 0x22 && b !== 0x5c;

function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

describe('fast-path words', () => {
  it('plainWord never passes a word with a byte that ends or spoils a plain string', () => {
    const interesting = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0x00, 0x0a, 0x1f, 0x20, 0x21, 0x22, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0xff),
    );
    fc.assert(
      fc.property(fc.tuple(interesting, interesting, interesting, interesting), (bytes) => {
        const buf = Uint8Array.from(bytes);
        const w = viewOf(buf).getInt32(0, true);
        if (plainWord(w)) expect(bytes.every(isPlain)).toBe(true);
      }),
      { numRuns: 50_000 },
    );
    // And it passes plain text, or it would save nothing.
    expect(plainWord(viewOf(Buffer.from('work')).getInt32(0, true))).toBe(true);
    expect(plainWord(viewOf(Buffer.from('er-1')).getInt32(0, true))).toBe(true);
    expect(plainWord(viewOf(Buffer.from('a"bc')).getInt32(0, true))).toBe(false);
  });

  it('a stored row equals exactly the bytes it was stored from', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        const rows = createPatternRows(2, 40);
        // Zeros after the bytes: rowEquals compares the row's length of bytes at i, whatever follows.
        const padded = (x: Uint8Array): Uint8Array =>
          Uint8Array.from([...x, ...new Array<number>(48 - x.length).fill(0)]);
        const pa = padded(a);
        const pb = padded(b);
        expect(rowEquals(rows.data, rows.stride, viewOf(pa), pa, 0)).toBe(-1);
        storeRow(rows.data, rows.stride, viewOf(pa), pa, 0, a.length);
        expect(rowHolds(rows.data, rows.stride, a.length)).toBe(true);
        expect(rowEquals(rows.data, rows.stride, viewOf(pa), pa, 0)).toBe(a.length);
        const same = a.every((x, i) => x === pb[i]);
        expect(rowEquals(rows.data, rows.stride, viewOf(pb), pb, 0)).toBe(same ? a.length : -1);
        // Row 0 was never written.
        expect(rowEquals(rows.data, 0, viewOf(pa), pa, 0)).toBe(-1);
      }),
      { numRuns: 5_000 },
    );
  });

  it('textWords covers fixed text with overlapping words', () => {
    const buf = Buffer.from(',"source":"', 'latin1');
    expect(textWords(',"source":"')).toEqual([buf.readInt32LE(0), buf.readInt32LE(4), buf.readInt32LE(7)]);
    expect(() => textWords('ab')).toThrow(RangeError);
  });
});
