/**
 * Records of the stage topic (runner.scaleOut): stage one's series finals and scope partials,
 * as canonical JSON signals, and its partition marks. Internal to a group — their readers are
 * the group's own stage two — so JSON with a kind header, always on partition 0 (the topic
 * has one: stage two reads one order, and a partition's mark follows its signals).
 */
import type { KafkaMessage, Message } from 'kafkajs';
import { createRecordCodec } from '../codec';
import { describeError } from '../errors';
import type { WindowSignal } from '../model/signal';
import type { GatherInput, PartitionMark } from '../pipeline/gather';

export const STAGE_KIND_HEADER = 'homeostat-stage';
const SIGNAL = 'signal';
const MARK = 'mark';

const signalCodec = createRecordCodec('signal');

export function stageSignals(signals: readonly WindowSignal[]): Message[] {
  return signals.map((s) => ({ key: s.key, value: signalCodec.encodeJson(s), partition: 0, headers: { [STAGE_KIND_HEADER]: SIGNAL } }));
}

export function stageMark(mark: PartitionMark): Message {
  // -Infinity (nothing seen yet) is not JSON.
  const value = { ...mark, wm: Number.isFinite(mark.wm) ? mark.wm : null, maxTs: Number.isFinite(mark.maxTs) ? mark.maxTs : null };
  return { key: `mark/${mark.partition}`, value: Buffer.from(JSON.stringify(value)), partition: 0, headers: { [STAGE_KIND_HEADER]: MARK } };
}

/** A stage record back as stage two's input, or why it is not one. */
export function decodeStageRecord(m: KafkaMessage): GatherInput | { error: string } {
  const kind = m.headers?.[STAGE_KIND_HEADER]?.toString();
  if (m.value === null) return { error: 'no value' };
  try {
    if (kind === SIGNAL) return { kind: 'signal', signal: signalCodec.decodeJson(m.value), offset: m.offset };
    if (kind === MARK) {
      const v = JSON.parse(m.value.toString('utf8')) as { partition?: unknown; wm?: unknown; maxTs?: unknown; next?: unknown };
      if (!Number.isInteger(v.partition) || typeof v.next !== 'string' || !/^\d+$/.test(v.next)) return { error: `not a partition mark: ${m.value.toString('utf8').slice(0, 200)}` };
      const num = (x: unknown): number => (typeof x === 'number' ? x : -Infinity);
      return { kind: 'mark', mark: { partition: v.partition as number, wm: num(v.wm), maxTs: num(v.maxTs), next: v.next } };
    }
    return { error: `header ${STAGE_KIND_HEADER} is ${kind === undefined ? 'missing' : `"${kind}"`}: not a stage record` };
  } catch (err) {
    return { error: describeError(err) };
  }
}
