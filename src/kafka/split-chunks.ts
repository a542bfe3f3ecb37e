/**
 * A split stage two's message larger than one record is written as SPLIT_CHUNK_BYTES chunks in
 * the writer's one transaction (split-records.ts), each framed as the policies' snapshot chunks
 * are (chunk-frames.ts: index, count, and the sha256 of the whole, which is also the message's
 * id). This is the reader's side: it puts each message back together, bounded, and refuses
 * what cannot be one — with the reason, for the part's refusal path (split-refusals.ts: DLQ,
 * counted) — so no chunk set stalls its partition or is dropped silently.
 *
 * What the reader can rely on, and so checks:
 * - one writer (the record key: `shard/<i>` or `arbiter`) writes a message's chunks in order in
 *   one transaction; with read_committed, an aborted transaction's chunks are never seen. So a
 *   writer's chunks arrive in index order, and a writer's next record while one of its messages
 *   is incomplete means that message will never complete (superseded);
 * - chunks of different writers interleave on a partition: messages are held per writer and id;
 * - at most MAX_SPLIT_RECORD_BYTES a message, MAX_INCOMPLETE_SPLIT_MESSAGES incomplete messages,
 *   MAX_HELD_SPLIT_BYTES in all held, and a message not complete within MAX_SPLIT_CHUNK_SPAN
 *   offsets of its first chunk is refused (the oldest first);
 * - a restart: the driver commits its offset at or below the first chunk of any message held
 *   (`heldFrom`), so it re-reads every incomplete message whole. Records below the restore
 *   bound were handled before the last commit: a chunk there whose message began before the
 *   resume point is skipped, and a message completed — or refused — by such a record was
 *   handled too (`restoring`), so it is neither taken nor dead-lettered again.
 */
import { createHash, type Hash } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { MAX_FRAME_COUNT, readChunkFrame, type ChunkFrame } from './chunk-frames';
import { SNAPSHOT_CHUNK_BYTES } from './snapshot-chunks';
import { STAGE_KIND_HEADER } from './stage-records';

/** A report, verdicts or built records carry a window's candidates, verdicts or commands: large, but bounded. */
export const MAX_SPLIT_RECORD_BYTES = 64 * 2 ** 20;
/** Bytes of a message per record: as the snapshots' chunks, fits the broker's default max.message.bytes with room for framing. */
export const SPLIT_CHUNK_BYTES = SNAPSHOT_CHUNK_BYTES;
/** Most chunks of one message (MAX_SPLIT_RECORD_BYTES of it). */
export const MAX_SPLIT_CHUNKS = Math.min(MAX_FRAME_COUNT, Math.ceil(MAX_SPLIT_RECORD_BYTES / SPLIT_CHUNK_BYTES));
/**
 * Incomplete messages held at once. A topic's writers each have at most one message in
 * flight (the arbiter's topic: every shard's report at once), so this leaves room for 64 shards.
 */
export const MAX_INCOMPLETE_SPLIT_MESSAGES = 64;
/** Bytes of incomplete messages held at once (the memory bound of a part's reader). */
export const MAX_HELD_SPLIT_BYTES = 4 * MAX_SPLIT_RECORD_BYTES;
/**
 * Offsets a message's chunks may span. Other writers' records interleave with them for one
 * transaction's time (stage one's finals on a shard's topic: up to a window's of its series),
 * so the bound is far above that; it only keeps a set that will never complete from holding
 * the committed offset back for ever.
 */
export const MAX_SPLIT_CHUNK_SPAN = 4_000_000n;

/** A record refused, and why (the caller dead-letters it). */
export interface RefusedChunk {
  record: KafkaMessage;
  reason: string;
}

export interface TakenSplitRecord {
  /**
   * A whole message: the record itself, or one built from its chunks (the value joined, at the
   * first chunk's offset); `restoring` when it was taken before the last commit (skip it).
   */
  whole?: { record: KafkaMessage; restoring: boolean };
  /** Records to dead-letter now (never those refused before the last commit). */
  refused: RefusedChunk[];
}

/** One incomplete message. */
interface Held {
  writer: string;
  id: string;
  kind: string | undefined;
  count: number;
  records: KafkaMessage[];
  parts: Buffer[];
  /** The sha256 of the parts so far: each chunk hashed as it comes, the whole joined only once it checks. */
  hash: Hash;
  bytes: number;
  first: bigint;
}

export interface SplitReassembly {
  /** Steps with a record of the part's split kinds; `restoring`: below the restore bound. */
  take(m: KafkaMessage, restoring: boolean): TakenSplitRecord;
  /** Offset of the first chunk of the oldest incomplete message (undefined: none held). */
  heldFrom(): string | undefined;
  /** Forgets every incomplete message (a reset: they are read again from the committed offset). */
  clear(): void;
}

/** The reader's bounds (the constants above; smaller in tests). */
export interface SplitBounds {
  messageBytes: number;
  incomplete: number;
  heldBytes: number;
  span: bigint;
}

export const SPLIT_BOUNDS: SplitBounds = {
  messageBytes: MAX_SPLIT_RECORD_BYTES,
  incomplete: MAX_INCOMPLETE_SPLIT_MESSAGES,
  heldBytes: MAX_HELD_SPLIT_BYTES,
  span: MAX_SPLIT_CHUNK_SPAN,
};

const kindOf = (m: KafkaMessage): string | undefined => m.headers?.[STAGE_KIND_HEADER]?.toString();

export function createSplitReassembly(bounds: SplitBounds = SPLIT_BOUNDS): SplitReassembly {
  return new ChunkSets(bounds);
}

