import { createHash } from 'node:crypto';
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
  /** Set ('true') when the value (or key) was cut to fit the DLQ topic; the two below then describe the original. */
  truncated: 'homeostat.dlq.truncated',
  /** sha256 (hex) of the original value, when it was cut. */
  valueSha256: 'homeostat.dlq.value.sha256',
  /** Size in bytes of the original value, when it was cut. */
  valueBytes: 'homeostat.dlq.value.bytes',
  /** sha256 (hex) of the original key, when it was cut. */
  keySha256: 'homeostat.dlq.key.sha256',
  /** Producer headers left out (over the count or size caps), when any were. */
  headersDropped: 'homeostat.dlq.headers.dropped',
} as const;

/**
 * The producer's own headers are kept under this prefix: `trace-id` becomes
 * `homeostat.dlq.original.trace-id`. Kept, because they are evidence (trace ids, the
 * producer's name); renamed, because a producer could otherwise send its own
 * `homeostat.dlq.error.code` and pose as the processor: every name without the prefix is
 * the processor's and authoritative.
 */
export const DLQ_ORIGINAL_HEADER_PREFIX = 'homeostat.dlq.original.';

export interface DlqSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers?: IHeaders;
}

/** Default max.message.bytes of the DLQ topic (topics.dlqMaxMessageBytes): the broker's own default. */
export const DEFAULT_DLQ_MAX_MESSAGE_BYTES = 1_048_576;
/** Messages longer than this are cut in the header: the original bytes are the evidence, not the message. */
const MAX_MESSAGE_CHARS = 1024;
/** Most bytes of the original key kept (a key may be as large as the record). */
const MAX_KEY_BYTES = 1024;
/** Most producer headers kept, and most bytes of each (name + value). */
const MAX_HEADERS = 32;
const MAX_HEADER_BYTES = 1024;
/** Room left in a DLQ record for key, headers and the record's framing. */
const OVERHEAD_BYTES = 64 * 1024;

/**
 * The DLQ record for a rejected input: the original key and bytes, the original headers
 * (renamed, see DLQ_ORIGINAL_HEADER_PREFIX), and headers saying where it came from and why
 * it was rejected. It always fits a DLQ topic of `maxMessageBytes`: a larger value is cut,
 * its sha256 and size in headers — a record the broker refuses would abort the batch's
 * transaction, and the batch would be read again for ever.
 */
export function dlqMessage(
  source: DlqSource,
  error: Pick<HomeostatError, 'code' | 'message' | 'field'>,
  maxMessageBytes = DEFAULT_DLQ_MAX_MESSAGE_BYTES,
): Message {
  const headers: IHeaders = {};
  let dropped = 0;
  for (const [name, v] of Object.entries(source.headers ?? {})) {
    if (v === undefined) continue;
    const size = name.length + (Array.isArray(v) ? v.reduce((n, x) => n + x.length, 0) : v.length);
    if (Object.keys(headers).length >= MAX_HEADERS || size > MAX_HEADER_BYTES) dropped++;
    else headers[DLQ_ORIGINAL_HEADER_PREFIX + name] = v;
  }
  headers[DLQ_HEADERS.topic] = source.topic;
  headers[DLQ_HEADERS.partition] = String(source.partition);
  headers[DLQ_HEADERS.offset] = source.offset;
  headers[DLQ_HEADERS.timestamp] = source.timestamp;
  headers[DLQ_HEADERS.code] = error.code;
  headers[DLQ_HEADERS.message] =
    error.message.length > MAX_MESSAGE_CHARS ? `${error.message.slice(0, MAX_MESSAGE_CHARS)}...` : error.message;
  if (error.field !== undefined) headers[DLQ_HEADERS.field] = error.field.slice(0, MAX_MESSAGE_CHARS);
  if (dropped > 0) headers[DLQ_HEADERS.headersDropped] = String(dropped);
  let { key, value } = source;
  if (key !== null && key.length > MAX_KEY_BYTES) {
    headers[DLQ_HEADERS.truncated] = 'true';
    headers[DLQ_HEADERS.keySha256] = sha256(key);
    key = key.subarray(0, MAX_KEY_BYTES);
  }
  const maxValue = Math.max(0, maxMessageBytes - OVERHEAD_BYTES);
  if (value !== null && value.length > maxValue) {
    headers[DLQ_HEADERS.truncated] = 'true';
    headers[DLQ_HEADERS.valueSha256] = sha256(value);
    headers[DLQ_HEADERS.valueBytes] = String(value.length);
    value = value.subarray(0, maxValue);
  }
  return { key, value, headers };
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
