/**
 * The part of an OTLP ExportMetricsServiceRequest that ingest uses, as plain data. Both
 * the protobuf and the JSON decoders produce it; the mapper turns it into telemetry.
 * https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/metrics/v1/metrics.proto
 *
 * Times are epoch milliseconds (floor of the nanoseconds; 0 = unset). Attribute values
 * are already strings (see anyValueToString). Counts are safe integers.
 */

/** [key, value] in the order they came. */
export type Attribute = readonly [string, string];

export interface OtlpRequest {
  resourceMetrics: OtlpResourceMetrics[];
}

export interface OtlpResourceMetrics {
  attributes: Attribute[];
  scopeMetrics: OtlpScopeMetrics[];
}

export interface OtlpScopeMetrics {
  scopeName: string;
  metrics: OtlpMetric[];
}

/** AggregationTemporality: 0 unspecified (invalid), 1 delta, 2 cumulative. */
export type Temporality = number;
export const TEMPORALITY_DELTA = 1;
export const TEMPORALITY_CUMULATIVE = 2;

/** DataPointFlags.FLAG_NO_RECORDED_VALUE: a staleness marker, not a value. */
export const FLAG_NO_RECORDED_VALUE = 1;

export interface PointBase {
  attributes: Attribute[];
  startMs: number;
  timeMs: number;
  flags: number;
}

export interface NumberPoint extends PointBase {
  /** undefined when neither as_double nor as_int is set. */
  value: number | undefined;
}

export interface HistogramPoint extends PointBase {
  count: number;
  sum: number | undefined;
  bucketCounts: number[];
  explicitBounds: number[];
  min: number | undefined;
  max: number | undefined;
}

export interface ExpBuckets {
  offset: number;
  counts: number[];
}

export interface ExpHistogramPoint extends PointBase {
  count: number;
  sum: number | undefined;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: ExpBuckets;
  negative: ExpBuckets;
  min: number | undefined;
  max: number | undefined;
}

export interface SummaryPoint extends PointBase {
  count: number;
  sum: number;
  quantiles: { quantile: number; value: number }[];
}

export type OtlpData =
  | { kind: 'gauge'; points: NumberPoint[] }
  | { kind: 'sum'; temporality: Temporality; monotonic: boolean; points: NumberPoint[] }
  | { kind: 'histogram'; temporality: Temporality; points: HistogramPoint[] }
  | { kind: 'exponentialHistogram'; temporality: Temporality; points: ExpHistogramPoint[] }
  | { kind: 'summary'; points: SummaryPoint[] };

export interface OtlpMetric {
  name: string;
  unit: string;
  /** undefined: the metric has no data field (or one this reader does not know). */
  data: OtlpData | undefined;
}

export function emptyBuckets(): ExpBuckets {
  return { offset: 0, counts: [] };
}
