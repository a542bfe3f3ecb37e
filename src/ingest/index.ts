/** Public surface of ingest: foreign record formats (OTLP metrics, line protocol) → telemetry samples. */
export {
  createIngestDecoder,
  type IngestContext,
  type IngestDecoder,
  type IngestResult,
  type IngestStats,
} from './decoder';
export {
  DEFAULT_INFLUX_OPTIONS,
  DEFAULT_MAX_SAMPLES_PER_RECORD,
  DEFAULT_OTLP_OPTIONS,
  DEFAULT_RESOURCE_TAGS,
  resolveIngestOptions,
  type DetectedFormat,
  type InfluxIngestOptions,
  type InfluxPrecision,
  type IngestDecoderOptions,
  type IngestFormat,
  type OtlpIngestOptions,
} from './options';
export { decodeOtlpProto } from './otlp-proto';
export { decodeOtlpJson, otlpFromJson } from './otlp-json';
export { mapOtlp, tagKey, percentileSuffix, type MapResult } from './otlp-map';
export { parseLineProtocol, mapInfluxPoints, timestampToMs, type InfluxPoint, type FieldValue } from './influx';
export { expandBuckets, explicitBuckets, exponentialBuckets, interpolate, type Bucket } from './histogram-expand';
export { createCumulativeTracker, type CumulativeTracker } from './cumulative';
export type * from './otlp-model';
