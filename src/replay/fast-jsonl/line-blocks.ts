/**
 * A file as blocks of whole lines, in bytes: one read of `chunkSize` bytes, cut after its last
 * `\n`, the unfinished line carried to the front of the next read. No string is made per line
 * (the text splitter decodes every chunk and slices a string per line), so the scanner reads
 * fields straight from the bytes and only lines it does not recognise are decoded. Two buffers
 * take turns: the next chunk is read into one while the caller works on the lines of the other.
 *
 * Every block ends with `\n` — a final line without one gets one added — so scanners can stop on
 * it instead of checking bounds — and the buffer holds `slack` more bytes after it, for scanners
 * that read a word at a time. A leading UTF-8 byte-order mark is dropped, as the text splitter
 * does. A line that grows past `maxLineBytes` without a `\n` is reported once as a too-long block
 * and skipped to its end, so memory stays bounded on a file without newlines.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { HomeostatError } from '../../errors';

export interface LineBlock {
  /** Valid until the next block is requested: the buffers are reused. */
  buf: Buffer;
  /** Whole lines are `buf[start, end)`, `buf[end - 1]` is `\n`. Empty for a too-long block. */
  start: number;
  end: number;
  /** The block is one line longer than maxLineBytes, cut short (it counts as one line). */
  tooLong: boolean;
  /** Bytes of the file read so far, and its size. */
  bytesRead: number;
  totalBytes: number;
}

export interface LineBlockOptions {
  chunkSize: number;
  /** A line is reported as too long once this many bytes of it are read without a `\n`. */
  maxLineBytes: number;
  /** Bytes the buffer holds after a block's last `\n` (their values are unspecified). */
  slack: number;
}

const LF = 0x0a;

async function openFile(file: string): Promise<{ handle: FileHandle; size: number }> {
  try {
    const handle = await open(file, 'r');
    try {
      return { handle, size: (await handle.stat()).size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  } catch (err) {
    throw new HomeostatError('USAGE', `cannot read replay input ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export async function* lineBlocks(file: string, options: LineBlockOptions): AsyncGenerator<LineBlock> {
  const { chunkSize, maxLineBytes, slack } = options;
  // Room for the read, the `\n` added after a last line, and the slack.
  const room = chunkSize + 1 + slack;
  const { handle, size } = await openFile(file);
  let position = 0;
  /**
   * Reads the next chunk into buf at `at`; the promise is marked handled, so a failed read
   * that is not awaited yet is no unhandled rejection.
   */
  const readInto = (buf: Buffer, at: number): Promise<number> => {
    const read = handle.read(buf, at, chunkSize, position).then(({ bytesRead }) => {
      position += bytesRead;
      return bytesRead;
    });
    read.catch(() => undefined);
    return read;
  };
  const grow = (buf: Buffer, keep: number, need: number): Buffer => {
    if (need <= buf.length) return buf;
    const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, need));
    buf.copy(grown, 0, 0, keep);
    return grown;
  };
  // Two buffers: while the caller works on the lines of one, the next chunk is read into the other.
  let buf: Buffer = Buffer.allocUnsafe(chunkSize + room);
  let spare: Buffer = Buffer.allocUnsafe(chunkSize + room);
  let pending: Promise<number> | undefined = readInto(buf, 0);
  try {
    let filled = 0;
    let bytesRead = 0;
    let first = true;
    let skipping = false;
    const block = (start: number, end: number, tooLong: boolean): LineBlock => ({
      buf,
      start,
      end,
      tooLong,
      bytesRead,
      totalBytes: size,
    });
    for (;;) {
      const n = await pending;
      pending = undefined;
      if (n === 0) break;
      bytesRead += n;
      const from = filled;
      filled += n;
      let start = 0;
      if (first) {
        if (filled < 3) {
          buf = grow(buf, filled, filled + room);
          pending = readInto(buf, filled);
          continue;
        }
        first = false;
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      }
      if (skipping) {
        // indexOf may find a stale `\n` past `filled`, but never before a real one.
        const nl = buf.indexOf(LF, from);
        if (nl < 0 || nl >= filled) {
          filled = 0;
          pending = readInto(buf, 0);
          yield block(0, 0, false);
          continue;
        }
        skipping = false;
        start = nl + 1;
      }
      const last = buf.lastIndexOf(LF, filled - 1);
      if (last >= start) {
        // The unfinished line goes to the front of the spare buffer, the next read after it.
        const tail = filled - (last + 1);
        spare = grow(spare, 0, tail + room);
        buf.copy(spare, 0, last + 1, filled);
        pending = readInto(spare, tail);
        yield block(start, last + 1, false);
        [buf, spare] = [spare, buf];
        filled = tail;
      } else {
        if (start > 0) buf.copyWithin(0, start, filled);
        filled -= start;
        const tooLong = filled > maxLineBytes;
        if (tooLong) {
          filled = 0;
          skipping = true;
        }
        buf = grow(buf, filled, filled + room);
        pending = readInto(buf, filled);
        yield block(0, 0, tooLong);
      }
    }
    // A last line without a newline (a file shorter than a byte-order mark cannot start with one).
    if (!skipping && filled > 0) {
      buf[filled] = LF;
      yield block(0, filled + 1, false);
    }
  } finally {
    // A read still in flight (the caller stopped early) must end before the file is closed.
    await pending?.catch(() => undefined);
    await handle.close();
  }
}
