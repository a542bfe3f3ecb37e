/**
 * The policies' snapshot as frames: written without ever holding the whole state as one string,
 * and read back without one either. At a million series the bench fleet's state is 165 MiB as
 * one JSON document (a key per target in the policy's table, plus leases, cooldowns and pending
 * checks; docs/scale-out.md), each further per-target policy adds ~130 MiB, and past V8's
 * longest string (2^29 − 24 characters, ~512 MiB) JSON.stringify throws — a state that can
 * never be written, so a transaction that aborts for ever.
 *
 * Layout of the inflated bytes, lines separated by `\n` (JSON escapes every newline in a string):
 * - `HSF2`, the magic;
 * - the skeleton: `{"tables":[path, …],"state":…}`, the state with every large table (a plain
 *   object of at least TABLE_MIN_KEYS keys, not inside another such table) replaced by `{}`, and
 *   the key path of each in `tables`;
 * - row lines `[table, shape, [key, leaf, leaf, …, key, leaf, …]]`: up to ROWS_PER_LINE entries of
 *   one table that share a shape. A shape is `0` (the value is one leaf) or an object of shapes
 *   (the value is an object with exactly those keys in that order): entries of a per-target table
 *   all look alike, so field names are written once a line instead of once an entry: 0.41–0.45×
 *   the bytes of one JSON document at 100k–1M series, and at 1M 2.65–2.67× faster to make and
 *   compress (the same speed at 100k).
 *
 * Compressed as a series of gzip members, one per ~MEMBER_BYTES of lines (a gzip reader inflates
 * concatenated members as one stream), so no buffer or string larger than that is built on the way.
 * Read back, every line is checked before use: a forged skeleton, path, shape or row is refused
 * with a reason, and every table is filled by own-property definition, so a key named
 * `__proto__` is a key like any other.
 */
import { gzipSync } from 'node:zlib';
import { describeError } from '../errors';
// Sets an own key, `__proto__` too (plain assignment would change the prototype instead).
import { setOwn as define } from '../policies/target-table';

export const FRAMES_MAGIC = 'HSF2';
/** A plain object with at least this many keys is written as rows. */
export const TABLE_MIN_KEYS = 256;
/** Most entries per row line. */
const ROWS_PER_LINE = 4096;
/** Entries of a table's first line; later lines hold as many as fit LINE_BYTES at the sizes seen so far. */
const FIRST_LINE_ROWS = 64;
/** Aim for a line's length: a line is one string, and no string may pass V8's ~512 MiB. */
const LINE_BYTES = 1024 * 1024;
/** Entries a line holds before a shape that does not fit is merged with it rather than taken as it is. */
const SETTLE_ROWS = 8;
/** Bytes of lines per gzip member. */
const MEMBER_BYTES = 4 * 1024 * 1024;
/** Deepest object path searched for tables (the state's tables sit at depth 2–4). */
const MAX_TABLE_DEPTH = 6;
/** Deepest nesting of a shape: a row's entry is at most this deep before its leaves. */
const MAX_SHAPE_DEPTH = 8;

/** An entry's structure: 0 for a leaf, else its keys in order with theirs. */
type Shape = 0 | { [key: string]: Shape };

export interface FramedSnapshot {
  /** Gzip members, concatenated. */
  value: Buffer;
  /** Bytes of the lines before compression (what the reader inflates). */
  inflatedBytes: number;
}

/** Encodes `state` as frames; throws only where JSON.stringify would (a cycle, a BigInt, one entry past V8's longest string). */
export function encodeFrames(state: unknown): FramedSnapshot {
  const found: Table[] = [];
  const skeleton = strip(state, [], found);
  const out = new MemberWriter();
  out.line(FRAMES_MAGIC);
  out.line(JSON.stringify({ tables: found.map((t) => t.path), state: skeleton }));
  found.forEach((table, t) => writeRows(out, t, table));
  return out.finish();
}

/** A large table found in the state: where, the object, and its keys (listed once: a million-key object's list costs). */
interface Table {
  path: string[];
  object: Record<string, unknown>;
  keys: string[];
}

/** A copy of `v` with its large tables replaced by `{}` (collected in `found`). */
function strip(v: unknown, path: string[], found: Table[]): unknown {
  if (!isPlainObject(v) || path.length > MAX_TABLE_DEPTH) return v;
  const keys = Object.keys(v);
  if (keys.length >= TABLE_MIN_KEYS && path.length > 0) {
    found.push({ path, object: v, keys });
    return {};
  }
  const copy: Record<string, unknown> = {};
  for (const k of keys) define(copy, k, strip(v[k], [...path, k], found));
  return copy;
}

