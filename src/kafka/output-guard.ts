/**
 * Outputs the broker would refuse never reach it. A record larger than its topic's
 * `max.message.bytes` (or a request batch larger than it) is refused with MESSAGE_TOO_LARGE /
 * RECORD_LIST_TOO_LARGE, which aborts the transaction; the batch is then read again, makes the
 * same output, and the processor is stuck for good. So every output is checked against its
 * topic's limit before it is sent — a length compare per record — and one that cannot fit is
 * dead-lettered instead (cut to fit the DLQ, its sha256 and size in headers, as dlq.ts does for
 * inputs) with the reason OUTPUT_TOO_LARGE, logged and counted (`dlq_records_total{reason}`),
 * so the batch commits. Limits are read once at start with describeConfigs; a topic whose
 * limit cannot be read is held to the broker's default (1 MiB).
 */
import type { Message, TopicMessages } from 'kafkajs';
import type { TopicsConfig } from '../config/kafka-schema';
import { describeError } from '../errors';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import { dlqMessage } from './dlq';
import type { KafkaPort } from './port';

/** The broker's default max.message.bytes (message.max.bytes): what an unreadable topic is held to. */
export const BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/**
 * Room for the record batch's framing (61 bytes), the record's own (varints, attributes) and
 * headers' names: a record whose key, value and headers fit within the limit less this fits.
 */
export const OUTPUT_FRAMING_BYTES = 1024;
/** ConfigResourceTypes.TOPIC in kafkajs. */
const TOPIC_RESOURCE = 2;

export interface OutputGuardOptions {
  /** The topics the processor writes; others pass unchecked. */
  topics: readonly string[];
  /** Where a refused output goes, and that topic's configured limit (topics.dlqMaxMessageBytes). */
  dlqTopic: string;
  dlqMaxMessageBytes: number;
  logger: Logger;
  metrics?: HomeostatMetrics;
}

/** The messages to send, and how many were dead-lettered in their place (counted once the transaction commits). */
export interface FittedOutputs {
  topicMessages: readonly TopicMessages[];
  refused: number;
}

export class OutputGuard {
  /** Bytes a record's key, value and headers may have, per output topic (its limit less the framing). */
  private readonly room = new Map<string, number>();
  private loggedAt = -Infinity;
  /** Outputs dead-lettered since the last log line. */
  private unlogged = 0;

  constructor(private readonly o: OutputGuardOptions) {}

  /** Reads each topic's max.message.bytes once; call at start, before the first transaction. */
  async load(kafka: KafkaPort): Promise<void> {
    const wanted = [...new Set([...this.o.topics, this.o.dlqTopic])];
    const limits = await readMaxMessageBytes(kafka, wanted).catch((err: unknown) => {
      this.o.logger.warn(
        { topics: wanted, err: describeError(err) },
        `cannot read the output topics' max.message.bytes: holding every output to the broker default ${BROKER_DEFAULT_MAX_MESSAGE_BYTES}`,
      );
      return new Map<string, number>();
    });
    for (const t of wanted)
      this.room.set(t, (limits.get(t) ?? BROKER_DEFAULT_MAX_MESSAGE_BYTES) - OUTPUT_FRAMING_BYTES);
    const dlq = Math.min(this.o.dlqMaxMessageBytes, this.room.get(this.o.dlqTopic)! + OUTPUT_FRAMING_BYTES);
    this.room.set(this.o.dlqTopic, dlq - OUTPUT_FRAMING_BYTES);
  }

  /** Most bytes one request of `topic` may carry: a request of one partition is one batch, which the limit bounds too. */
  requestBytes(topic: string, preferred: number): number {
    const room = this.room.get(topic);
    return room === undefined ? preferred : Math.min(preferred, room);
  }

