/**
 * A transaction's records written into one buffer (encodeAvroMany, the slab writer) must be
 * byte for byte what encodeAvro writes for each, whatever mix of values the one-pass writer
 * answers for and leaves to avsc, and stay so after later records are written.
 */
import fc from 'fast-check';
import { InputError } from '../../../src/errors';
import type { WindowSignal } from '../../../src/model/signal';
import { createRecordCodec } from '../../../src/codec/record-codec';
import { RECORD_KINDS, schemaType } from '../../../src/codec/schemas';
import { arbitraryFor } from './avro-arbitrary';
import { samples } from './fixtures';

const ID = 0x01020304;

const tagsOf = (i: number): Record<string, string> =>
  i % 3 === 0 ? { role: 'worker', tenant: `t${i % 11}` } : { role: 'worker' };

/** Each value's bytes from encodeAvro, or the error it throws. */
function oneByOne(kind: (typeof RECORD_KINDS)[number], values: readonly unknown[]): string[] {
  const codec = createRecordCodec(kind);
  return values.map((v) => {
    try {
      return codec.encodeAvro(v as never, ID).toString('hex');
    } catch {
      return 'throws';
    }
  });
}

describe('encodeAvroMany (one buffer for many records)', () => {
  it.each(RECORD_KINDS)('%s: the bytes encodeAvro writes for each value, in order', (kind) => {
    const type = schemaType(kind);
    // ASCII and any UTF-16 mixed: some values written in one pass, some left to avsc.
    const ascii = arbitraryFor(type, { strings: fc.string({ unit: 'binary-ascii', maxLength: 12 }) });
    const any = arbitraryFor(type, {});
    fc.assert(
      fc.property(fc.array(fc.oneof(ascii, any), { maxLength: 40 }), (values) => {
        const expected = oneByOne(kind, values);
        if (expected.includes('throws')) return; // invalid values: the test below
        const slab = createRecordCodec(kind).encodeAvroMany(values as never[], ID);
        // Later records written by either path must not touch the slab's views.
        for (const v of values.slice(-3).reverse()) createRecordCodec(kind).encodeAvro(v as never, ID);
        createRecordCodec(kind).encodeAvroMany(values.slice().reverse() as never[], ID);
        expect(slab.map((b) => b.toString('hex'))).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('signals: thousands in one slab, a grown slab, a record of megabytes among them, and an invalid one', () => {
    const codec = createRecordCodec('signal');
    const { sketch: _omitted, ...signal } = samples.signal;
    const values: WindowSignal[] = Array.from({ length: 5000 }, (_, i) => ({
      ...signal,
      key: `w${i}|query.latency_ms|role=worker`,
      source: i % 7 === 0 ? 'é' : `w${i}`, // short non-ASCII: left to avsc, at its place
      sum: i * 1.5,
      tags: tagsOf(i),
    }));
    values[2500] = { ...values[2500], key: 'k'.repeat(2_000_000) };
    const expected = oneByOne('signal', values);
    const slab = codec.encodeAvroMany(values, ID);
    for (const v of values.slice(4000, 4100).reverse()) codec.encodeAvro(v, ID);
    codec.encodeAvroMany(values.slice(0, 100).reverse(), ID);
    expect(slab.map((b) => b.toString('hex'))).toEqual(expected);
    expect(() => codec.encodeAvroMany([signal, { ...signal, count: 1.5 }], ID)).toThrow(InputError);
    expect(() => codec.encodeAvroMany([signal], -1)).toThrow(/schema id/);
    expect(codec.encodeAvroMany([], ID)).toEqual([]);
  });
});
