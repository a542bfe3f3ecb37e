/**
 * The frame of one chunk of a value too large for one Kafka record, shared by the two places
 * that chunk: the policies' snapshots on the state topic (snapshot-chunks.ts) and the messages
 * of a split stage two on its topics (split-chunks.ts). A chunk is magic `HSC1`, its index
 * (u16), the count (u16), the sha256 of the whole value (which also names the value: every
 * chunk of it carries the same), then its bytes. Pure: no I/O.
 */
import { createHash } from 'node:crypto';

const CHUNK_MAGIC = Buffer.from('HSC1');
export const DIGEST_BYTES = 32;
/** Magic, index (u16), count (u16), digest. */
export const CHUNK_HEADER_BYTES = 4 + 2 + 2 + DIGEST_BYTES;
/** The u16 fields bound a chunked value's count. */
export const MAX_FRAME_COUNT = 0xffff;

export const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

/** One chunk as read back: where it sits in its value, and its bytes (a view of the record's). */
export interface ChunkFrame {
  index: number;
  count: number;
  digest: Buffer;
  part: Buffer;
}

/**
 * `value` cut into `count` frames of at most `chunkBytes` of it each; `digest` its sha256
 * (computed when not given). The frames are views of one buffer, filled in one pass: a
 * message of tens of MB is copied once, not once per chunk into buffers of its own.
 */
export function chunkFrames(value: Buffer, chunkBytes: number, digest: Buffer = sha256(value)): Buffer[] {
  const count = Math.ceil(value.length / chunkBytes);
  if (count > MAX_FRAME_COUNT) throw new RangeError(`${count} chunks: at most ${MAX_FRAME_COUNT} fit the frame`);
  const all = Buffer.allocUnsafe(value.length + count * CHUNK_HEADER_BYTES);
  const frames: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const from = i * chunkBytes;
    const to = Math.min(value.length, from + chunkBytes);
    CHUNK_MAGIC.copy(all, at);
    all.writeUInt16BE(i, at + 4);
    all.writeUInt16BE(count, at + 6);
    digest.copy(all, at + 8);
    value.copy(all, at + CHUNK_HEADER_BYTES, from, to);
    const end = at + CHUNK_HEADER_BYTES + (to - from);
    frames.push(all.subarray(at, end));
    at = end;
  }
  return frames;
}

/** Whether `b` begins as a chunk does (its magic): what is not one is left to the caller's other forms. */
export function isChunkFrame(b: Buffer): boolean {
  return b.length >= CHUNK_MAGIC.length && b.subarray(0, CHUNK_MAGIC.length).equals(CHUNK_MAGIC);
}

/** The chunk `b` holds, or undefined when it is not one (no magic, or shorter than its header). */
export function readChunkFrame(b: Buffer): ChunkFrame | undefined {
  if (b.length < CHUNK_HEADER_BYTES || !isChunkFrame(b)) return undefined;
  return {
    index: b.readUInt16BE(4),
    count: b.readUInt16BE(6),
    digest: b.subarray(8, CHUNK_HEADER_BYTES),
    part: b.subarray(CHUNK_HEADER_BYTES),
  };
}
