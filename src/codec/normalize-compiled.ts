/**
 * The check-and-copy of normalize.ts, compiled once per schema into a tree of closures: no
 * switch on the type name and no `instanceof` chain per value, and no field path built per
 * field (normalize.ts concatenates one for every field of every record, in case it has to
 * name it in an error). A compiled normaliser never throws an InputError: on anything it is
 * not sure of — an invalid value, a wrapped or multi-branch union, bytes, a non-finite double
 * spelt as a JSON string — it answers NOT_SURE, and the caller runs normalize.ts, which
 * decides exactly as before and names the field. Where it answers, the copy is the one
 * normalize.ts makes: the same checks, the same operations in the same order (fields in
 * schema order, defaults through `defaultValue()` normalised as in memory, map keys sorted,
 * `+ 0` on numbers), so encodings built on it are byte-identical.
 */
import { Type, types } from 'avsc';

/** The compiled normaliser's "ask normalize.ts" answer. */
export const NOT_SURE: unique symbol = Symbol('normalize: not sure');

export type CompiledNormalizer = (value: unknown, fromJson: boolean) => unknown;

type Fn = CompiledNormalizer;

const INT_MIN = -0x80000000;
const INT_MAX = 0x7fffffff;
/** As normalize.ts: avsc writes longs beyond 2^52 inexactly. */
const LONG_LIMIT = 2 ** 52;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

const notSure: Fn = () => NOT_SURE;
const nullFn: Fn = (v) => (v === null || v === undefined ? null : NOT_SURE);
const booleanFn: Fn = (v) => (typeof v === 'boolean' ? v : NOT_SURE);
const intFn: Fn = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX ? v + 0 : NOT_SURE;
const longFn: Fn = (v) =>
  typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= LONG_LIMIT ? v + 0 : NOT_SURE;
const doubleFn: Fn = (v) => (typeof v === 'number' ? v + 0 : NOT_SURE);
const stringFn: Fn = (v) => (typeof v === 'string' ? v : NOT_SURE);

/** Compiles `type` (recursive schemas included: a record's normaliser exists before its fields). */
export function compileNormalizer(type: Type): CompiledNormalizer {
  return compile(type, new Map());
}

function compile(type: Type, done: Map<Type, Fn>): Fn {
  const known = done.get(type);
  if (known !== undefined) return known;
  switch (type.typeName) {
    case 'null':
      return nullFn;
    case 'boolean':
      return booleanFn;
    case 'int':
      return intFn;
    case 'long':
      return longFn;
    case 'float':
    case 'double':
      return doubleFn;
    case 'string':
      return stringFn;
    case 'bytes':
      return notSure;
    default:
      return compileComplex(type, done);
  }
}

function compileComplex(type: Type, done: Map<Type, Fn>): Fn {
  if (type instanceof types.RecordType) return compileRecord(type, done);
  if (type instanceof types.EnumType) {
    const symbols = type.symbols;
    return (v) => (typeof v === 'string' && symbols.includes(v) ? v : NOT_SURE);
  }
  if (type instanceof types.ArrayType) return compileArray(compile(type.itemsType, done));
  if (type instanceof types.MapType) return compileMap(compile(type.valuesType as Type, done));
  if (type instanceof types.UnwrappedUnionType) {
    const nullable = type.types.some((t) => t.typeName === 'null');
    const others = type.types.filter((t) => t.typeName !== 'null');
    // Several non-null branches: normalize.ts tries each in turn; left to it.
    const only = others.length === 1 ? compile(others[0], done) : notSure;
    return (v, fromJson) => (v === null || v === undefined ? (nullable ? null : NOT_SURE) : only(v, fromJson));
  }
  if (type instanceof types.LogicalType) return compile(type.underlyingType, done);
  return notSure; // wrapped unions, fixed, anything else: normalize.ts
}

function compileRecord(type: types.RecordType, done: Map<Type, Fn>): Fn {
  const fields = type.fields;
  const children: Fn[] = [];
  let body: Fn | undefined;
  // Fields are bound when first called: a recursive schema's record refers to itself.
  const fn: Fn = (value, fromJson) => (body ?? (body = recordBody(fields, children)))(value, fromJson);
  done.set(type, fn);
  for (const f of fields) children.push(compile(f.type, done));
  return fn;
}

/**
 * A record's check-and-copy as generated code, like avsc's own readers and writers: each field
 * read and the copy built under its literal name, so V8 sees one object shape per schema (a
 * loop over the field names makes every access a megamorphic keyed one, which cost most of the
 * schema walk). Avro names are [A-Za-z_][A-Za-z0-9_]*, written here as JSON string literals.
 */
function recordBody(fields: readonly types.Field[], children: readonly Fn[]): Fn {
  if (fields.some((f) => f.name === '__proto__')) return recordLoop(fields, children);
  const lines: string[] = ['if (!isPlainObject(value)) return NOT_SURE;', 'let v;'];
  fields.forEach((f, i) => {
    const name = JSON.stringify(f.name);
    lines.push(
      `v = hasOwn.call(value, ${name}) ? value[${name}] : undefined;`,
      `const r${i} = v === undefined ? fromDefault(fields[${i}], children[${i}]) : children[${i}](v, fromJson);`,
      `if (r${i} === NOT_SURE) return NOT_SURE;`,
    );
  });
  lines.push(`return {${fields.map((f, i) => `${JSON.stringify(f.name)}: r${i}`).join(', ')}};`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from schema field names only
  const make = new Function(
    'isPlainObject',
    'hasOwn',
    'NOT_SURE',
    'fromDefault',
    'fields',
    'children',
    `return function (value, fromJson) {\n${lines.join('\n')}\n};`,
  ) as (...deps: unknown[]) => Fn;
  return make(isPlainObject, Object.prototype.hasOwnProperty, NOT_SURE, fromDefault, fields, children);
}

/** A missing field: its default, normalised as an in-memory value (as normalize.ts does). */
function fromDefault(field: types.Field, child: Fn): unknown {
  const v = field.defaultValue() as unknown;
  return v === undefined ? NOT_SURE : child(v, false);
}

/** The same without generated code (a field named __proto__ cannot be an object literal's key). */
function recordLoop(fields: readonly types.Field[], children: readonly Fn[]): Fn {
  return (value, fromJson) => {
    if (!isPlainObject(value)) return NOT_SURE;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const name = fields[i].name;
      const v = Object.prototype.hasOwnProperty.call(value, name) ? value[name] : undefined;
      const r = v === undefined ? fromDefault(fields[i], children[i]) : children[i](v, fromJson);
      if (r === NOT_SURE) return NOT_SURE;
      out[name] = r;
    }
    return out;
  };
}

function compileArray(item: Fn): Fn {
  return (value, fromJson) => {
    if (!Array.isArray(value)) return NOT_SURE;
    const n = value.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      if (!(i in value)) return NOT_SURE; // a hole: Array.map keeps it, normalize.ts decides
      const r = item(value[i], fromJson);
      if (r === NOT_SURE) return NOT_SURE;
      out[i] = r;
    }
    return out;
  };
}

function compileMap(values: Fn): Fn {
  return (value, fromJson) => {
    if (!isPlainObject(value)) return NOT_SURE;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (key === '__proto__') return NOT_SURE;
      const r = values(value[key], fromJson);
      if (r === NOT_SURE) return NOT_SURE;
      out[key] = r;
    }
    return out;
  };
}
