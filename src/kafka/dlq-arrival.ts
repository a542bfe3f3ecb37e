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
  /** The DLQ topic's record size limit: the value is cut to fit it (dlq.ts). */
  maxBytes: number;
}

/** The DLQ record of one input: its bytes once, why, and — for a multi-sample record — how many samples were refused. */
export function dlqArrival(g: DeadInput, src: ArrivalSource): Message {
  const m = src.message;
  const { code, message, field } = g.first;
  const msg = dlqMessage(
    {
      topic: src.topic,
      partition: src.partition,
      offset: g.offset,
      key: m?.key ?? null,
      value: m?.value ?? null,
      timestamp: m?.timestamp ?? '',
      headers: m?.headers,
    },
    { code, message, field },
    src.maxBytes,
  );
  if (src.samples === undefined) return msg;
  const headers: IHeaders = { ...msg.headers };
  headers[DLQ_SAMPLE_HEADERS.refused] = String(g.count);
  headers[DLQ_SAMPLE_HEADERS.total] = String(src.samples);
  headers[DLQ_SAMPLE_HEADERS.reasons] = [...g.byCode].map(([c, n]) => `${c}=${n}`).join(',');
  return { ...msg, headers };
}

/**
 * A batch's dead letters, folded per input record as each record is stepped: a record's refused
 * samples are held as one group (its first refusal and the counts), not one object each — a
 * batch of small records that each expand to thousands of refused samples would otherwise hold
 * millions until the commit.
 */
export interface BatchDead {
  /** A multi-sample record of the batch (OTLP, line protocol) and the samples it mapped to. */
  noteSamples(offset: string, samples: number): void;
  /** Folds the dead letters stepped so far into the groups, emptying `dead`. */
  fold(dead: DeadLetter[]): void;
  groups(): readonly DeadInput[];
  /** One DLQ record per group, from the batch's records by offset. */
  messages(topic: string, partition: number, byOffset: ReadonlyMap<string, KafkaMessage>, maxBytes: number): Message[];
  clear(): void;
}

export function createBatchDead(): BatchDead {
  const groups: DeadInput[] = [];
  const samples = new Map<string, number>();
  return {
    noteSamples: (offset, n) => void samples.set(offset, n),
    fold(dead) {
      if (dead.length === 0) return;
      for (const g of deadByInput(dead)) groups.push(g);
      dead.length = 0;
    },
    groups: () => groups,
    messages: (topic, partition, byOffset, maxBytes) =>
      groups.map((g) =>
        dlqArrival(g, { topic, partition, message: byOffset.get(g.offset), samples: samples.get(g.offset), maxBytes }),
      ),
    clear() {
      groups.length = 0;
      samples.clear();
    },
  };
}
