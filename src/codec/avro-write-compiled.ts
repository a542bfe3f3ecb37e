/**
 * Confluent-framed Avro written in one pass, compiled once per schema: the bytes avsc's
 * `toBuffer` writes for normalize-compiled.ts's canonical copy, without making the copy (a new
 * object per record, map and array) and without avsc's per-type dispatch, into a scratch buffer
 * reused across records, then copied once into the framed value (avsc copies its body out, and
 * `frame` copies it again behind the header).
 *
 * It answers only where the canonical copy would be written the same way, and otherwise says
 * NOT_SURE — the caller then takes the copy-and-toBuffer path, which decides (and throws with
 * the field's name) exactly as before:
 * - the acceptance of each value is normalize-compiled.ts's (plain-object records read through
 *   own properties, defaults for absent fields, int/long ranges, `+ 0` on numbers, holes and
 *   `__proto__` map keys refused, bytes and several-branch unions not handled);
 * - map entries go in the order the copy's keys would have: sorted, as the copy is built, and
 *   only when no key starts with a digit (an array-index key would be listed first by the copy);
 * - strings as avsc writes them: a length, then ASCII as is, or UTF-8 through `utf8Write` when
 *   longer than 64 bytes; a shorter non-ASCII string is left to avsc's own loop.
 * Varints are avsc's `writeLong`, term for term.
 */
import { types, type Type } from 'avsc';
import { assertSchemaId } from './framing';
import { NOT_SURE } from './normalize-compiled';

/** Writes `value` at the writer's position; false: not sure (nothing usable was written). */
type Write = (value: unknown) => boolean;

export type CompiledAvroWriter = (value: unknown, schemaId: number) => Buffer | typeof NOT_SURE;

/**
 * Many values at once, each framed as `CompiledAvroWriter` frames it, into one buffer: `out[i]` is
 * a view of its bytes, or NOT_SURE where the single writer would say so.
 */
export type CompiledAvroSlabWriter = (values: readonly unknown[], schemaId: number) => (Buffer | typeof NOT_SURE)[];

const INT_MIN = -0x80000000;
const INT_MAX = 0x7fffffff;
/** As normalize.ts: avsc writes longs beyond 2^52 inexactly. */
const LONG_LIMIT = 2 ** 52;
/** avsc writes a string of more bytes than this with `utf8Write`, a shorter one with a loop of its own. */
const AVSC_UTF8_WRITE_ABOVE = 64;
/** The Confluent header (framing.ts's MAGIC_BYTE and HEADER_SIZE, kept local: under tsx an imported constant is a getter call). */
const MAGIC = 0;
const HEADER = 5;

/** The scratch buffer every compiled writer writes into (synchronously: one record at a time). */
const SCRATCH_BYTES = 64 * 1024;
/** Grown past this for a large record, the scratch buffer goes back to SCRATCH_BYTES after it. */
const SCRATCH_KEEP = 1024 * 1024;
let buf = Buffer.allocUnsafe(SCRATCH_BYTES);
let pos = 0;

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + n) size *= 2;
  const bigger = Buffer.allocUnsafe(size);
  buf.copy(bigger, 0, 0, pos);
  buf = bigger;
}

/** avsc's Tap.writeLong, for integers of magnitude at most 2^52. */
function writeLong(n: number): void {
  ensure(10);
  if (n >= -1073741824 && n < 1073741824) {
    let m = n >= 0 ? n << 1 : (~n << 1) | 1;
    do {
      buf[pos] = m & 0x7f;
      m >>= 7;
    } while (m && (buf[pos++] |= 0x80));
  } else {
    let f = n >= 0 ? n * 2 : -n * 2 - 1;
    do {
      buf[pos] = f & 0x7f;
      f /= 128;
    } while (f >= 1 && (buf[pos++] |= 0x80));
  }
  pos++;
}

/** Up to this many UTF-16 units, a string is tried as ASCII by a loop (two native calls cost more). */
const ASCII_LOOP_MAX = 64;

function writeString(s: string): boolean {
  const n = s.length;
  if (n <= ASCII_LOOP_MAX) {
    const start = pos;
    writeLong(n);
    ensure(n);
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[pos++] = c;
    }
    if (i === n) return true;
    pos = start; // not ASCII: its UTF-8 length decides how avsc writes it
  }
  const len = Buffer.byteLength(s);
  if (len !== n && len <= AVSC_UTF8_WRITE_ABOVE) return false;
  writeLong(len);
  ensure(len);
  buf.write(s, pos, len, len === n ? 'latin1' : 'utf8');
  pos += len;
  return true;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