  /** `topicMessages` with every record too large for its topic replaced by its DLQ record; the same array when all fit. */
  fit(topicMessages: readonly TopicMessages[]): FittedOutputs {
    let refused = 0;
    let out: TopicMessages[] | undefined;
    let dead: Message[] | undefined;
    topicMessages.forEach((tm, i) => {
      const room = this.room.get(tm.topic);
      if (room === undefined || tm.messages.every((m) => messageBytes(m) <= room)) {
        out?.push(tm);
        return;
      }
      out ??= topicMessages.slice(0, i);
      dead ??= [];
      const kept: Message[] = [];
      for (const m of tm.messages) {
        const bytes = messageBytes(m);
        if (bytes <= room) kept.push(m);
        else {
          refused++;
          dead.push(this.deadLetter(tm.topic, m, bytes, room));
        }
      }
      if (kept.length > 0) out.push({ topic: tm.topic, messages: kept });
    });
    if (out === undefined || dead === undefined) return { topicMessages, refused: 0 };
    out.push({ topic: this.o.dlqTopic, messages: dead });
    return { topicMessages: out, refused };
  }

  /** Counts the outputs a committed transaction dead-lettered. */
  committed(refused: number): void {
    if (refused > 0) this.o.metrics?.dlqRecords.inc({ reason: 'OUTPUT_TOO_LARGE' }, refused);
  }

  private deadLetter(topic: string, m: Message, bytes: number, room: number): Message {
    const message =
      `an output of ${bytes} bytes for ${topic} is over the ${room + OUTPUT_FRAMING_BYTES} bytes its ` +
      'max.message.bytes allows (less framing); dead-lettered instead of sent, so the batch commits';
    // At most one line a second (with the count since): telemetry could make many such outputs.
    const now = Date.now();
    if (now - this.loggedAt >= 1000) {
      const since = this.unlogged;
      this.o.logger.error({ topic, key: keyText(m.key), bytes, limit: room + OUTPUT_FRAMING_BYTES, since }, message);
      this.loggedAt = now;
      this.unlogged = 0;
    } else this.unlogged++;
    const source = {
      topic,
      partition: -1,
      offset: '-1',
      key: toBuffer(m.key),
      value: toBuffer(m.value),
      timestamp: m.timestamp ?? '',
      headers: m.headers,
    };
    const dlqLimit = (this.room.get(this.o.dlqTopic) ?? BROKER_DEFAULT_MAX_MESSAGE_BYTES) + OUTPUT_FRAMING_BYTES;
    return dlqMessage(source, { code: 'OUTPUT_TOO_LARGE', message, field: undefined }, dlqLimit);
  }
}

/** The guard of the processor's output topics, from its config. */
export function processorOutputGuard(
  t: Pick<
    TopicsConfig,
    'signals' | 'decisions' | 'actions' | 'outcomes' | 'dlq' | 'state' | 'stage' | 'dlqMaxMessageBytes'
  >,
  logger: Logger,
  metrics?: HomeostatMetrics,
): OutputGuard {
  const topics = [t.signals, t.decisions, t.actions, t.outcomes, t.dlq, t.state, t.stage];
  return new OutputGuard({ topics, dlqTopic: t.dlq, dlqMaxMessageBytes: t.dlqMaxMessageBytes, logger, metrics });
}

/** Key, value and header bytes of a message (what the broker's limit mostly counts). */
export function messageBytes(m: Message): number {
  let n = byteLength(m.key) + byteLength(m.value);
  if (m.headers !== undefined) {
    for (const k in m.headers) {
      const v = m.headers[k];
      n += k.length + (Array.isArray(v) ? v.reduce((s: number, x) => s + byteLength(x), 0) : byteLength(v));
    }
  }
  return n;
}

function byteLength(v: unknown): number {
  return v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : (v as Buffer).length;
}

function toBuffer(v: Message['value'] | Message['key']): Buffer | null {
  return v == null ? null : typeof v === 'string' ? Buffer.from(v) : v;
}

function keyText(k: Message['key']): string | undefined {
  return k == null ? undefined : (typeof k === 'string' ? k : k.toString('utf8')).slice(0, 200);
}

/** max.message.bytes of each topic that has one, by describeConfigs. */
async function readMaxMessageBytes(kafka: KafkaPort, topics: readonly string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const res = await admin.describeConfigs({
      resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ['max.message.bytes'] })),
      includeSynonyms: false,
    });
    const limits = new Map<string, number>();
    for (const r of res.resources) {
      const v = Number(r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
      if (r.errorCode === 0 && Number.isSafeInteger(v) && v > 0) limits.set(r.resourceName, v);
    }
    return limits;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
