/**
 * Strings for byte ranges of printable ASCII, the same string object for the same bytes while
 * it stays in the cache. A recording repeats a few thousand sources, metrics and tag values
 * millions of times; handing the engine one string per distinct value (instead of a fresh copy
 * per line) skips the copy and the garbage, and lets its Map lookups compare by identity and
 * reuse the cached hash instead of hashing and comparing every fresh string in full.
 *
 * A cache of 2^bits slots in pairs (two places a hash can go, the least recently used one
 * replaced: with one place per hash, two busy strings that collide would evict each other on
 * every line): memory stays bounded whatever the cardinality of the input, and a miss only
 * costs the copy the line would have cost anyway. Interning never changes a string's value, so
 * the results cannot depend on what is cached.
 */
import { createPatternRows, rowEquals, rowHolds, storeRow } from './words';

// Local copies: under tsx (the benches) an imported function is read through a getter on every call.
const equals = rowEquals;
const holdsBytes = rowHolds;
const store = storeRow;

/**
 * FNV-1a's constants (http://www.isthe.com/chongo/tech/comp/fnv/), applied by the scanner to a
 * string's words (and its last 0–3 bytes one by one): cheap, and good enough to pick a slot.
 */
export const HASH_SEED = 0x811c9dc5 | 0;
export const HASH_PRIME = 0x01000193;

export interface AsciiInterner {
  /**
   * The string of `buf[start, end)` (`view` a view of `buf`), printable ASCII, whose hash the
   * caller computed while scanning it (any function of the bytes alone will do).
   */
  get(view: DataView, buf: Buffer, start: number, end: number, hash: number): string;
  /**
   * The cache slot the last `get` used: callers may keep facts about that string in arrays of
   * `size` indexed by it, checking that the slot still holds the same string object.
   */
  slot: number;
  readonly size: number;
}

/** Strings up to this many bytes are compared from the rows; longer ones from the string itself. */
const ROW_BYTES = 32;

export function createAsciiInterner(bits = 14): AsciiInterner {
  const size = 1 << bits;
  const mask = size - 2;
  const strings = new Array<string>(size).fill('');
  const hashes = new Int32Array(size);
  const rows = createPatternRows(size, ROW_BYTES);
  const stride = rows.stride;
  const data = rows.data;
  // Per pair: which of the two slots was used last.
  const lastUsed = new Uint8Array(size >> 1);

  function holds(slot: number, view: DataView, buf: Buffer, start: number, n: number, hash: number): boolean {
    if (hashes[slot] !== hash) return false;
    if (n <= ROW_BYTES)
      return holdsBytes(data, slot * stride, n) && equals(data, slot * stride, view, buf, start) === n;
    const s = strings[slot];
    if (s.length !== n) return false;
    for (let k = 0; k < n; k++) if (s.charCodeAt(k) !== buf[start + k]) return false;
    return true;
  }

  const self: AsciiInterner = {
    slot: 0,
    size,
    get(view, buf, start, end, hash) {
      // Fold the high bits in: the low bits of a multiplicative hash see only the low input bits.
      const pair = (hash ^ (hash >>> 15)) & mask;
      const n = end - start;
      let slot = pair;
      if (!holds(slot, view, buf, start, n, hash)) {
        slot = pair + 1;
        if (!holds(slot, view, buf, start, n, hash)) {
          slot = pair + 1 - lastUsed[pair >> 1];
          strings[slot] = buf.toString('latin1', start, end);
          hashes[slot] = hash;
          if (n <= ROW_BYTES) store(data, slot * stride, view, buf, start, n);
          else data[slot * stride] = 0;
        }
      }
      lastUsed[pair >> 1] = slot - pair;
      self.slot = slot;
      return strings[slot];
    },
  };
  return self;
}
