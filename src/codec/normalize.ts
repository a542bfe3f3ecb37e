/**
 * Schema-driven check-and-copy of a value: plain objects with fields in schema order,
 * missing fields filled from their defaults, map keys inserted in sorted order, unions
 * unwrapped. The same function reads JSON (where doubles may be "NaN"/"Infinity"/
 * "-Infinity" and bytes are base64) and checks in-memory values before encoding, so
 * that both encodings of a value are deterministic and decode to the same thing.
 * Throws InputError (MISSING_FIELD / INVALID_FIELD) naming the field path.
 */
import { Type, types } from 'avsc';
import { InputError } from '../errors';
import { describeValue } from './validate-telemetry';

const INT_MIN = -0x80000000;
const INT_MAX = 0x7fffffff;
/**
 * avsc writes longs beyond ±2^31 with float arithmetic; zig-zag doubles the magnitude,
 * so below -2^52 the result is no longer exact and the value changes sign on decode.
 * Epoch-ms timestamps (±8.64e15 at most, realistically < 5e12) never come near.
 */
const LONG_LIMIT = 2 ** 52;
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

function bad(path: string, expected: string, value: unknown): InputError {
  return new InputError('INVALID_FIELD', `field '${path}' must be ${expected}, got ${describeValue(value)}`, {
    field: path,
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

export function normalize(type: Type, value: unknown, path: string, fromJson: boolean): unknown {
  switch (type.typeName) {
    case 'null':
      if (value === null || value === undefined) return null;
      throw bad(path, 'null', value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      throw bad(path, 'a boolean', value);
    // `+ 0` turns -0 into 0: JSON cannot carry -0 and Avro ints cannot either, so the
    // canonical form has none and both encodings decode to the same value.
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX)
        return value + 0;
      throw bad(path, 'a 32-bit integer', value);
    case 'long':
      if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= LONG_LIMIT) return value + 0;
      throw bad(path, 'an integer within ±2^52', value);
    case 'float':
    case 'double':
      if (typeof value === 'number') return value + 0;
      if (fromJson && typeof value === 'string' && value in NON_FINITE) return NON_FINITE[value];
      throw bad(path, 'a number', value);
    case 'string':
      if (typeof value === 'string') return value;
      throw bad(path, 'a string', value);
    case 'bytes':
      return normalizeBytes(value, path, fromJson, undefined);
    default:
      return normalizeComplex(type, value, path, fromJson);
  }
}

function normalizeBytes(value: unknown, path: string, fromJson: boolean, size: number | undefined): Buffer {
  let buf: Buffer | undefined;
  if (Buffer.isBuffer(value)) buf = value;
  else if (fromJson && typeof value === 'string' && BASE64_RE.test(value)) buf = Buffer.from(value, 'base64');
  const expected = size === undefined ? 'bytes (base64 in JSON)' : `${size} bytes (base64 in JSON)`;
  if (buf === undefined || (size !== undefined && buf.length !== size)) throw bad(path, expected, value);
  return buf;
}

function normalizeComplex(type: Type, value: unknown, path: string, fromJson: boolean): unknown {
  if (type instanceof types.RecordType) {
    if (!isPlainObject(value)) throw bad(path === '' ? 'record' : path, `a ${type.name ?? 'record'} object`, value);
    const out: Record<string, unknown> = {};
    for (const field of type.fields) {
      const at = child(path, field.name);
      let v = Object.prototype.hasOwnProperty.call(value, field.name) ? value[field.name] : undefined;
      if (v === undefined) {
        v = field.defaultValue() as unknown;
        if (v === undefined) {
          throw new InputError('MISSING_FIELD', `field '${at}' is missing and has no default`, { field: at });
        }
        // Defaults are Avro values (wrapped unions unwrapped already); normalise as in memory.
        out[field.name] = normalize(field.type, v, at, false);
      } else {
        out[field.name] = normalize(field.type, v, at, fromJson);
      }
    }
    return out;
  }
  if (type instanceof types.EnumType) {
    if (typeof value === 'string' && type.symbols.includes(value)) return value;
    throw bad(path, `one of ${type.symbols.join(', ')}`, value);
  }
  if (type instanceof types.ArrayType) {
    if (!Array.isArray(value)) throw bad(path, 'an array', value);
    return value.map((item, i) => normalize(type.itemsType, item, `${path}[${i}]`, fromJson));
  }
  if (type instanceof types.MapType) {
    if (!isPlainObject(value)) throw bad(path, 'an object (map)', value);
    const values = type.valuesType as Type;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (key === '__proto__') throw bad(path, 'a map without a "__proto__" key', key);
      out[key] = normalize(values, value[key], child(path, key), fromJson);
    }
    return out;
  }
  if (type instanceof types.UnwrappedUnionType) return normalizeUnion(type.types, value, path, fromJson);
  if (type instanceof types.WrappedUnionType) {
    // Wrapped unions carry their branch name: { "<branch>": value } (Avro JSON encoding).
    if (value === null || value === undefined) {
      if (type.types.some((t) => t.typeName === 'null')) return null;
      throw bad(path, 'a non-null union value', value);
    }
    if (!isPlainObject(value)) throw bad(path, 'a {"<branch>": value} object', value);
    const keys = Object.keys(value);
    const branch = keys.length === 1 ? type.types.find((t) => t.branchName === keys[0]) : undefined;
    if (branch === undefined)
      throw bad(path, `one of the branches ${type.types.map((t) => t.branchName).join(', ')}`, value);
    return { [keys[0]]: normalize(branch, value[keys[0]], path, fromJson) };
  }
  if (type instanceof types.FixedType) return normalizeBytes(value, path, fromJson, type.size);
  if (type instanceof types.LogicalType) return normalize(type.underlyingType, value, path, fromJson);
  throw bad(path, `a value of Avro type ${type.typeName}`, value);
}

function normalizeUnion(branches: readonly Type[], value: unknown, path: string, fromJson: boolean): unknown {
  const nullable = branches.some((t) => t.typeName === 'null');
  if (value === null || value === undefined) {
    if (nullable) return null;
    throw bad(path, 'a non-null value', value);
  }
  const others = branches.filter((t) => t.typeName !== 'null');
  if (others.length === 1) return normalize(others[0], value, path, fromJson);
  for (const branch of others) {
    try {
      return normalize(branch, value, path, fromJson);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
    }
  }
  throw bad(path, `a value of one of ${others.map((t) => t.branchName ?? t.typeName).join(', ')}`, value);
}
