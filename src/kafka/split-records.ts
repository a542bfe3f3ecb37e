/**
 * The records of a split stage two's messages (src/pipeline/split-protocol.ts) on its topics:
 * plain JSON with a kind header, like the stage records; one record each up to
 * SPLIT_CHUNK_BYTES, else its chunks in the same transaction (split-chunks.ts puts them back
 * together), so that a window's report, verdicts or built records always fit the topics at the
 * broker's default max.message.bytes. Internal to a group, but bounded like any input: a
 * record that is not one of these, or a message larger than MAX_SPLIT_RECORD_BYTES, is
 * refused (the caller counts and logs it) and never stalls the partition.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import { describeError } from '../errors';
import { wireRefusal, type ToArbiter, type ToShard } from '../pipeline/split-protocol';
import { chunkFrames } from './chunk-frames';
import { MAX_SPLIT_RECORD_BYTES, SPLIT_CHUNK_BYTES, type RefusedChunk, type SplitReassembly } from './split-chunks';
import { STAGE_KIND_HEADER } from './stage-records';

export { MAX_SPLIT_RECORD_BYTES } from './split-chunks';

export type SplitKind = (ToArbiter | ToShard)['kind'];

/**
 * The records of message `m` from writer `key`: one when it fits (as before chunking), else its
 * chunks, each with the same key and kind header. Throws above MAX_SPLIT_RECORD_BYTES — the
 * reader would refuse it — so the transaction fails and says so (add shards), as a shard's
 * checkpoint that cannot be written does.
 */
export function splitRecords(m: ToArbiter | ToShard, key: string): Message[] {
  return splitRecordsOf(Buffer.from(JSON.stringify(m)), m.kind, key);
}

/** `splitRecords` of a message already in JSON (`value`, of `kind`). */
export function splitRecordsOf(value: Buffer, kind: SplitKind, key: string): Message[] {
  const headers = { [STAGE_KIND_HEADER]: kind };
  if (value.length <= SPLIT_CHUNK_BYTES) return [{ key, value, partition: 0, headers }];
  if (value.length > MAX_SPLIT_RECORD_BYTES)
    throw new Error(
      `a split ${kind} of ${value.length} bytes from ${key}: over ${MAX_SPLIT_RECORD_BYTES} bytes a message; add decision shards`,
    );
  return chunkFrames(value, SPLIT_CHUNK_BYTES).map((frame) => ({
    key,
    value: frame,
    partition: 0,
    headers: { ...headers },
  }));
}

/** The kind of a split record (a chunk's too), if it is one of `kinds`. */
export function splitKindOf<K extends SplitKind>(m: KafkaMessage, kinds: readonly K[]): K | undefined {
  const kind = m.headers?.[STAGE_KIND_HEADER]?.toString();
  return kind !== undefined && (kinds as readonly string[]).includes(kind) ? (kind as K) : undefined;
}

const isInt = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const isEnd = (x: unknown): boolean => typeof x === 'number';
const lists = (v: Record<string, unknown>, ...keys: string[]): boolean => keys.every((k) => Array.isArray(v[k]));

/** The fields each kind must have to be taken at all (their shapes beyond that are the writer's, of the same group). */
const FIELDS_OK: Record<SplitKind, (v: Record<string, unknown>) => boolean> = {
  report: (v) => isInt(v.shard) && lists(v, 'verify') && isEnd((v.summary as { end?: unknown } | null)?.end),
  built: (v) => isInt(v.shard) && isEnd(v.end) && lists(v, 'commands', 'decisions'),
  'control-ack': (v) => isInt(v.shard) && isInt(v.seq) && lists(v, 'decisions'),
  verdicts: (v) => isEnd(v.end) && lists(v, 'lastChange', 'breakers', 'verdicts'),
  settle: (v) => isEnd(v.end) && lists(v, 'reverts', 'pending'),
  control: (v) => isInt(v.seq) && typeof v.control === 'object' && v.control !== null,
};

/** A split record back, if the record is one of `kinds`; `error` when it claims to be and is not well formed. */
export function decodeSplitRecord<K extends SplitKind>(
  m: KafkaMessage,
  kinds: readonly K[],
): Extract<ToArbiter | ToShard, { kind: K }> | { error: string } | undefined {
  const kind = splitKindOf(m, kinds);
  if (kind === undefined) return undefined;
  if (m.value === null) return { error: `a ${kind} record without a value` };
  if (m.value.length > MAX_SPLIT_RECORD_BYTES)
    return { error: `a ${kind} record of ${m.value.length} bytes (at most ${MAX_SPLIT_RECORD_BYTES})` };
  try {
    const v = JSON.parse(m.value.toString('utf8')) as Record<string, unknown>;
    if (v === null || typeof v !== 'object' || v.kind !== kind) return { error: `a ${kind} record of another kind` };
    if (!FIELDS_OK[kind](v)) return { error: `a ${kind} record missing its fields` };
    const version = kind === 'report' ? wireRefusal(v.window as { wire?: unknown } | null) : undefined;
    if (version !== undefined) return { error: version };
    return v as unknown as Extract<ToArbiter | ToShard, { kind: K }>;
  } catch (err) {
    return { error: describeError(err) };
  }
}

type SplitMessage<K extends SplitKind> = Extract<ToArbiter | ToShard, { kind: K }>;

/** What one record of a part's topic gives it: records to refuse, and maybe a whole message to handle. */
export interface SplitRead<K extends SplitKind> {
  /** Chunks to dead-letter now, with why (split-chunks.ts). */
  refused: RefusedChunk[];
  /** A whole message not handled before the last commit: its record (chunks joined) and what it decodes to. */
  message?: { record: KafkaMessage; decoded: SplitMessage<K> | { error: string } };
}

/** Steps `assembly` with `m` if it is a split record of `kinds` (undefined: it is not; the caller leaves it). */
export function readSplitRecord<K extends SplitKind>(
  assembly: SplitReassembly,
  m: KafkaMessage,
  kinds: readonly K[],
  restoring: boolean,
): SplitRead<K> | undefined {
  if (splitKindOf(m, kinds) === undefined) return undefined;
  const taken = assembly.take(m, restoring);
  const whole = taken.whole;
  if (whole === undefined || whole.restoring) return { refused: taken.refused };
  // Of `kinds`: a chunk set of another kind is refused while it is put together.
  const decoded = decodeSplitRecord(whole.record, kinds);
  if (decoded === undefined) return { refused: taken.refused };
  return { refused: taken.refused, message: { record: whole.record, decoded } };
}
