/**
 * Records of the stage topic (runner.scaleOut): stage one's series finals and scope partials,
 * as canonical JSON signals, and its partition marks. Internal to a group — their readers are
 * the group's own stage two — so JSON with a kind header, always on partition 0 (the topic
 * has one: stage two reads one order, and a partition's mark follows its signals).
 */
import type { KafkaMessage, Message } from 'kafkajs';
import { createRecordCodec } from '../codec';
import { describeError } from '../errors';
import { WINDOW_STATS, type WindowSignal } from '../model/signal';
import type { GatherInput, PartitionMark, WindowSummary } from '../pipeline/gather';

export const STAGE_KIND_HEADER = 'homeostat-stage';
const SIGNAL = 'signal';
const MARK = 'mark';

const signalCodec = createRecordCodec('signal');

export function stageSignals(signals: readonly WindowSignal[]): Message[] {
  return signals.map((s) => ({
    key: s.key,
    value: signalCodec.encodeJson(s),
    partition: 0,
    headers: { [STAGE_KIND_HEADER]: SIGNAL },
  }));
}

export function stageMark(mark: PartitionMark): Message {
  // -Infinity (nothing seen yet) is not JSON.
  const value = {
    ...mark,
    wm: Number.isFinite(mark.wm) ? mark.wm : null,
    maxTs: Number.isFinite(mark.maxTs) ? mark.maxTs : null,
  };
  return {
    key: `mark/${mark.partition}`,
    value: Buffer.from(JSON.stringify(value)),
    partition: 0,
    headers: { [STAGE_KIND_HEADER]: MARK },
  };
}

/**
 * Bounds on what a stage record may hold. The stage topic is internal to a group, but
 * anyone who can write it could otherwise hand stage two unbounded tags or partition lists:
 * a record outside them is refused (and counted) like any other malformed stage record.
 */
const MAX_STAGE_STRING = 4096;
const MAX_STAGE_TAGS = 256;
const MAX_PARTITION = 100_000;
const isPartition = (p: unknown): boolean => Number.isInteger(p) && (p as number) >= 0 && (p as number) < MAX_PARTITION;

const NUMBERS = ['windowStart', 'windowEnd', ...WINDOW_STATS] as const;
const NON_FINITE: Record<string, number> = { NaN, Infinity, '-Infinity': -Infinity };

/**
 * A signal as stage one wrote it (canonical JSON, signalCodec.encodeJson), read back with
 * JSON.parse and a shape check instead of the schema-driven decoder: stage two reads every
 * stage record, and the schema walk cost about a third of its time. Non-finite doubles come
 * back from their canonical strings.
 */
export function decodeStageSignal(value: Buffer): WindowSignal {
  const s = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
  for (const k of ['scope', 'key', 'source', 'metric'] as const) {
    const v = s[k];
    if (typeof v !== 'string') throw new Error(`signal field ${k} is not a string`);
    if (v.length > MAX_STAGE_STRING) throw new Error(`signal field ${k} is longer than ${MAX_STAGE_STRING}`);
  }
  for (const k of NUMBERS) {
    const v = s[k];
    if (typeof v === 'number') continue;
    if (typeof v === 'string' && v in NON_FINITE) s[k] = NON_FINITE[v];
    else throw new Error(`signal field ${k} is not a number`);
  }
  if (typeof s.partial !== 'boolean') throw new Error('signal field partial is not a boolean');
  if (s.tags === null || typeof s.tags !== 'object' || Array.isArray(s.tags))
    throw new Error('signal field tags is not a map');
  const tags = Object.entries(s.tags as Record<string, unknown>);
  if (
    tags.length > MAX_STAGE_TAGS ||
    !tags.every(([k, v]) => typeof v === 'string' && k.length <= MAX_STAGE_STRING && v.length <= MAX_STAGE_STRING)
  ) {
    throw new Error(`signal field tags is not a map of at most ${MAX_STAGE_TAGS} short strings`);
  }
  if (!Array.isArray(s.partitions) || s.partitions.length > MAX_PARTITION || !s.partitions.every(isPartition))
    throw new Error('signal field partitions is not a list of partitions');
  if (s.sketch === null) delete s.sketch;
  else if (s.sketch !== undefined && typeof s.sketch !== 'string')
    throw new Error('signal field sketch is not a string');
  return s as unknown as WindowSignal;
}

/** At most this many window summaries in one mark: a stage-one transaction closes a few windows, not thousands. */
const MAX_MARK_WINDOWS = 10_000;

/** A mark's window summaries (split stage two), or undefined when they are not well formed. */
function summariesOf(x: unknown): WindowSummary[] | undefined {
  if (!Array.isArray(x) || x.length > MAX_MARK_WINDOWS) return undefined;
  const out: WindowSummary[] = [];
  for (const w of x as unknown[]) {
    const { end, minStart } = (w ?? {}) as { end?: unknown; minStart?: unknown };
    if (typeof end !== 'number' || typeof minStart !== 'number' || !Number.isFinite(end) || !Number.isFinite(minStart))
      return undefined;
    out.push({ end, minStart });
  }
  return out;
}

/** A stage record back as stage two's input, or why it is not one. */
export function decodeStageRecord(m: KafkaMessage): GatherInput | { error: string } {
  const kind = m.headers?.[STAGE_KIND_HEADER]?.toString();
  if (m.value === null) return { error: 'no value' };
  try {
    if (kind === SIGNAL) return { kind: 'signal', signal: decodeStageSignal(m.value), offset: m.offset };
    if (kind === MARK) {
      const v = JSON.parse(m.value.toString('utf8')) as {
        partition?: unknown;
        wm?: unknown;
        maxTs?: unknown;
        next?: unknown;
        windows?: unknown;
      };
      if (!isPartition(v.partition) || typeof v.next !== 'string' || !/^\d+$/.test(v.next))
        return { error: `not a partition mark: ${m.value.toString('utf8').slice(0, 200)}` };
      const num = (x: unknown): number => (typeof x === 'number' ? x : -Infinity);
      const mark: PartitionMark = {
        partition: v.partition as number,
        wm: num(v.wm),
        maxTs: num(v.maxTs),
        next: v.next,
      };
      if (v.windows !== undefined) {
        const windows = summariesOf(v.windows);
        if (windows === undefined)
          return { error: 'a partition mark whose windows are not a list of window summaries' };
        mark.windows = windows;
      }
      return { kind: 'mark', mark, offset: m.offset };
    }
    return {
      error: `header ${STAGE_KIND_HEADER} is ${kind === undefined ? 'missing' : `"${kind}"`}: not a stage record`,
    };
  } catch (err) {
    return { error: describeError(err) };
  }
}
