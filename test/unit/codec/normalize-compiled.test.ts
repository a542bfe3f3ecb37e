/**
 * The compiled normaliser against normalize.ts, the definition: wherever it answers, its copy
 * must be the same value with the same key order (so the encodings are the same bytes), and
 * it must never answer for a value normalize.ts rejects.
 */
import fc from 'fast-check';
import { Type } from 'avsc';
import { InputError } from '../../../src/errors';
import { normalize } from '../../../src/codec/normalize';
import { compileNormalizer, NOT_SURE } from '../../../src/codec/normalize-compiled';
import { parseOptions, RECORD_KINDS, schemaType } from '../../../src/codec/schemas';
import { arbitraryFor, fieldDamage } from './avro-arbitrary';
import { samples } from './fixtures';

type Outcome = { ok: true; value: unknown } | { ok: false };

function slow(type: Type, value: unknown, fromJson: boolean): Outcome {
  try {
    return { ok: true, value: normalize(type, value, '', fromJson) };
  } catch (err) {
    if (err instanceof InputError) return { ok: false };
    throw err;
  }
}

/** Same value and the same key order everywhere (Object.is: -0 and NaN exactly). */
function sameCopy(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameCopy(x, b[i]));
  if (Buffer.isBuffer(a)) return Buffer.isBuffer(b) && a.equals(b);
  if (typeof a === 'object' && a !== null) {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.join('\u0000') !== kb.join('\u0000')) return false;
    return ka.every((k) => sameCopy((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

function check(type: Type, value: unknown, fromJson: boolean): void {
  const fast = compileNormalizer(type)(value, fromJson);
  const expected = slow(type, value, fromJson);
  if (fast === NOT_SURE) return; // normalize.ts decides: nothing to compare
  expect(expected.ok).toBe(true);
  if (expected.ok) expect(sameCopy(fast, expected.value)).toBe(true);
}

const damage = fieldDamage;

describe('compileNormalizer', () => {
  it.each(RECORD_KINDS)('%s: the same copy as normalize.ts for every valid value', (kind) => {
    const type = schemaType(kind);
    fc.assert(
      fc.property(arbitraryFor(type), fc.boolean(), (value, fromJson) => check(type, value, fromJson)),
      { numRuns: 200 },
    );
  });

  it.each(RECORD_KINDS)('%s: never answers where normalize.ts rejects (damaged fields)', (kind) => {
    const type = schemaType(kind);
    fc.assert(
      fc.property(
        arbitraryFor(type),
        fc.array(fc.tuple(fc.nat(), damage), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (value, hits, fromJson) => {
          const damaged = { ...(value as Record<string, unknown>) };
          const keys = Object.keys(damaged);
          for (const [at, v] of hits) damaged[keys[at % keys.length]] = v;
          check(type, damaged, fromJson);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers for the fixtures of every kind, with the copy normalize.ts makes', () => {
    for (const kind of RECORD_KINDS) {
      const type = schemaType(kind);
      const value = samples[kind];
      const fast = compileNormalizer(type)(value, false);
      expect(fast).not.toBe(NOT_SURE);
      expect(sameCopy(fast, normalize(type, value, '', false))).toBe(true);
    }
  });

  it('turns -0 into 0, fills defaults, sorts map keys, and leaves rejections to normalize.ts', () => {
    const type = schemaType('signal');
    const { sketch: _omitted, ...signal } = { ...samples.signal, sum: -0, tags: { b: '2', a: '1' } };
    const fast = compileNormalizer(type)(signal, false) as Record<string, unknown>;
    expect(Object.is(fast.sum, 0)).toBe(true);
    expect(fast.sketch).toBeNull();
    expect(Object.keys(fast.tags as object)).toEqual(['a', 'b']);
    expect(compileNormalizer(type)({ ...signal, count: 1.5 }, false)).toBe(NOT_SURE);
    expect(compileNormalizer(type)({ ...signal, tags: JSON.parse('{"__proto__":"x"}') }, true)).toBe(NOT_SURE);
    const holey = new Array<number>(2);
    holey[1] = 2;
    expect(compileNormalizer(type)({ ...signal, partitions: holey }, false)).toBe(NOT_SURE);
  });
  // Our schemas' unions are all [null, X]; a schema another producer registers may not be.
  // Unions of several branches, null last or absent, as avsc parses them here (unwrapped).
  it('unions beyond [null, X]: the same copy as normalize.ts wherever it answers', () => {
    const type = Type.forSchema(
      {
        type: 'record',
        name: 'Unions',
        fields: [
          { name: 'several', type: ['null', 'long', 'string'] },
          { name: 'nullLast', type: ['double', 'null'] },
          { name: 'noNull', type: ['string'] },
          { name: 'nested', type: ['null', { type: 'map', values: ['null', 'boolean', 'string'] }] },
        ],
      },
      parseOptions(),
    );
    fc.assert(
      fc.property(arbitraryFor(type), fc.boolean(), (value, fromJson) => check(type, value, fromJson)),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        arbitraryFor(type),
        fc.constantFrom('several', 'nullLast', 'noNull', 'nested'),
        damage,
        fc.boolean(),
        (value, field, hit, fromJson) => check(type, { ...(value as Record<string, unknown>), [field]: hit }, fromJson),
      ),
      { numRuns: 300 },
    );
    const fast = compileNormalizer(type)({ several: null, nullLast: 2.5, noNull: 'a', nested: { b: null } }, false);
    expect(sameCopy(fast, { several: null, nullLast: 2.5, noNull: 'a', nested: { b: null } })).toBe(true);
    expect(compileNormalizer(type)({ several: null, nullLast: 2.5, noNull: null, nested: null }, false)).toBe(NOT_SURE);
  });
});
