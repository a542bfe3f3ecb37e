/**
 * Cuts a byte stream into physical lines, chunk by chunk. A manual splitter on decoded chunks
 * rather than `readline`: readline emits one event per line through an EventEmitter and cannot
 * bound the length of a line, and a file without newlines must not be read whole into memory.
 */
import { StringDecoder } from 'node:string_decoder';

export interface SplitLine {
  /** The line without `\n` / `\r\n`; only the first maxLineLength characters when tooLong. */
  text: string;
  tooLong: boolean;
}

export interface LineSplitter {
  /** Lines completed by this chunk. */
  push(chunk: Buffer | string): SplitLine[];
  /** The last line when the input does not end with a newline. */
  end(): SplitLine[];
}

export function createLineSplitter(maxLineLength: number): LineSplitter {
  // StringDecoder keeps a UTF-8 sequence split across two chunks whole.
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  let sawFirstChar = false;

  function split(decoded: string, out: SplitLine[]): void {
    let s = decoded;
    if (!sawFirstChar && s.length > 0) {
      sawFirstChar = true;
      // Spreadsheet exports often begin with a byte-order mark; it is not part of the header.
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const text = pending.length > 0 ? pending + s : s;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      if (skipping) {
        // The head of this over-long line was already reported.
        skipping = false;
      } else {
        out.push(cut(text, start, nl));
      }
      start = nl + 1;
    }
    if (skipping) {
      pending = '';
      return;
    }
    pending = start === 0 ? text : text.slice(start);
    // +1: a line of exactly maxLineLength may still be waiting for the `\n` after its `\r`.
    if (pending.length > maxLineLength + 1) {
      out.push({ text: pending.slice(0, maxLineLength), tooLong: true });
      pending = '';
      skipping = true;
    }
  }

  function cut(text: string, start: number, nl: number): SplitLine {
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (end - start > maxLineLength) return { text: text.slice(start, start + maxLineLength), tooLong: true };
    return { text: text.slice(start, end), tooLong: false };
  }

  return {
    push(chunk) {
      const out: SplitLine[] = [];
      split(typeof chunk === 'string' ? chunk : decoder.write(chunk), out);
      return out;
    },
    end() {
      const out: SplitLine[] = [];
      split(decoder.end(), out);
      if (!skipping && pending.length > 0) out.push(cut(pending, 0, pending.length));
      pending = '';
      skipping = false;
      return out;
    },
  };
}
