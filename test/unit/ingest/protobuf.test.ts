import fc from 'fast-check';
import { InputError } from '../../../src/errors';
import {
  WIRE_I64,
  createProtoReader,
  readDouble,
  readInt64Text,
  readMessage,
  readRepeated,
  readSint,
  readTag,
  readTimeMs,
  readVarint,
  skipField,
} from '../../../src/ingest/protobuf';
import { fDouble, fFixed64, fPackedDouble, tag, varint } from './proto-writer';

describe('protobuf wire reader', () => {
  it('reads varints exactly up to 2^53 and int64 two’s complement', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }), (n) => {
        const r = createProtoReader(varint(n));
        expect(readVarint(r)).toBe(Number(n));
        expect(r.pos).toBe(r.end);
      }),
    );
    expect(readVarint(createProtoReader(varint(-5n)), true)).toBe(-5);
    expect(readInt64Text(createProtoReader(varint(-9223372036854775808n)))).toBe('-9223372036854775808');
    expect(readInt64Text(createProtoReader(varint(9007199254740993n)))).toBe('9007199254740993');
  });

  it('decodes zigzag sint values', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
        const z = n >= 0 ? 2 * n : -2 * n - 1;
        expect(readSint(createProtoReader(varint(z)))).toBe(n);
      }),
    );
  });

  it('converts fixed64 nanoseconds to milliseconds exactly (no float rounding at ms boundaries)', () => {
    const ns = 1_714_564_800_123n * 1_000_000n; // exactly on a millisecond
    const r = createProtoReader(fFixed64(3, ns));
    readTag(r);
    expect(readTimeMs(r)).toBe(1_714_564_800_123);
    const r2 = createProtoReader(fFixed64(3, ns - 1n));
    readTag(r2);
    expect(readTimeMs(r2)).toBe(1_714_564_800_122);
  });

  it('accepts repeated scalars both packed and unpacked', () => {
    const packed = createProtoReader(fPackedDouble(7, [1.5, 2.5]));
    const out: number[] = [];
    const t = readTag(packed);
    readRepeated(packed, t.wire, WIRE_I64, readDouble, out, 'x');
    const unpacked = createProtoReader(Buffer.concat([fDouble(7, 3.5), fDouble(7, 4.5)]));
    while (unpacked.pos < unpacked.end) {
      const u = readTag(unpacked);
      readRepeated(unpacked, u.wire, WIRE_I64, readDouble, out, 'x');
    }
    expect(out).toEqual([1.5, 2.5, 3.5, 4.5]);
  });

  it('throws InputError (never reads past the end) on truncated input', () => {
    expect(() => readVarint(createProtoReader(Buffer.from([0x80, 0x80])))).toThrow(InputError);
    const lenPastEnd = Buffer.concat([tag(1, 2), varint(100), Buffer.from([1, 2, 3])]);
    const r = createProtoReader(lenPastEnd);
    readTag(r);
    expect(() => readMessage(r, 'x')).toThrow(/runs past the end/);
    expect(() => readVarint(createProtoReader(Buffer.alloc(11, 0xff)))).toThrow(/longer than 10 bytes/);
  });

  it('rejects groups and field number 0', () => {
    const group = createProtoReader(tag(1, 3));
    const t = readTag(group);
    expect(() => skipField(group, t.wire)).toThrow(/wire type 3/);
    expect(() => readTag(createProtoReader(Buffer.from([0x02])))).toThrow(/field number 0/);
  });

  it('bounds nesting depth', () => {
    let msg = Buffer.alloc(0);
    for (let i = 0; i < 40; i++) msg = Buffer.concat([tag(1, 2), varint(msg.length), msg]);
    let r = createProtoReader(msg);
    expect(() => {
      for (;;) {
        readTag(r);
        r = readMessage(r, 'nested');
      }
    }).toThrow(/deeper than 32/);
  });
});
