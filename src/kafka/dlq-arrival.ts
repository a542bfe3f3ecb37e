/**
 * One DLQ record per input record. An OTLP or line-protocol record maps to many samples, and
 * any number of them may be refused (late, clock ahead of the log, over the series cap): one
 * DLQ record each would turn a ~1.5 KB record into tens of MB of dead letters. Instead the
 * record's own bytes are written once, with the first refusal as the error headers and the
 * count of refused samples, per reason, in headers of their own.
 */
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { ErrorCode } from '../errors';
import type { DeadLetter } from '../pipeline/processor';
import { dlqMessage } from './dlq';

/** Headers added to the DLQ record of an input whose samples were refused (not of one refused whole). */
export const DLQ_SAMPLE_HEADERS = {
  /** Samples of the record refused (dead-lettered or late), decimal. */
  refused: 'homeostat.dlq.samples.refused',
  /** Samples the record mapped to, decimal: the others were aggregated. */
  total: 'homeostat.dlq.samples.total',
  /** Refused samples per error code, `CODE=n` joined by `,`, in order of first appearance. */
  reasons: 'homeostat.dlq.samples.reasons',
} as const;

/** The dead letters of one input record, in order of first appearance. */
export interface DeadInput {
  offset: string;
  /** The first refusal: its code and message head the DLQ record. */
  first: DeadLetter;
  /** Dead letters of this input (1 for a homeostat record or a record refused whole). */
  count: number;
  byCode: Map<ErrorCode, number>;
}

/** Groups a batch's dead letters by the input record (offset) they came from. */
export function deadByInput(dead: readonly DeadLetter[]): DeadInput[] {
  const byOffset = new Map<string, DeadInput>();
  for (const d of dead) {
    let g = byOffset.get(d.offset);
    if (g === undefined) {
      g = { offset: d.offset, first: d, count: 0, byCode: new Map() };
      byOffset.set(d.offset, g);
    }
    g.count++;
    g.byCode.set(d.code, (g.byCode.get(d.code) ?? 0) + 1);
  }
  return [...byOffset.values()];
}

export interface ArrivalSource {
  topic: string;
  partition: number;
  /** The input record (undefined only if the batch no longer holds it: the DLQ record then has no value). */
  message: KafkaMessage | undefined;
  /** Samples the input mapped to; undefined for a record that never became samples. */
  samples: number | undefined;
}

/** The DLQ record of one input: its bytes once, why, and — for a multi-sample record — how many samples were refused. */
export function dlqArrival(g: DeadInput, src: ArrivalSource): Message {
  const m = src.message;
  const { code, message, field } = g.first;
  const msg = dlqMessage(
    { topic: src.topic, partition: src.partition, offset: g.offset, key: m?.key ?? null, value: m?.value ?? null, timestamp: m?.timestamp ?? '', headers: m?.headers },
    { code, message, field },
  );
  if (src.samples === undefined) return msg;
  const headers: IHeaders = { ...msg.headers };
  headers[DLQ_SAMPLE_HEADERS.refused] = String(g.count);
  headers[DLQ_SAMPLE_HEADERS.total] = String(src.samples);
  headers[DLQ_SAMPLE_HEADERS.reasons] = [...g.byCode].map(([c, n]) => `${c}=${n}`).join(',');
  return { ...msg, headers };
}