const describe = (h: Held): string => `chunked ${h.kind ?? 'split'} message ${h.id.slice(0, 12)} from ${h.writer}`;
const readOf = (h: Held): string => `${h.records.length} of ${h.count} chunks read`;

/** The incomplete messages of a part's topic; `take` steps it with one record at a time. */
class ChunkSets implements SplitReassembly {
  /** By writer: at most one incomplete message each (see the header). */
  private readonly held = new Map<string, Held>();
  private heldBytes = 0;
  /** The refusals of the record being taken, and whether it was handled before the last commit. */
  private refused: RefusedChunk[] = [];
  private restoring = false;

  constructor(private readonly bounds: SplitBounds) {}

  take(m: KafkaMessage, restoring: boolean): TakenSplitRecord {
    this.refused = [];
    this.restoring = restoring;
    const writer = m.key?.toString() ?? '';
    const frame = m.value === null ? undefined : readChunkFrame(m.value);
    let whole: KafkaMessage | undefined = m;
    if (frame !== undefined) whole = this.chunk(m, writer, frame);
    else {
      const open = this.held.get(writer);
      if (open) this.refuse(open, `${describe(open)}: superseded (${readOf(open)}, then a whole record of its writer)`);
    }
    this.enforceBounds(BigInt(m.offset));
    return { whole: whole && { record: whole, restoring }, refused: this.refused };
  }

  heldFrom(): string | undefined {
    let oldest: bigint | undefined;
    for (const h of this.held.values()) if (oldest === undefined || h.first < oldest) oldest = h.first;
    return oldest?.toString();
  }

  clear(): void {
    this.held.clear();
    this.heldBytes = 0;
  }

  /** A chunk: begins, extends or completes its writer's message. */
  private chunk(m: KafkaMessage, writer: string, frame: ChunkFrame): KafkaMessage | undefined {
    const id = frame.digest.toString('hex');
    const kind = kindOf(m);
    const open = this.held.get(writer);
    if (open && open.id !== id)
      this.refuse(open, `${describe(open)}: superseded (${readOf(open)}, then another message of its writer)`);
    const h = this.held.get(writer);
    if (h === undefined) {
      // A message begun before the resume point was handled before the last commit (see the header).
      if (frame.index !== 0 && this.restoring) return undefined;
      if (frame.index !== 0)
        return this.refuse(
          undefined,
          `chunk ${frame.index} of ${frame.count} from ${writer} without its first chunk`,
          m,
        );
      if (frame.count < 2 || frame.count > MAX_SPLIT_CHUNKS)
        return this.refuse(
          undefined,
          `a chunk of a message in ${frame.count} chunks (2–${MAX_SPLIT_CHUNKS} expected)`,
          m,
        );
      const first: Held = {
        writer,
        id,
        kind,
        count: frame.count,
        records: [],
        parts: [],
        hash: createHash('sha256'),
        bytes: 0,
        first: BigInt(m.offset),
      };
      this.held.set(writer, first);
      return this.add(first, m, frame);
    }
    if (frame.count !== h.count)
      return this.refuse(
        h,
        `${describe(h)}: chunk ${frame.index} says ${frame.count} chunks, the first said ${h.count}`,
        m,
      );
    if (frame.index !== h.records.length)
      return this.refuse(h, `${describe(h)}: chunk ${frame.index} where chunk ${h.records.length} was due`, m);
    if (kind !== h.kind)
      return this.refuse(h, `${describe(h)}: chunk ${frame.index} is a ${kind ?? 'record without a kind'}`, m);
    return this.add(h, m, frame);
  }

  /** Adds a chunk to its message; the message when that was its last and the bytes are the digest's. */
  private add(h: Held, m: KafkaMessage, frame: ChunkFrame): KafkaMessage | undefined {
    h.records.push(m);
    h.parts.push(frame.part);
    h.bytes += frame.part.length;
    this.heldBytes += frame.part.length;
    if (h.bytes > this.bounds.messageBytes)
      return this.refuse(h, `${describe(h)}: over ${this.bounds.messageBytes} bytes after ${readOf(h)}`);
    h.hash.update(frame.part);
    if (h.records.length < h.count) return undefined;
    if (!h.hash.digest().equals(frame.digest))
      return this.refuse(h, `${describe(h)}: the ${h.count} chunks' bytes do not match their sha256`);
    this.drop(h);
    return { ...h.records[0], value: Buffer.concat(h.parts, h.bytes) };
  }

  /** The oldest held first, while a bound is passed or a message has spanned too far. */
  private enforceBounds(at: bigint): void {
    const b = this.bounds;
    for (const h of [...this.held.values()].sort((x, y) => (x.first < y.first ? -1 : 1))) {
      if (at - h.first > b.span)
        this.refuse(h, `${describe(h)}: never completed (${readOf(h)} within ${b.span} offsets)`);
      else if (this.held.size > b.incomplete)
        this.refuse(
          h,
          `${describe(h)}: never completed (over ${b.incomplete} incomplete messages held; the oldest is refused)`,
        );
      else if (this.heldBytes > b.heldBytes)
        this.refuse(
          h,
          `${describe(h)}: never completed (over ${b.heldBytes} bytes of incomplete messages held; the oldest is refused)`,
        );
    }
  }

  private drop(h: Held): void {
    this.held.delete(h.writer);
    this.heldBytes -= h.bytes;
  }

  /** Refuses `h` (every chunk of it read) and `also`; nothing to dead-letter when the trigger was handled before the last commit. */
  private refuse(h: Held | undefined, reason: string, also?: KafkaMessage): undefined {
    if (h) this.drop(h);
    if (this.restoring) return undefined;
    for (const record of [...(h?.records ?? []), ...(also ? [also] : [])]) this.refused.push({ record, reason });
    return undefined;
  }
}
