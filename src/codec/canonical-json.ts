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

export type CanonicalStringifier = (value: unknown) => string;

/**
 * stringifyCanonical compiled once per schema: each record field's `"name":` prefix built
 * once, the type dispatch done at compile time, one string concatenation per field instead
 * of an array of parts. Same text for every value (the same functions on the same values,
 * unions still choosing their branch with `isValid` per value); a test checks it against
 * stringifyCanonical, the definition.
 */
export function compileCanonical(type: Type): CanonicalStringifier {
  return compileText(type, new Map());
}

function compileText(type: Type, done: Map<Type, CanonicalStringifier>): CanonicalStringifier {
  const known = done.get(type);
  if (known !== undefined) return known;
  switch (type.typeName) {
    case 'null':
      return () => 'null';
    case 'boolean':
      return (v) => (v === true ? 'true' : 'false');
    case 'int':
    case 'long':
    case 'float':
    case 'double':
      return (v) => number(v as number);
    case 'string':
      return (v) => JSON.stringify(v);
    default:
      break;
  }
  if (type instanceof types.RecordType) {
    const fields = type.fields;
    const children: CanonicalStringifier[] = [];
    let body: CanonicalStringifier | undefined;
    // Bound when first called: a recursive schema's record refers to itself.
    const fn: CanonicalStringifier = (value) => (body ?? (body = recordText(fields, children)))(value);
    done.set(type, fn);
    for (const f of fields) children.push(compileText(f.type, done));
    return fn;
  }
  if (type instanceof types.ArrayType) {
    const item = compileText(type.itemsType, done);
    return (value) => `[${(value as unknown[]).map((v) => item(v)).join(',')}]`;
  }
  if (type instanceof types.MapType) {
    const values = compileText(type.valuesType as Type, done);
    return (value) => {
      const obj = value as Record<string, unknown>;
      let text = '';
      for (const k of sortedKeys(obj)) text += `${text === '' ? '{' : ','}${JSON.stringify(k)}:${values(obj[k])}`;
      return text === '' ? '{}' : `${text}}`;
    };
  }
  if (type instanceof types.UnwrappedUnionType) {
    const branches = type.types;
    const texts = branches.map((t) => compileText(t, done));
    return (value) => {
      if (value === null) return 'null';
      for (let i = 0; i < branches.length; i++) {
        if (branches[i].typeName !== 'null' && branches[i].isValid(value)) return texts[i](value);
      }
      return texts[0](value);
    };
  }
  // Bytes, enums, wrapped unions, fixed, logical types: as stringifyCanonical does them.
  return (value) => stringifyCanonical(type, value);
}

/**
 * A record's text as generated code: each field read under its literal name (one object shape
 * per schema, where a loop over the names makes every read a megamorphic keyed load) and its
 * `"name":` prefix a constant. Avro names are [A-Za-z_][A-Za-z0-9_]*, written as JSON literals.
 */
function recordText(fields: readonly types.Field[], children: readonly CanonicalStringifier[]): CanonicalStringifier {
  if (fields.length === 0) return () => '{}';
  const parts = fields.map((f, i) => {
    const name = JSON.stringify(f.name);
    return `${JSON.stringify(`${i === 0 ? '{' : ','}${name}:`)} + children[${i}](value[${name}])`;
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from schema field names only
  const make = new Function('children', `return function (value) {\nreturn ${parts.join(' +\n')} + '}';\n};`) as (
    children: readonly CanonicalStringifier[],
  ) => CanonicalStringifier;
  return make(children);
}
