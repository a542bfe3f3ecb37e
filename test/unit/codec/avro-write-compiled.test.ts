/**
 * The one-pass Avro writer against the definition — avsc's `toBuffer` of normalize.ts's
 * canonical copy, framed: wherever it answers, the same bytes; where normalize.ts rejects a
 * value, never an answer.
 */
import fc from 'fast-check';
import { Type } from 'avsc';
import { InputError } from '../../../src/errors';
import { compileAvroWriter } from '../../../src/codec/avro-write-compiled';
import { frame } from '../../../src/codec/framing';
import { normalize } from '../../../src/codec/normalize';
import { NOT_SURE } from '../../../src/codec/normalize-compiled';
import { createRecordCodec } from '../../../src/codec/record-codec';
import { parseOptions, RECORD_KINDS, schemaType } from '../../../src/codec/schemas';
import { arbitraryFor, fieldDamage, type ArbitraryOptions } from './avro-arbitrary';
import { samples } from './fixtures';

const ID = 0x01020304;

/** The definition's bytes, or undefined where normalize.ts rejects the value. */
function definition(type: Type, value: unknown): Buffer | undefined {
  try {
    return frame(ID, type.toBuffer(normalize(type, value, '', false)));
  } catch {
    return undefined; // an InputError, or avsc refusing what normalize.ts let through (a hole)
  }
}

/** Returns whether the writer answered. */
function check(type: Type, value: unknown): boolean {
  const fast = compileAvroWriter(type)(value, ID);
  const expected = definition(type, value);
  if (fast === NOT_SURE) return false;
  expect(expected).toBeDefined();
  expect(fast.toString('hex')).toBe(expected!.toString('hex'));
  return true;
}

/** ASCII only (the writer answers for these), and long strings (avsc's utf8Write above 64 bytes). */
const STRINGS: [string, ArbitraryOptions][] = [
  ['any UTF-16', {}],
  ['ASCII', { strings: fc.string({ unit: 'binary-ascii', maxLength: 20 }) }],
  ['long, any UTF-16', { strings: fc.string({ unit: 'binary', minLength: 20, maxLength: 90 }) }],
  ['NaN and infinities', { nonFinite: true, strings: fc.string({ unit: 'binary-ascii', maxLength: 8 }) }],
];

const damage = fieldDamage;

describe('compileAvroWriter', () => {
  describe.each(STRINGS)('strings: %s', (_name, options) => {
    it.each(RECORD_KINDS)('%s: the definition’s bytes wherever it answers', (kind) => {
      const type = schemaType(kind);
      let answered = 0;
      fc.assert(
        fc.property(arbitraryFor(type, options), (value) => {
          if (check(type, value)) answered++;
        }),
        { numRuns: 150 },
      );
      // Kinds with bytes fields are always left to avsc; the others must be answered for ASCII.
      if (options.strings !== undefined && kind !== 'control') expect(answered).toBeGreaterThan(0);
    });
  });

  it.each(RECORD_KINDS)('%s: never answers where normalize.ts rejects (damaged fields)', (kind) => {
    const type = schemaType(kind);
    const ascii = { strings: fc.string({ unit: 'binary-ascii', maxLength: 10 }) };
    fc.assert(
      fc.property(
        arbitraryFor(type, ascii),
        fc.array(fc.tuple(fc.nat(), damage), { minLength: 1, maxLength: 3 }),
        (value, hits) => {
          const damaged = { ...(value as Record<string, unknown>) };
          const keys = Object.keys(damaged);
          for (const [at, v] of hits) damaged[keys[at % keys.length]] = v;
          check(type, damaged);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes the fixtures of every kind as the codec did (encodeAvro)', () => {
    for (const kind of RECORD_KINDS) {
      const type = schemaType(kind);
      const expected = definition(type, samples[kind]);
      expect(createRecordCodec(kind).encodeAvro(samples[kind], ID).equals(expected!)).toBe(true);
    }
  });

  it('a signal: -0, an absent sketch, unsorted tags and a grown scratch buffer', () => {
    const type = schemaType('signal');
    const { sketch: _omitted, ...signal } = samples.signal;
    expect(check(type, { ...signal, sum: -0, tags: { b: '2', a: '1', c: 'x'.repeat(200) } })).toBe(true);
    expect(check(type, { ...signal, key: 'k'.repeat(200_000), sketch: 'é'.repeat(40) })).toBe(true);
    const many = Object.fromEntries(['z', 'B', 'a', '_', 'y', 'Z', 'b', 'aa', 'A', '~', 'a~', 'x'].map((k) => [k, k]));
    expect(check(type, { ...signal, tags: many })).toBe(true);
    // Left to avsc: a short non-ASCII string, a key that may be an array index, a hole.
    expect(check(type, { ...signal, source: 'é' })).toBe(false);
    expect(check(type, { ...signal, tags: { b: '1', '10': '2' } })).toBe(false);
    const holey = new Array<number>(2);
    holey[1] = 2;
    expect(check(type, { ...signal, partitions: holey })).toBe(false);
    expect(() => createRecordCodec('signal').encodeAvro({ ...samples.signal, count: 1.5 }, ID)).toThrow(InputError);
    // As before: an invalid value is an InputError even with a bad schema id; a valid one, the id's error.
    expect(() => createRecordCodec('signal').encodeAvro({ ...samples.signal, count: 1.5 }, -1)).toThrow(InputError);
    expect(() => createRecordCodec('signal').encodeAvro(samples.signal, -1)).toThrow(/schema id/);
    // After a record of megabytes, the next small one is still written exactly.
    expect(check(type, { ...signal, key: 'k'.repeat(3_000_000) })).toBe(true);
    expect(check(type, signal)).toBe(true);
  });

  it('unions beyond [null, X], enums and floats: the definition’s bytes wherever it answers', () => {
    const type = Type.forSchema(
      {
        type: 'record',
        name: 'Unions',
        fields: [
          { name: 'nullLast', type: ['double', 'null'] },
          { name: 'noNull', type: ['string'] },
          { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] } },
          { name: 'f', type: 'float', default: 1.5 },
          { name: 'nested', type: ['null', { type: 'map', values: ['string', 'null'] }] },
        ],
      },
      parseOptions(),
    );
    const ascii = { strings: fc.string({ unit: 'binary-ascii', maxLength: 6 }) };
    let answered = 0;
    fc.assert(
      fc.property(arbitraryFor(type, ascii), fc.option(damage), (value, hit) => {
        const v = { ...(value as Record<string, unknown>) };
        if (hit !== null) v.nullLast = hit;
        if (check(type, v)) answered++;
      }),
      { numRuns: 400 },
    );
    expect(answered).toBeGreaterThan(0);
    expect(check(type, { nullLast: null, noNull: 'a', e: 'B', nested: { b: null } })).toBe(true);
    expect(check(type, { nullLast: 1, noNull: 'a', e: 'D', nested: null })).toBe(false);
    const several = Type.forSchema(
      { type: 'record', name: 'Several', fields: [{ name: 's', type: ['null', 'long', 'string'] }] },
      parseOptions(),
    );
    expect(check(several, { s: 'a' })).toBe(false); // several non-null branches: avsc picks
  });
});
