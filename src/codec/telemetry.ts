/**
 * Telemetry on the wire: the decoder (Avro or JSON, validated, DLQ-ready errors) and
 * deterministic encoders (same Telemetry ⇒ same bytes).
 */
import { InputError } from '../errors';
import type { Telemetry } from '../model/telemetry';
import { createDecoderCore, type RecordDecoder, type WireFormat } from './decoder-core';
import { HEADER_SIZE, frameHeader } from './framing';
import { resolveTelemetryLimits, type TelemetryLimits } from './limits';
import { schemaType } from './schemas';
import { readTelemetryFast } from './telemetry-avro-fast';
import { readTelemetryJsonFast } from './telemetry-json-fast';
import { validateTelemetry } from './validate-telemetry';
import type { SchemaLookup } from './writer-cache';

export interface TelemetryDecoderOptions {
  /** Writer schemas by Confluent id. Without it, Avro records are UNKNOWN_SCHEMA_ID. */
  resolver?: SchemaLookup;
  /** Validation limits; unset keys take DEFAULT_TELEMETRY_LIMITS. Checked at construction (ConfigError). */
  limits?: Partial<TelemetryLimits>;
  /** Accepted encodings. Default `auto`. */
  format?: WireFormat;
  /** How many unknown schema ids to remember (0: ask the registry every time). Default 1024. */
  negativeCacheSize?: number;
}

export interface TelemetryDecoder extends RecordDecoder<Telemetry> {
  /** The effective, fully defaulted limits. */
  readonly limits: Readonly<TelemetryLimits>;
}

export function createTelemetryDecoder(options: TelemetryDecoderOptions = {}): TelemetryDecoder {
  const limits = Object.freeze(resolveTelemetryLimits(options.limits));
  const core = createDecoderCore<Telemetry>({
    what: 'telemetry',
    reader: schemaType('telemetry'),
    lookup: options.resolver,
    format: options.format ?? 'auto',
    maxRecordBytes: limits.maxRecordBytes,
    negativeCacheSize: options.negativeCacheSize,
    fromAvro: (decoded) => validateTelemetry(decoded as Record<string, unknown>, limits),
    fromJson: (parsed) => validateTelemetry(parsed, limits),
    fastAvro: (buf, start, end) => readTelemetryFast(buf, start, limits, end),
    fastJson: (buf, start, end) => readTelemetryJsonFast(buf, start, limits, end),
  });
  return { ...core, limits };
}

/**
 * Encoders check types and finiteness but not the decoder's size and range limits, so
 * that tools can deliberately produce records a strict consumer will dead-letter.
 */
const ENCODE_LIMITS: TelemetryLimits = {
  minTs: -8.64e15,
  maxTs: 8.64e15,
  maxSourceLength: Number.MAX_SAFE_INTEGER,
  maxMetricLength: Number.MAX_SAFE_INTEGER,
  maxTags: Number.MAX_SAFE_INTEGER,
  maxTagKeyLength: Number.MAX_SAFE_INTEGER,
  maxTagValueLength: Number.MAX_SAFE_INTEGER,
  maxRecordBytes: Number.MAX_SAFE_INTEGER,
  maxAheadOfLogTimeMs: Infinity,
};

function checked(t: Telemetry): Telemetry {
  const out = validateTelemetry(t as unknown as Record<string, unknown>, ENCODE_LIMITS);
  if (out instanceof InputError) throw out;
  return out;
}

/** Tags with keys in sorted order (the same object when already sorted). */
function sortedTags(tags: Record<string, string>): Record<string, string> {
  const keys = Object.keys(tags);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] > keys[i]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return tags;
  const out: Record<string, string> = {};
  for (const k of keys.sort()) out[k] = tags[k];
  return out;
}

/**
 * Canonical JSON of a telemetry record: `{"ts":…,"source":…,"metric":…,"value":…,"tags":{…}}`,
 * tags sorted by key, no whitespace. Byte-identical to createRecordCodec('telemetry').encodeJson.
 * Throws InputError for a record that is not valid telemetry (e.g. a NaN value).
 */
export function encodeTelemetryJson(t: Telemetry): Buffer {
  const v = checked(t);
  const keys = Object.keys(v.tags).sort();
  let tags = '';
  for (let i = 0; i < keys.length; i++) {
    tags += `${i === 0 ? '' : ','}${JSON.stringify(keys[i])}:${JSON.stringify(v.tags[keys[i]])}`;
  }
  return Buffer.from(
    `{"ts":${v.ts},"source":${JSON.stringify(v.source)},"metric":${JSON.stringify(v.metric)},` +
      `"value":${JSON.stringify(v.value)},"tags":{${tags}}}`,
    'utf8',
  );
}

export interface AvroEncoder<T> {
  readonly schemaId: number;
  /** Confluent-framed Avro of `value`; a fresh buffer each call. Throws InputError for invalid values. */
  encode(value: T): Buffer;
}

/**
 * Confluent-framed Avro encoder for telemetry under a registered schema id (the id the
 * registry gave schemas/telemetry.avsc). Tags are written in sorted key order.
 */
export function createTelemetryAvroEncoder(schemaId: number): AvroEncoder<Telemetry> {
  const type = schemaType('telemetry');
  const header = frameHeader(schemaId);
  // One scratch buffer per encoder, grown on demand: one copy per record, no pool churn.
  let scratch = Buffer.allocUnsafe(1024);
  header.copy(scratch, 0);
  return {
    schemaId,
    encode(t: Telemetry): Buffer {
      const v = checked(t);
      const record = { ts: v.ts, source: v.source, metric: v.metric, value: v.value, tags: sortedTags(v.tags) };
      let end = type.encode(record, scratch, HEADER_SIZE);
      if (end < 0) {
        // avsc returns minus the number of missing bytes.
        const next = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
        header.copy(next, 0);
        scratch = next;
        end = type.encode(record, scratch, HEADER_SIZE);
      }
      const out = Buffer.allocUnsafe(end);
      scratch.copy(out, 0, 0, end);
      return out;
    },
  };
}
