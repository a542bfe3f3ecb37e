import type { IHeaders, Message } from 'kafkajs';
import type { HomeostatError } from '../errors';

/** Header names on every dead-lettered record; stable: tools and alerts match on them. */
export const DLQ_HEADERS = {
  topic: 'homeostat.dlq.source.topic',
  partition: 'homeostat.dlq.source.partition',
  offset: 'homeostat.dlq.source.offset',
  timestamp: 'homeostat.dlq.source.timestamp',
  code: 'homeostat.dlq.error.code',
  message: 'homeostat.dlq.error.message',
  field: 'homeostat.dlq.error.field',
} as const;

export interface DlqSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers?: IHeaders;
}

/** Messages longer than this are cut in the header: the original bytes are the evidence, not the message. */
const MAX_MESSAGE_CHARS = 1024;

/**
 * The DLQ record for a rejected input: the original key and bytes untouched, the
 * original headers kept, and headers saying where it came from and why it was rejected.
 */
export function dlqMessage(source: DlqSource, error: Pick<HomeostatError, 'code' | 'message' | 'field'>): Message {
  const headers: IHeaders = { ...(source.headers ?? {}) };
  headers[DLQ_HEADERS.topic] = source.topic;
  headers[DLQ_HEADERS.partition] = String(source.partition);
  headers[DLQ_HEADERS.offset] = source.offset;
  headers[DLQ_HEADERS.timestamp] = source.timestamp;
  headers[DLQ_HEADERS.code] = error.code;
  headers[DLQ_HEADERS.message] = error.message.length > MAX_MESSAGE_CHARS ? `${error.message.slice(0, MAX_MESSAGE_CHARS)}...` : error.message;
  if (error.field !== undefined) headers[DLQ_HEADERS.field] = error.field;
  return { key: source.key, value: source.value, headers };
}
