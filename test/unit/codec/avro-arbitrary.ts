/**
 * fast-check arbitraries derived from an avsc Type, so that every record kind gets a
 * property-based round trip without a hand-written generator per schema.
 * Values are plain objects with unions unwrapped; they may hold -0 (normalize makes it 0).
 */
import fc from 'fast-check';
import { Type, types } from 'avsc';

export interface ArbitraryOptions {
  /** Allow NaN and ±Infinity in doubles. */
  nonFinite?: boolean;
  /** Strings and map keys from this arbitrary (default: any UTF-16 units, up to 12). */
  strings?: fc.Arbitrary<string>;
}

const text = fc.string({ unit: 'binary', maxLength: 12 });
const mapKey = text.filter((k) => k !== '__proto__');

export function arbitraryFor(type: Type, options: ArbitraryOptions = {}): fc.Arbitrary<unknown> {
  switch (type.typeName) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'int':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'long':
      return fc.oneof(fc.integer(), fc.integer({ min: 0, max: 2 ** 52 }), fc.integer({ min: -(2 ** 52), max: 0 }));
    case 'float':
      return fc.float({ noNaN: true, noDefaultInfinity: true });
    case 'double':
      return options.nonFinite ? fc.double() : fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'string':
      return options.strings ?? text;
    case 'bytes':
      return fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a));
    default:
      break;
  }
  if (type instanceof types.RecordType) {
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of type.fields) shape[f.name] = arbitraryFor(f.type, options);
    return fc.record(shape, { noNullPrototype: true });
  }
  if (type instanceof types.EnumType) return fc.constantFrom(...type.symbols);
  if (type instanceof types.ArrayType) return fc.array(arbitraryFor(type.itemsType, options), { maxLength: 4 });
  if (type instanceof types.MapType) {
    const key = options.strings ? options.strings.filter((k) => k !== '__proto__') : mapKey;
    return fc.dictionary(key, arbitraryFor(type.valuesType as Type, options), { maxKeys: 4, noNullPrototype: true });
  }
  if (type instanceof types.UnwrappedUnionType) return fc.oneof(...type.types.map((t) => arbitraryFor(t, options)));
  if (type instanceof types.LogicalType) return arbitraryFor(type.underlyingType, options);
  throw new Error(`no arbitrary for ${type.typeName}`);
}

/** Field-level damage a careless or hostile producer could do to a record (the compiled codecs' property tests). */
export const fieldDamage = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(-0),
  fc.constant(NaN),
  fc.constant('NaN'),
  fc.constant('Infinity'),
  fc.constant(2 ** 53),
  fc.constant(-(2 ** 52) - 2),
  fc.constant(2 ** 31),
  fc.constant(1.5),
  fc.constant('x'),
  fc.constant('é'),
  fc.constant(true),
  fc.constant([1, 'a']),
  fc.constant({ a: 1 }),
  fc.constant({ '1': 'a', b: 'c' }),
  fc.constant({ __proto__: null, b: 'c' }),
  fc.constant(JSON.parse('{"__proto__":"x"}') as unknown),
  fc.constant(Buffer.from('ab')),
);