function writeRows(out: MemberWriter, t: number, { object: table, keys }: Table): void {
  let shape: Compiled | undefined;
  let row: unknown[] = [];
  let count = 0;
  let perLine = FIRST_LINE_ROWS;
  const flush = (): void => {
    if (count === 0) return;
    const line = JSON.stringify([t, shape?.shape, row]);
    out.line(line);
    // Entries as large as the last line's decide how many the next may hold.
    perLine = Math.max(1, Math.min(ROWS_PER_LINE, Math.floor((LINE_BYTES * count) / line.length)));
    row = [];
    count = 0;
  };
  for (const key of keys) {
    const value = table[key];
    const mark = row.length;
    row.push(key);
    // One pass checks the entry against the line's shape and writes its leaves; one that does not fit is taken back.
    if (shape === undefined || count >= perLine || !pushFitting(value, shape, true, row)) {
      row.length = mark;
      const lineRows = count;
      flush();
      shape = compile(nextShape(shape, value, lineRows));
      row.push(key);
      pushLeaves(value, shape, row);
    }
    count++;
  }
  flush();
}

/**
 * The shape of the next line, after `value` did not fit `current` (or the line was full). A
 * table whose entries differ in a part (a field null in some, an object in others) would
 * otherwise change shape entry after entry: once a line has held a few, the part where they
 * differ becomes a leaf (the value written whole) and the rest keeps its names written once.
 */
function nextShape(current: Compiled | undefined, value: unknown, lineRows: number): Shape {
  const own = shapeOf(value, 0);
  if (current === undefined || lineRows < SETTLE_ROWS) return own;
  const merged = generalise(current.shape, own);
  return merged === 0 ? own : merged;
}

/** The finest shape both fit: where they differ, a leaf. */
function generalise(a: Shape, b: Shape): Shape {
  if (a === 0 || b === 0) return 0;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => kb[i] !== k)) return 0;
  const s: Record<string, Shape> = {};
  for (const k of ka) define(s, k, generalise(a[k], b[k]));
  return s;
}

function shapeOf(v: unknown, depth: number): Shape {
  if (!isPlainObject(v) || depth >= MAX_SHAPE_DEPTH) return 0;
  const keys = Object.keys(v);
  if (keys.length === 0) return 0;
  const s: Record<string, Shape> = {};
  for (const k of keys) define(s, k, shapeOf(v[k], depth + 1));
  return s;
}

/** A shape with its keys listed once, for the per-entry checks (null: a leaf). */
interface Compiled {
  shape: Shape;
  keys: string[];
  subs: (Compiled | null)[];
}

function compile(shape: Shape): Compiled {
  if (shape === 0) return { shape, keys: [], subs: [] };
  const keys = Object.keys(shape);
  return { shape, keys, subs: keys.map((k) => (shape[k] === 0 ? null : compile(shape[k]))) };
}

/**
 * Writes the leaves of `v` to `row` if it can be written under `c`, else says it cannot (what
 * it wrote is then the caller's to take back): exactly `c`'s keys, in its order, down to its
 * leaves; a leaf holds any value, except that a whole entry is written as a leaf only when it
 * is not an object with keys (that one gets a shape of its own). The state is plain JSON
 * (objects of Object.prototype), so an object test is enough, and keys are compared as for-in
 * lists them (own keys in order, no array).
 */
function pushFitting(v: unknown, c: Compiled | null, top: boolean, row: unknown[]): boolean {
  if (c === null || c.shape === 0) {
    if (top && isObjectLike(v) && !isEmpty(v)) return false;
    row.push(v);
    return true;
  }
  if (!isObjectLike(v)) return false;
  let i = 0;
  for (const k in v) {
    if (k !== c.keys[i] || !pushFitting(v[k], c.subs[i], false, row)) return false;
    i++;
  }
  return i === c.keys.length;
}

const isObjectLike = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function pushLeaves(v: unknown, c: Compiled | null, row: unknown[]): void {
  if (c === null || c.shape === 0) {
    row.push(v);
    return;
  }
  const o = v as Record<string, unknown>;
  for (let i = 0; i < c.keys.length; i++) pushLeaves(o[c.keys[i]], c.subs[i], row);
}

/** Lines into gzip members of about MEMBER_BYTES each. */
class MemberWriter {
  private lines: string[] = [];
  private pending = 0;
  private members: Buffer[] = [];
  private inflated = 0;

  line(s: string): void {
    this.lines.push(s);
    this.pending += s.length + 1;
    if (this.pending >= MEMBER_BYTES) this.compress();
  }

  finish(): FramedSnapshot {
    this.compress();
    return { value: Buffer.concat(this.members), inflatedBytes: this.inflated };
  }

