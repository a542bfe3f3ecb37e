/**
 * compileCanonical against stringifyCanonical, the definition: the same text for every
 * normalised value of every record kind (non-finite doubles, -0, unicode and escapes included).
 */
import fc from 'fast-check';
import { compileCanonical, stringifyCanonical } from '../../../src/codec/canonical-json';
import { normalize } from '../../../src/codec/normalize';
import { RECORD_KINDS, schemaType } from '../../../src/codec/schemas';
import { arbitraryFor } from './avro-arbitrary';
import { samples } from './fixtures';

describe('compileCanonical', () => {
  it.each(RECORD_KINDS)('%s: the same text as stringifyCanonical', (kind) => {
    const type = schemaType(kind);
    const text = compileCanonical(type);
    fc.assert(
      fc.property(arbitraryFor(type, { nonFinite: true }), (value) => {
        const normalised = normalize(type, value, '', false);
        expect(text(normalised)).toBe(stringifyCanonical(type, normalised));
      }),
      { numRuns: 200 },
    );
  });

  it('writes the fixtures as stringifyCanonical does', () => {
    for (const kind of RECORD_KINDS) {
      const type = schemaType(kind);
      const normalised = normalize(type, samples[kind], '', false);
      expect(compileCanonical(type)(normalised)).toBe(stringifyCanonical(type, normalised));
    }
  });
});
