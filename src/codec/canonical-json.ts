/**
 * Deterministic JSON for a normalised value: record fields in schema order, map keys
 * sorted by UTF-16 code unit, no whitespace, non-finite doubles as the strings "NaN",
 * "Infinity", "-Infinity" (plain JSON has no such numbers), bytes as base64, unions
 * unwrapped. Same value ⇒ same bytes, which replay and command signatures rely on.
 */
import { Type, types } from 'avsc';

function number(value: number): string {
  if (Number.isFinite(value)) return JSON.stringify(value); // -0 is written as 0
  return Number.isNaN(value) ? '"NaN"' : value > 0 ? '"Infinity"' : '"-Infinity"';
}

function sortedKeys(obj: object): string[] {
  return Object.keys(obj).sort();
}

/** `value` must already be normalised against `type` (see normalize.ts). */
export function stringifyCanonical(type: Type, value: unknown): string {
  switch (type.typeName) {
    case 'null':
      return 'null';
    case 'boolean':
      return value === true ? 'true' : 'false';
    case 'int':
    case 'long':
    case 'float':
    case 'double':
      return number(value as number);
    case 'string':
      return JSON.stringify(value);
    case 'bytes':
      return JSON.stringify((value as Buffer).toString('base64'));
    default:
      return stringifyComplex(type, value);
  }
}

function stringifyComplex(type: Type, value: unknown): string {
  if (type instanceof types.RecordType) {
    const obj = value as Record<string, unknown>;
    const parts = type.fields.map((f) => `${JSON.stringify(f.name)}:${stringifyCanonical(f.type, obj[f.name])}`);
    return `{${parts.join(',')}}`;
  }
  if (type instanceof types.EnumType) return JSON.stringify(value);
  if (type instanceof types.ArrayType) {
    return `[${(value as unknown[]).map((v) => stringifyCanonical(type.itemsType, v)).join(',')}]`;
  }
  if (type instanceof types.MapType) {
    const obj = value as Record<string, unknown>;
    const values = type.valuesType as Type;
    return `{${sortedKeys(obj)
      .map((k) => `${JSON.stringify(k)}:${stringifyCanonical(values, obj[k])}`)
      .join(',')}}`;
  }
  if (type instanceof types.UnwrappedUnionType) {
    if (value === null) return 'null';
    const branch = type.types.find((t) => t.typeName !== 'null' && t.isValid(value)) ?? type.types[0];
    return stringifyCanonical(branch, value);
  }
  if (type instanceof types.WrappedUnionType) {
    if (value === null) return 'null';
    const obj = value as Record<string, unknown>;
    const name = Object.keys(obj)[0];
    const branch = type.types.find((t) => t.branchName === name) ?? type.types[0];
    return `{${JSON.stringify(name)}:${stringifyCanonical(branch, obj[name])}}`;
  }
  if (type instanceof types.FixedType) return JSON.stringify((value as Buffer).toString('base64'));
  if (type instanceof types.LogicalType) return stringifyCanonical(type.underlyingType, value);
  return JSON.stringify(value);
}
