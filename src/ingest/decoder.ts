/**
 * One entry point for every record format homeostat reads from the telemetry topic:
 * homeostat's own (Confluent Avro or JSON, one sample per record), OTLP metrics (protobuf
 * or JSON, as the OpenTelemetry Collector's Kafka exporter writes them) and InfluxDB line
 * protocol (Telegraf's Kafka output). One foreign record carries many samples, so a
 * decode returns Telemetry[]; bad input comes back as a value (`status: 'invalid'`) with
 * an InputError for the DLQ, never as an exception.
 *
 * `auto` detection, per record (docs/ingest.md):
 *   0x00 first                      → homeostat Avro (Confluent framing)
 *   `{` first (after whitespace)    → OTLP JSON when the object's first key is "resourceMetrics"
 *                                     (or homeostat JSON fails and it has that key), else homeostat JSON
 *   0x0A first                      → OTLP protobuf (field 1, resource_metrics); if that fails
 *                                     and the value is UTF-8 text, line protocol
 *   other text                      → line protocol
 */
import { isUtf8 } from 'node:buffer';
import { createTelemetryDecoder, type TelemetryLimits } from '../codec';
import { InputError } from '../errors';
import type { Telemetry } from '../model/telemetry';
import { createCumulativeTracker, type CumulativeTracker } from './cumulative';
import { looksLikeLineProtocol, mapInfluxPoints, parseLineProtocol } from './influx';
import { decodeOtlpJson } from './otlp-json';
import { mapOtlp } from './otlp-map';
import { decodeOtlpProto } from './otlp-proto';
import type { OtlpRequest } from './otlp-model';
import { resolveIngestOptions, type DetectedFormat, type IngestDecoderOptions, type IngestFormat } from './options';

export type IngestResult =
  | { readonly status: 'ok'; readonly values: Telemetry[]; readonly format: DetectedFormat; readonly skipped: number }
  | { readonly status: 'invalid'; readonly error: InputError; readonly format?: DetectedFormat }
  /** homeostat Avro with a schema id not loaded yet: `await loadSchema(schemaId)`, then decode again. */
  | { readonly status: 'schema-miss'; readonly schemaId: number };

export interface IngestContext {
  /** Kafka partition of the record: cumulative OTLP streams are tracked per partition. Default -1. */
  partition?: number;
  /** Kafka record timestamp (ms): the event time of line-protocol lines without one. */
  timestamp?: number;
}

export interface IngestStats {
  /** Record values decoded (ok or invalid). */
  records: number;
  /** Samples returned. */
  samples: number;
  /** Foreign items deliberately not mapped (string fields, staleness markers, cumulative baselines, duplicates). */
  skipped: number;
  /** Records returned as invalid. */
  invalid: number;
  /** Successful records per detected format. */
  byFormat: Record<DetectedFormat, number>;
  /** Cumulative OTLP streams remembered. */
  streams: number;
}

export interface IngestDecoder {
  readonly format: IngestFormat;
  readonly limits: Readonly<TelemetryLimits>;
  /** Synchronous decode; never throws for any input. */
  decodeSync(value: Buffer | null | undefined, context?: IngestContext): IngestResult;
  /**
   * Decode, fetching an unknown homeostat schema id first. Rejects with an InputError for bad
   * input and with a retriable HomeostatError (SCHEMA_REGISTRY) when the registry is unreachable.
   */
  decode(
    value: Buffer | null | undefined,
    context?: IngestContext,
  ): Promise<{ values: Telemetry[]; format: DetectedFormat; skipped: number }>;
  loadSchema(schemaId: number): Promise<void>;
  /** Forget cumulative OTLP state of partitions this consumer no longer owns (or before re-reading them). */
  forgetPartitions(partitions: readonly number[]): void;
  stats(): IngestStats;
}