const notSure: Write = () => false;
const nullW: Write = (v) => v === null || v === undefined;
const booleanW: Write = (v) => {
  if (typeof v !== 'boolean') return false;
  ensure(1);
  buf[pos++] = v ? 1 : 0;
  return true;
};
const intW: Write = (v) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < INT_MIN || v > INT_MAX) return false;
  writeLong(v + 0);
  return true;
};
const longW: Write = (v) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > LONG_LIMIT) return false;
  writeLong(v + 0);
  return true;
};
/** A double's little-endian bytes through a typed array (Buffer#writeDoubleLE checks its arguments per call). */
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const doubleW: Write = (v) => {
  if (typeof v !== 'number') return false;
  ensure(8);
  if (!LITTLE_ENDIAN) {
    pos = buf.writeDoubleLE(v + 0, pos);
    return true;
  }
  f64[0] = v + 0;
  const b = buf;
  const p = pos;
  b[p] = f64Bytes[0];
  b[p + 1] = f64Bytes[1];
  b[p + 2] = f64Bytes[2];
  b[p + 3] = f64Bytes[3];
  b[p + 4] = f64Bytes[4];
  b[p + 5] = f64Bytes[5];
  b[p + 6] = f64Bytes[6];
  b[p + 7] = f64Bytes[7];
  pos = p + 8;
  return true;
};
const floatW: Write = (v) => {
  if (typeof v !== 'number') return false;
  ensure(4);
  pos = buf.writeFloatLE(v + 0, pos);
  return true;
};
const stringW: Write = (v) => typeof v === 'string' && writeString(v);

/** Compiles `type`'s writer (recursive schemas included). */
export function compileAvroWriter(type: Type): CompiledAvroWriter {
  const write = compile(type, new Map());
  return (value, schemaId) => {
    pos = 0;
    if (!write(value)) return NOT_SURE;
    // After the value, as `frame` after the copy: an invalid value is the copy's InputError first.
    assertSchemaId(schemaId);
    const out = Buffer.allocUnsafe(HEADER + pos);
    out[0] = MAGIC;
    out[1] = schemaId >>> 24;
    out[2] = (schemaId >>> 16) & 0xff;
    out[3] = (schemaId >>> 8) & 0xff;
    out[4] = schemaId & 0xff;
    buf.copy(out, HEADER, 0, pos);
    // A rare large record does not keep its scratch space for ever.
    if (buf.length > SCRATCH_KEEP) buf = Buffer.allocUnsafe(SCRATCH_BYTES);
    return out;
  };
}

/** Bytes per record of the last slab: the next slab's first guess (a fleet's signals vary little). */
let slabBytesPerRecord = 256;

/**
 * The slab writer of `type`: a transaction's records of one kind written one after the other into
 * one buffer — each with its Confluent header, as the single writer frames it — and handed out as
 * views of it, instead of a buffer of its own per record and a copy into it. The slab is then
 * theirs: the next write starts on a new scratch buffer, so no later record overwrites them.
 */
export function compileAvroSlabWriter(type: Type): CompiledAvroSlabWriter {
  const write = compile(type, new Map());
  return (values, schemaId) => {
    const n = values.length;
    const out: (Buffer | typeof NOT_SURE)[] = new Array<Buffer | typeof NOT_SURE>(n);
    if (n === 0) return out;
    buf = Buffer.allocUnsafe(Math.max(SCRATCH_BYTES, Math.ceil(n * slabBytesPerRecord * 1.25)));
    pos = 0;
    const ends = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const start = pos;
      ensure(HEADER);
      pos += HEADER;
      if (!write(values[i])) {
        pos = start;
        ends[i] = -1;
        continue;
      }
      // As the single writer: the schema id is checked after a value it could write.
      assertSchemaId(schemaId);
      buf[start] = MAGIC;
      buf[start + 1] = schemaId >>> 24;
      buf[start + 2] = (schemaId >>> 16) & 0xff;
      buf[start + 3] = (schemaId >>> 8) & 0xff;
      buf[start + 4] = schemaId & 0xff;
      ends[i] = pos;
    }
    const slab = buf;
    let from = 0;
    for (let i = 0; i < n; i++) {
      const end = ends[i];
      if (end < 0) out[i] = NOT_SURE;
      else {
        out[i] = slab.subarray(from, end);
        from = end;
      }
    }
    slabBytesPerRecord = Math.max(16, Math.ceil(pos / n));
    // The slab now belongs to the views handed out: later records go to a scratch buffer of their own.
    buf = Buffer.allocUnsafe(SCRATCH_BYTES);
    pos = 0;
    return out;
  };
}

function compile(type: Type, done: Map<Type, Write>): Write {
  const known = done.get(type);
  if (known !== undefined) return known;
  switch (type.typeName) {
    case 'null':
      return nullW;
    case 'boolean':
      return booleanW;
    case 'int':
      return intW;
    case 'long':
      return longW;
    case 'float':
      return floatW;
    case 'double':
      return doubleW;
    case 'string':
      return stringW;
    default:
      return compileComplex(type, done);
  }
}