  private compress(): void {
    if (this.lines.length === 0) return;
    const bytes = Buffer.from(`${this.lines.join('\n')}\n`);
    this.inflated += bytes.length;
    // Level 1: written with every transaction; speed matters more than the last 10%.
    this.members.push(gzipSync(bytes, { level: 1 }));
    this.lines = [];
    this.pending = 0;
  }
}

/** The state the frames in `bytes` (inflated) hold, or why they do not make one. Never throws. */
export function decodeFrames(bytes: Buffer): { value: unknown } | { error: string } {
  try {
    return decodeLines(bytes);
  } catch (err) {
    return { error: `framed snapshot: ${describeError(err)}` };
  }
}

function decodeLines(bytes: Buffer): { value: unknown } | { error: string } {
  const refuse = (error: string) => ({ error: `framed snapshot: ${error}` });
  const at = bytes.indexOf(0x0a);
  if (at < 0 || bytes.toString('latin1', 0, at) !== FRAMES_MAGIC) return refuse('no magic line');
  const lines = lineReader(bytes, at + 1);
  const head = lines.next();
  if (head === undefined) return refuse('no skeleton line');
  const skeleton = JSON.parse(head) as unknown;
  if (!isPlainObject(skeleton) || !Array.isArray(skeleton.tables) || !('state' in skeleton))
    return refuse('the skeleton line has no tables or state');
  const targets: Record<string, unknown>[] = [];
  for (const path of skeleton.tables as unknown[]) {
    const target = tableAt(skeleton.state, path);
    if (typeof target === 'string') return refuse(target);
    targets.push(target);
  }
  for (let line = lines.next(), n = 2; line !== undefined; line = lines.next(), n++) {
    const problem = fillRows(JSON.parse(line) as unknown, targets);
    if (problem !== undefined) return refuse(`line ${n}: ${problem}`);
  }
  return { value: skeleton.state };
}

/** The lines after `from`, one at a time (the last must end with `\n`: a cut-off one is refused by JSON.parse). */
function lineReader(bytes: Buffer, from: number): { next(): string | undefined } {
  let at = from;
  return {
    next() {
      if (at >= bytes.length) return undefined;
      let end = bytes.indexOf(0x0a, at);
      if (end < 0) end = bytes.length;
      const s = bytes.toString('utf8', at, end);
      at = end + 1;
      return s;
    },
  };
}

/** The empty object a table path names in the skeleton's state, or why it names none. */
function tableAt(state: unknown, path: unknown): Record<string, unknown> | string {
  if (!Array.isArray(path) || path.length === 0 || path.length > MAX_TABLE_DEPTH + 1)
    return 'a table path is not a list of 1–7 keys';
  let v = state;
  for (const k of path) {
    if (typeof k !== 'string' || !isPlainObject(v) || !Object.hasOwn(v, k))
      return `table path ${JSON.stringify(path).slice(0, 200)} is not in the state`;
    v = v[k];
  }
  if (!isPlainObject(v) || !isEmpty(v))
    return `table path ${JSON.stringify(path).slice(0, 200)} is not an empty object`;
  return v;
}

/** Defines a row line's entries in their table, or says why the line is not one. */
function fillRows(line: unknown, targets: Record<string, unknown>[]): string | undefined {
  if (!Array.isArray(line) || line.length !== 3) return 'not [table, shape, rows]';
  const [t, shape, rows] = line as [unknown, unknown, unknown];
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= targets.length) return 'no such table';
  const leaves = shapeLeaves(shape, 0);
  if (leaves === undefined) return 'not a shape';
  if (!Array.isArray(rows) || rows.length % (leaves + 1) !== 0) return `rows are not (key + ${leaves} leaves) each`;
  const table = targets[t];
  const s = shape as Shape;
  for (let i = 0; i < rows.length; i += leaves + 1) {
    const key: unknown = rows[i];
    if (typeof key !== 'string') return 'a row key is not a string';
    if (Object.hasOwn(table, key)) return `key ${key.slice(0, 100)} appears twice`;
    const at = { i: i + 1 };
    define(table, key, build(s, rows, at));
  }
  return undefined;
}

/** How many leaves a shape has, or undefined when it is not one. */
function shapeLeaves(s: unknown, depth: number): number | undefined {
  if (s === 0) return 1;
  if (!isPlainObject(s) || depth >= MAX_SHAPE_DEPTH) return undefined;
  let n = 0;
  for (const k of Object.keys(s)) {
    const m = shapeLeaves(s[k], depth + 1);
    if (m === undefined) return undefined;
    n += m;
  }
  return n > 0 ? n : undefined;
}

function build(shape: Shape, rows: unknown[], at: { i: number }): unknown {
  if (shape === 0) return rows[at.i++];
  const o: Record<string, unknown> = {};
  for (const k in shape) define(o, k, build(shape[k], rows, at));
  return o;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

function isEmpty(o: Record<string, unknown>): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return false;
  return true;
}