const OPEN_BRACE = 0x7b;
const PROTO_FIRST = 0x0a; // tag of field 1 (resource_metrics), wire type 2
const OTLP_JSON_START = /^\s*\{\s*"resourceMetrics"\s*:/;

function firstNonWhitespace(buf: Buffer): number {
  let i = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
  return i;
}

function invalid(error: InputError, format?: DetectedFormat): IngestResult {
  return { status: 'invalid', error, format };
}

/** One decoder per format, each bounded and never throwing. */
interface FormatDecoders {
  homeostat(value: Buffer): IngestResult;
  otlpProto(value: Buffer, context: IngestContext | undefined): IngestResult;
  otlpJson(value: Buffer, context: IngestContext | undefined): IngestResult;
  influx(value: Buffer, context: IngestContext | undefined): IngestResult;
}

/** `auto`: picks the format from the first bytes (and, for JSON, from the first key). */
function sniff(value: Buffer, context: IngestContext | undefined, d: FormatDecoders): IngestResult {
  if (value[0] === 0x00) return d.homeostat(value);
  const start = firstNonWhitespace(value);
  if (start < value.length && value[start] === OPEN_BRACE) {
    if (OTLP_JSON_START.test(value.toString('latin1', start, Math.min(value.length, start + 64))))
      return d.otlpJson(value, context);
    const r = d.homeostat(value);
    if (r.status === 'invalid' && value.includes('"resourceMetrics"')) {
      const otlp = d.otlpJson(value, context);
      if (otlp.status === 'ok') return otlp;
    }
    return r;
  }
  if (value[0] === PROTO_FIRST) {
    const r = d.otlpProto(value, context);
    if (r.status !== 'invalid' || !isUtf8(value) || !looksLikeLineProtocol(value)) return r;
    return d.influx(value, context);
  }
  if (looksLikeLineProtocol(value)) return d.influx(value, context);
  return invalid(
    new InputError(
      'NOT_DECODABLE',
      `value starts with byte 0x${value[0].toString(16).padStart(2, '0')}; ` +
        'expected Confluent-framed Avro (0x00), a JSON object, ' +
        'an OTLP protobuf ExportMetricsServiceRequest (0x0a) or line protocol text',
    ),
  );
}

/** Counters before the first record. */
function zeroStats(): IngestStats {
  return {
    records: 0,
    samples: 0,
    skipped: 0,
    invalid: 0,
    byFormat: { avro: 0, json: 0, otlp_proto: 0, otlp_json: 0, influx: 0 },
    streams: 0,
  };
}

/** Adds one decoded record to the counters (a schema miss is counted when it is decoded again). */
function countResult(stats: IngestStats, r: IngestResult): void {
  if (r.status === 'ok') {
    stats.records++;
    stats.samples += r.values.length;
    stats.skipped += r.skipped;
    stats.byFormat[r.format]++;
  } else if (r.status === 'invalid') {
    stats.records++;
    stats.invalid++;
  }
}

export function createIngestDecoder(options: IngestDecoderOptions = {}): IngestDecoder {
  const o = resolveIngestOptions(options);
  const limits = Object.freeze({ ...o.limits });
  const homeostat = createTelemetryDecoder({ resolver: o.resolver, limits: o.limits, format: 'auto' });
  const tracker: CumulativeTracker | undefined =
    o.otlp.cumulative === 'delta'
      ? createCumulativeTracker({ freshStreamMs: o.otlp.freshStreamMs, maxStreams: o.otlp.maxStreams })
      : undefined;
  const stats = zeroStats();

  const tooLarge = (value: Buffer): InputError | undefined =>
    value.length > o.maxForeignRecordBytes
      ? new InputError(
          'RECORD_TOO_LARGE',
          `value is ${value.length} bytes, ` +
            `the limit for OTLP and line-protocol records (maxForeignRecordBytes) is ${o.maxForeignRecordBytes}`,
        )
      : undefined;

  const fromHomeostat = (value: Buffer): IngestResult => {
    const r = homeostat.decodeSync(value);
    if (r.status === 'ok') return { status: 'ok', values: [r.value], format: r.format, skipped: 0 };
    return r;
  };

  const fromOtlp = (
    req: OtlpRequest | InputError,
    format: 'otlp_proto' | 'otlp_json',
    context: IngestContext | undefined,
  ): IngestResult => {
    if (req instanceof InputError) return invalid(req, format);
    const mapped = mapOtlp(req, { options: o, tracker, partition: context?.partition ?? -1 });
    if (mapped instanceof InputError) return invalid(mapped, format);
    return { status: 'ok', values: mapped.values, format, skipped: mapped.skipped };
  };

  const otlpProto = (value: Buffer, context: IngestContext | undefined): IngestResult =>
    fromOtlp(tooLarge(value) ?? decodeOtlpProto(value), 'otlp_proto', context);
  const otlpJson = (value: Buffer, context: IngestContext | undefined): IngestResult =>
    fromOtlp(tooLarge(value) ?? decodeOtlpJson(value), 'otlp_json', context);

  const influx = (value: Buffer, context: IngestContext | undefined): IngestResult => {
    const big = tooLarge(value);
    if (big) return invalid(big, 'influx');
    if (!isUtf8(value))
      return invalid(
        new InputError('INVALID_UTF8', `line protocol must be UTF-8 text; the value (${value.length} bytes) is not`),
        'influx',
      );
    const points = parseLineProtocol(value.toString('utf8'));
    if (points instanceof InputError) return invalid(points, 'influx');
    const mapped = mapInfluxPoints(points, o.influx, o.limits, o.maxSamplesPerRecord, context?.timestamp);
    if (mapped instanceof InputError) return invalid(mapped, 'influx');
    return { status: 'ok', values: mapped.values, format: 'influx', skipped: mapped.skipped };
  };

  const decoders: FormatDecoders = { homeostat: fromHomeostat, otlpProto, otlpJson, influx };

  const decodeSync = (value: Buffer | null | undefined, context?: IngestContext): IngestResult => {
    let r: IngestResult;
    if (value === null || value === undefined || value.length === 0) {
      r = invalid(
        new InputError(
          'NOT_DECODABLE',
          value === null || value === undefined ? 'value is null (a tombstone)' : 'value is empty',
        ),
      );
    } else {
      try {
        switch (o.format) {
          case 'homeostat':
            r = fromHomeostat(value);
            break;
          case 'otlp_proto':
            r = otlpProto(value, context);
            break;
          case 'otlp_json':
            r = otlpJson(value, context);
            break;
          case 'influx':
            r = influx(value, context);
            break;
          default:
            r = sniff(value, context, decoders);
        }
      } catch (err) {
        // Every parser returns errors as values; this keeps the "never throws" promise if one slips.
        r = invalid(
          new InputError('NOT_DECODABLE', `value could not be decoded: ${(err as Error).message}`, { cause: err }),
        );
      }
    }
    countResult(stats, r);
    return r;
  };

  return {
    format: o.format,
    limits,
    decodeSync,
    async decode(value, context) {
      let r = decodeSync(value, context);
      if (r.status === 'schema-miss') {
        await homeostat.loadSchema(r.schemaId);
        r = decodeSync(value, context);
      }
      if (r.status === 'ok') return { values: r.values, format: r.format, skipped: r.skipped };
      if (r.status === 'invalid') throw r.error;
      throw new InputError('UNKNOWN_SCHEMA_ID', `schema id ${r.schemaId} could not be loaded`);
    },
    loadSchema: (id) => homeostat.loadSchema(id),
    forgetPartitions: (partitions) => tracker?.forgetPartitions(partitions),
    stats: () => ({ ...stats, byFormat: { ...stats.byFormat }, streams: tracker?.size() ?? 0 }),
  };
}
