/**
 * Recently decoded short ASCII strings, found again by their bytes.
 *
 * Why: telemetry repeats the same few thousand names (sources, metrics, tag keys and values)
 * millions of times. Decoding each afresh allocates a string per field per record, and the
 * engine then hashes and compares every fresh copy (series-index.ts: a Map lookup by metric
 * and source, then the dimension tags compared). Handing back the same string for the same
 * bytes saves the allocation, and V8 keeps a string's hash once computed and compares
 * identical strings by pointer, so the lookups that follow cost less too.
 *
 * A two-way set-associative table (a string may sit in either slot of its pair; a new one
 * takes an empty slot, else evicts the one a bit of its hash picks, and strings never move):
 * bounded memory, O(length) per lookup, and a stream of ever-new names only costs misses.
 * Two ways rather than one because two names that share a slot both missed on every
 * alternation: 9 % of the sources of the pipeline bench's 2 000 did in the 8 192-slot
 * direct-mapped table, each miss a new string and, downstream, a miss of the source's
 * remembered tags (tags-memo.ts). Only ASCII up to
 * MAX_INTERNED bytes: there UTF-8 and Latin-1 decode alike, so a byte compares with a char
 * code. Values are the same strings however the table is filled, so output never depends on it.
 */

/**
 * Slots in the table (a power of two, in pairs). 65536 references: 512 KiB, and the strings
 * (at most 64 bytes each). 16384 were too few for a fleet: the pipeline bench's fleet shape
 * (100k series, 20k sources, their tag values and metrics) kept evicting its own names, and
 * every miss cost a new string, a miss of the source's remembered tags, and with them the
 * engine's series hint (a full series-index look-up).
 */
export const INTERN_SLOTS = 65536;
const SLOTS = INTERN_SLOTS;
/** Longer strings are decoded each time: rarely repeated names, and a longer compare. */
export const MAX_INTERNED = 64;

const table: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);

/**
 * The slot of the string the last call returned, -1 when it was not interned (too long, not
 * ASCII): a key for per-name memories such as tags-memo.ts, at no extra hashing. An object, so
 * that readers see the update (an exported `let` is a getter call under tsx).
 */
export const lastIntern = { slot: -1 };

/**
 * FNV-1a over bytes, `h = Math.imul(h ^ byte, FNV_PRIME)` from FNV_START
 * (http://www.isthe.com/chongo/tech/comp/fnv/): callers that scan the bytes anyway fold it in.
 */
export const FNV_START = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** `bytes[start, start+len)` as a string; the same string as last time when those bytes were seen. */
export function internAscii(bytes: Buffer, start: number, len: number): string {
  const end = start + len;
  if (len > MAX_INTERNED) {
    lastIntern.slot = -1;
    return bytes.toString('utf8', start, end);
  }
  let h = FNV_START;
  let high = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    high |= b;
    h = Math.imul(h ^ b, FNV_PRIME);
  }
  if (high >= 0x80) {
    lastIntern.slot = -1;
    return bytes.toString('utf8', start, end);
  }
  return internHashed(bytes, start, len, h);
}

/** As internAscii, for bytes known to be ASCII whose FNV-1a hash is `h`. */
export function internHashed(bytes: Buffer, start: number, len: number, h: number): string {
  if (len > MAX_INTERNED) {
    lastIntern.slot = -1;
    return bytes.toString('latin1', start, start + len);
  }
  const pair = (h >>> 0) & (SLOTS - 2);
  const a = table[pair];
  if (a !== undefined && a.length === len && sameAscii(a, bytes, start)) {
    lastIntern.slot = pair;
    return a;
  }
  const b = table[pair + 1];
  if (b !== undefined && b.length === len && sameAscii(b, bytes, start)) {
    lastIntern.slot = pair + 1;
    return b;
  }
  const slot = a === undefined ? pair : b === undefined ? pair + 1 : pair + ((h >>> 16) & 1);
  const s = bytes.toString('latin1', start, start + len);
  table[slot] = s;
  lastIntern.slot = slot;
  return s;
}

function sameAscii(s: string, bytes: Buffer, start: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}
