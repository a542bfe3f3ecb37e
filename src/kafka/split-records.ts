/**
 * The records of a split stage two's messages (src/pipeline/split-protocol.ts) on its topics:
 * plain JSON with a kind header, like the stage records. Internal to a group, but bounded like
 * any input: a record that is not one of these, or larger than MAX_SPLIT_RECORD_BYTES, is
 * refused (the caller counts and logs it) and never stalls the partition.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import { describeError } from '../errors';
import type { ToArbiter, ToShard } from '../pipeline/split-protocol';
import { STAGE_KIND_HEADER } from './stage-records';

type SplitKind = (ToArbiter | ToShard)['kind'];
/** A report, verdicts or built records carry a window's candidates, verdicts or commands: large, but bounded. */
export const MAX_SPLIT_RECORD_BYTES = 64 * 2 ** 20;

export function splitRecord(m: ToArbiter | ToShard, key: string): Message {
  return { key, value: Buffer.from(JSON.stringify(m)), partition: 0, headers: { [STAGE_KIND_HEADER]: m.kind } };
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
  const kind = m.headers?.[STAGE_KIND_HEADER]?.toString();
  if (kind === undefined || !(kinds as readonly string[]).includes(kind)) return undefined;
  if (m.value === null) return { error: `a ${kind} record without a value` };
  if (m.value.length > MAX_SPLIT_RECORD_BYTES)
    return { error: `a ${kind} record of ${m.value.length} bytes (at most ${MAX_SPLIT_RECORD_BYTES})` };
  try {
    const v = JSON.parse(m.value.toString('utf8')) as Record<string, unknown>;
    if (v === null || typeof v !== 'object' || v.kind !== kind) return { error: `a ${kind} record of another kind` };
    if (!FIELDS_OK[kind as SplitKind](v)) return { error: `a ${kind} record missing its fields` };
    return v as unknown as Extract<ToArbiter | ToShard, { kind: K }>;
  } catch (err) {
    return { error: describeError(err) };
  }
}
