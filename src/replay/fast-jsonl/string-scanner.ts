/**
 * Finds the end of a JSON string body the fast path can take as is — printable ASCII, no
 * escapes — and hashes it on the way (for the interner), four bytes at a time where it can.
 */
import { HASH_PRIME, HASH_SEED } from './ascii-interner';
import { plainWord } from './words';

// A local copy: under tsx (the benches) an imported function is read through a getter on every call.
const plain = plainWord;

// Local copies: under tsx (the benches) an imported binding is read through a getter call.
const SEED = HASH_SEED;
const PRIME = HASH_PRIME;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface StringScanner {
  /**
   * From `i` (just past the opening quote): the index of the closing quote, or -1 when a byte
   * before it is a backslash, a control byte or not ASCII. Sets `hash`.
   */
  end(view: DataView, buf: Buffer, i: number): number;
  /** The hash of the string the last successful `end` found: a function of its bytes alone. */
  hash: number;
}

export function createStringScanner(): StringScanner {
  const self: StringScanner = {
    hash: 0,
    end(view, buf, i) {
      let h = SEED;
      // Whole words of plain bytes; the word holding the quote (or anything odd) goes bytewise.
      // Words start at the string's start, so the hash depends on the string's bytes only.
      for (;;) {
        const w = view.getInt32(i, true);
        if (!plain(w)) break;
        h = Math.imul(h ^ w, PRIME);
        i += 4;
      }
      for (;;) {
        const c = buf[i];
        if (c === QUOTE) break;
        if (c < 0x20 || c > 0x7e || c === BACKSLASH) return -1;
        h = Math.imul(h ^ c, PRIME);
        i++;
      }
      self.hash = h;
      return i;
    },
  };
  return self;
}