function compileComplex(type: Type, done: Map<Type, Write>): Write {
  if (type instanceof types.RecordType) return compileRecord(type, done);
  if (type instanceof types.EnumType) {
    const symbols = type.symbols;
    return (v) => {
      const i = typeof v === 'string' ? symbols.indexOf(v) : -1;
      if (i < 0) return false;
      writeLong(i);
      return true;
    };
  }
  if (type instanceof types.ArrayType) return compileArray(compile(type.itemsType, done));
  if (type instanceof types.MapType) return compileMap(compile(type.valuesType as Type, done));
  if (type instanceof types.UnwrappedUnionType) return compileUnion(type, done);
  return notSure; // bytes, fixed, wrapped unions, logical types: the copy and avsc
}

/** [null, X] or [X, null] (or [X]); several non-null branches are left to avsc. */
function compileUnion(type: types.UnwrappedUnionType, done: Map<Type, Write>): Write {
  const nullAt = type.types.findIndex((t) => t.typeName === 'null');
  const others = type.types.filter((t) => t.typeName !== 'null');
  if (others.length !== 1) return notSure;
  const otherAt = type.types.indexOf(others[0]);
  const only = compile(others[0], done);
  return (v) => {
    if (v === null || v === undefined) {
      if (nullAt < 0) return false;
      writeLong(nullAt);
      return true;
    }
    writeLong(otherAt);
    return only(v);
  };
}

function compileRecord(type: types.RecordType, done: Map<Type, Write>): Write {
  const fields = type.fields;
  const children: Write[] = [];
  let body: Write | undefined;
  // Bound when first called: a recursive schema's record refers to itself.
  const fn: Write = (value) => (body ?? (body = recordBody(fields, children)))(value);
  done.set(type, fn);
  for (const f of fields) children.push(compile(f.type, done));
  return fn;
}

/**
 * An absent field: its default, as normalize-compiled.ts fills it. avsc's `defaultValue()` makes
 * a fresh copy per call; the writer only reads it, so one per field is kept.
 */
const defaults = new WeakMap<types.Field, unknown>();
function writeDefault(field: types.Field, child: Write): boolean {
  let v = defaults.get(field);
  if (v === undefined && !defaults.has(field)) {
    v = field.defaultValue() as unknown;
    defaults.set(field, v);
  }
  return v !== undefined && child(v);
}

/**
 * A record's fields as generated code under their literal names (one object shape per schema
 * for V8, as in normalize-compiled.ts); a field named __proto__ is left to the copy.
 */
function recordBody(fields: readonly types.Field[], children: readonly Write[]): Write {
  if (fields.some((f) => f.name === '__proto__')) return notSure;
  const lines: string[] = ['if (!isPlainObject(value)) return false;', 'let v;'];
  fields.forEach((f, i) => {
    const name = JSON.stringify(f.name);
    lines.push(
      `v = hasOwn.call(value, ${name}) ? value[${name}] : undefined;`,
      `if (!(v === undefined ? writeDefault(fields[${i}], children[${i}]) : children[${i}](v))) return false;`,
    );
  });
  lines.push('return true;');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from schema field names only
  const make = new Function(
    'isPlainObject',
    'hasOwn',
    'writeDefault',
    'fields',
    'children',
    `return function (value) {\n${lines.join('\n')}\n};`,
  ) as (...deps: unknown[]) => Write;
  return make(isPlainObject, Object.prototype.hasOwnProperty, writeDefault, fields, children);
}

function compileArray(item: Write): Write {
  return (value) => {
    if (!Array.isArray(value)) return false;
    const n = value.length;
    if (n > 0) writeLong(n);
    for (let i = 0; i < n; i++) {
      if (!(i in value) || !item(value[i])) return false;
    }
    writeLong(0);
    return true;
  };
}

/** A digit first: possibly an array index, which the copy would list before the other keys. */
const mayBeIndex = (key: string): boolean => key.length > 0 && key.charCodeAt(0) >= 48 && key.charCodeAt(0) <= 57;

/**
 * `keys.sort()`'s order (UTF-16 code units, which `<` on strings compares too): a few keys by
 * insertion, without the default comparator's string conversions.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > 8) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    for (; j >= 0 && keys[j] > k; j--) keys[j + 1] = keys[j];
    keys[j + 1] = k;
  }
}

function compileMap(values: Write): Write {
  return (value) => {
    if (!isPlainObject(value)) return false;
    const keys = Object.keys(value);
    if (keys.length > 1) sortKeys(keys);
    if (keys.length > 0) writeLong(keys.length);
    for (const key of keys) {
      if (key === '__proto__' || mayBeIndex(key) || !writeString(key) || !values(value[key])) return false;
    }
    writeLong(0);
    return true;
  };
}
