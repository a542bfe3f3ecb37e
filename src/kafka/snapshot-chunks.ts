/**
 * A policies' snapshot too large for one record is split into chunks, written in the same
 * transaction, so that it always fits the state topic: at the broker's default 1 MiB limit, a
 * compressed snapshot of a few MiB (tens of thousands of leases) would otherwise not be written
 * at all and a restart would resume from an older one.
 *
 * Layout on the compacted state topic, all under the snapshot's key `K`:
 * - up to SNAPSHOT_CHUNK_BYTES: one record under `K`, the snapshot itself (as before chunking);
 * - larger: a head under `K` (magic `HSH1`, chunk count, total bytes, sha256 of the whole) and
 *   chunk `i` under `K#chunk-i` (magic `HSC1`, index, count, the same sha256, then its bytes).
 *
 * Read back, the chunks named by the head are reassembled and checked: a missing chunk, one of
 * another snapshot (its digest differs), a count or size that disagrees, or a whole whose sha256
 * is not the head's is refused with that reason — the caller then starts from a fresh state, as
 * for any refused snapshot. Transactions keep head and chunks together for read_committed
 * readers; compaction keeps the newest of each key, and the digest ties a chunk to its head.
 */
import type { Message } from 'kafkajs';
import { chunkFrames, DIGEST_BYTES, readChunkFrame, sha256 } from './chunk-frames';

/** Bytes of snapshot per record: fits a state topic at the broker's default max.message.bytes (1 MiB), with room for framing. */
export const SNAPSHOT_CHUNK_BYTES = 1_048_576 - 64 * 1024;
/** Most chunks of one snapshot (~60 MiB compressed); a head naming more is refused. */
export const SNAPSHOT_MAX_CHUNKS = 64;

const HEAD_MAGIC = Buffer.from('HSH1');
/** Magic, count (u16), total bytes (u32), digest. */
const HEAD_BYTES = 4 + 2 + 4 + DIGEST_BYTES;

/** The key of chunk `index` of the snapshot under `key`. */
export const chunkKey = (key: string, index: number): string => `${key}#chunk-${index}`;

/** Whether a state-topic key belongs to the snapshot under `key` (its head or a chunk). */
export function isSnapshotKey(k: string, key: string): boolean {
  return k === key || (k.startsWith(`${key}#chunk-`) && /^\d{1,3}$/.test(k.slice(key.length + 7)));
}

/**
 * The records of one snapshot under `key`: the value itself when it fits one record, else a
 * head and its chunks; with tombstones for the chunks of a larger earlier snapshot (`before`
 * chunks), so that compaction can drop them. Undefined when it needs more than SNAPSHOT_MAX_CHUNKS.
 */
export function snapshotRecords(key: string, value: Buffer, before = 0): Message[] | undefined {
  const count = value.length <= SNAPSHOT_CHUNK_BYTES ? 0 : Math.ceil(value.length / SNAPSHOT_CHUNK_BYTES);
  if (count > SNAPSHOT_MAX_CHUNKS) return undefined;
  const out: Message[] = [];
  if (count === 0) out.push({ key, value });
  else {
    const digest = sha256(value);
    const head = Buffer.alloc(HEAD_BYTES);
    HEAD_MAGIC.copy(head, 0);
    head.writeUInt16BE(count, 4);
    head.writeUInt32BE(value.length, 6);
    digest.copy(head, 10);
    out.push({ key, value: head });
    chunkFrames(value, SNAPSHOT_CHUNK_BYTES, digest).forEach((frame, i) =>
      out.push({ key: chunkKey(key, i), value: frame }),
    );
  }
  for (let i = count; i < before; i++) out.push({ key: chunkKey(key, i), value: null });
  return out;
}

/** How many chunks the records of `snapshotRecords` left in force (0: one plain record). */
export function chunkCount(records: readonly Message[]): number {
  return Math.max(0, records.filter((m) => m.value !== null).length - 1);
}

/** The snapshot as stored (undefined: none), or why its chunks do not make one; `chunks`: chunk keys present. */
export type AssembledSnapshot = { value: Buffer | undefined; chunks: number } | { error: string; chunks: number };

/** Reassembles the snapshot under `key` from the state topic's newest values (`isSnapshotKey` keys). Never throws. */
export function assembleSnapshot(key: string, stored: ReadonlyMap<string, Buffer>): AssembledSnapshot {
  let chunks = 0;
  for (const k of stored.keys()) if (k !== key && isSnapshotKey(k, key)) chunks++;
  const head = stored.get(key);
  if (head === undefined || !startsWith(head, HEAD_MAGIC)) return { value: head, chunks };
  const refuse = (error: string): AssembledSnapshot => ({ error: `chunked snapshot: ${error}`, chunks });
  if (head.length !== HEAD_BYTES) return refuse(`head of ${head.length} bytes, not ${HEAD_BYTES}`);
  const count = head.readUInt16BE(4);
  const total = head.readUInt32BE(6);
  const digest = head.subarray(10);
  if (count < 2 || count > SNAPSHOT_MAX_CHUNKS || total > count * SNAPSHOT_CHUNK_BYTES)
    return refuse(`head names ${count} chunks of ${total} bytes in all (2–${SNAPSHOT_MAX_CHUNKS} chunks expected)`);
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const raw = stored.get(chunkKey(key, i));
    if (raw === undefined) return refuse(`chunk ${i} of ${count} is missing (partial set)`);
    const c = readChunkFrame(raw);
    if (c === undefined) return refuse(`chunk ${i} is not a chunk`);
    if (c.index !== i || c.count !== count)
      return refuse(`chunk ${i} says it is chunk ${c.index} of ${c.count}, not ${i} of ${count}`);
    if (!c.digest.equals(digest))
      return refuse(`chunk ${i} belongs to another snapshot (its digest differs from the head's)`);
    parts.push(c.part);
  }
  const value = Buffer.concat(parts);
  if (value.length !== total) return refuse(`chunks hold ${value.length} bytes, the head says ${total}`);
  if (!sha256(value).equals(digest)) return refuse("the reassembled bytes do not match the head's sha256");
  return { value, chunks };
}

function startsWith(b: Buffer, magic: Buffer): boolean {
  return b.length >= magic.length && b.subarray(0, magic.length).equals(magic);
}
