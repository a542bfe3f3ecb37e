/**
 * Ingest decoder options: the public types, every default, and the checks run at
 * construction (ConfigError naming the key, the value and the fix).
 */
import { resolveTelemetryLimits, type SchemaLookup, type TelemetryLimits } from '../codec';
import { ConfigError } from '../errors';

/** Record encodings the ingest decoder reads. `auto` detects per record (see docs/ingest.md). */
export type IngestFormat = 'auto' | 'homeostat' | 'otlp_proto' | 'otlp_json' | 'influx';
/** The encoding a record turned out to be. */
export type DetectedFormat = 'avro' | 'json' | 'otlp_proto' | 'otlp_json' | 'influx';
export type InfluxPrecision = 'ns' | 'us' | 'ms' | 's';

export interface OtlpIngestOptions {
  /** Resource attributes whose value becomes `source`; the first present wins. Default service.instance.id, host.name, service.name. */
  sourceAttributes: readonly string[];
  /** `source` when none of sourceAttributes is present. Default `otlp`. */
  defaultSource: string;
  /** Resource attribute → tag name; resource attributes not listed are dropped. Default DEFAULT_RESOURCE_TAGS. */
  resourceTags: Readonly<Record<string, string>>;
  /**
   * `delta` (default): monotonic cumulative sums, histograms and summary count/sum become
   * the increase since the stream's previous point (see cumulative.ts). `as-is`: emitted
   * unchanged (only sensible when every producer uses delta temporality).
   */
  cumulative: 'delta' | 'as-is';
  /** A cumulative stream's first point is emitted whole when it covers at most this much since its start. Default 120 000 ms. */
  freshStreamMs: number;
  /** Cumulative streams remembered (LRU). Default 100 000. */
  maxStreams: number;
  /** Samples one histogram point expands to at most; above it, evenly spaced ranks. Default 4 096. */
  maxSamplesPerPoint: number;
  /** Also emit `<metric>.count` and `<metric>.sum` samples for histograms and summaries. Default true. */
  histogramCompanions: boolean;
}

export interface InfluxIngestOptions {
  /** Unit of line timestamps. Default `ns` (Telegraf's default). */
  precision: InfluxPrecision;
  /** Tags whose value becomes `source` (and leaves the tags); the first present wins. Default source, host. */
  sourceTags: readonly string[];
  /** `source` when none of sourceTags is present; unset (default) makes such a line an InputError. */
  defaultSource: string | undefined;
}

export interface IngestDecoderOptions {
  /** Default `auto`. */
  format?: IngestFormat;
  /** Telemetry limits every produced sample is validated against (unset keys: DEFAULT_TELEMETRY_LIMITS). */
  limits?: Partial<TelemetryLimits>;
  /** Writer schemas for homeostat's Avro records. */
  resolver?: SchemaLookup;
  /** Largest OTLP or line-protocol record value, bytes. Default 8 MiB (homeostat records keep limits.maxRecordBytes). */
  maxForeignRecordBytes?: number;
  /**
   * Most samples one record may map to; histogram points share it out (at least 16 each), and a
   * record that still needs more is refused whole (RECORD_TOO_LARGE). Default 20 000
   * (DEFAULT_MAX_SAMPLES_PER_RECORD): a ~1.5 KB record of 24 histogram points could otherwise
   * expand to ~98k samples.
   */
  maxSamplesPerRecord?: number;
  otlp?: Partial<OtlpIngestOptions>;
  influx?: Partial<InfluxIngestOptions>;
}

export interface ResolvedIngestOptions {
  format: IngestFormat;
  limits: TelemetryLimits;
  resolver: SchemaLookup | undefined;
  maxForeignRecordBytes: number;
  maxSamplesPerRecord: number;
  otlp: OtlpIngestOptions;
  influx: InfluxIngestOptions;
}

/**
 * Resource attributes kept as tags, after OpenTelemetry's semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/resource/). `service.name` → `service` is
 * the one the built-in policies group by; the rest name where a sample came from.
 */
export const DEFAULT_RESOURCE_TAGS: Readonly<Record<string, string>> = Object.freeze({
  'service.name': 'service',
  'service.namespace': 'service_namespace',
  'service.version': 'service_version',
  'deployment.environment.name': 'env',
  'deployment.environment': 'env',
  'host.name': 'host',
  'k8s.namespace.name': 'k8s_namespace',
  'k8s.pod.name': 'k8s_pod',
  'cloud.region': 'region',
  'cloud.availability_zone': 'zone',
});

export const DEFAULT_OTLP_OPTIONS: Readonly<OtlpIngestOptions> = Object.freeze({
  sourceAttributes: Object.freeze(['service.instance.id', 'host.name', 'service.name']),
  defaultSource: 'otlp',
  resourceTags: DEFAULT_RESOURCE_TAGS,
  cumulative: 'delta',
  freshStreamMs: 120_000,
  maxStreams: 100_000,
  maxSamplesPerPoint: 4096,
  histogramCompanions: true,
});

export const DEFAULT_INFLUX_OPTIONS: Readonly<InfluxIngestOptions> = Object.freeze({
  precision: 'ns',
  sourceTags: Object.freeze(['source', 'host']),
  defaultSource: undefined,
});

/** Samples one foreign record may map to by default (config `ingest.maxSamplesPerRecord`). */
export const DEFAULT_MAX_SAMPLES_PER_RECORD = 20_000;

const FORMATS: readonly IngestFormat[] = ['auto', 'homeostat', 'otlp_proto', 'otlp_json', 'influx'];
const PRECISIONS: readonly InfluxPrecision[] = ['ns', 'us', 'ms', 's'];
/** Histogram points keep at least this many samples when a record's budget is shared out. */
export const MIN_SAMPLES_PER_POINT = 16;

function posInt(v: number, key: string, dflt: number, issues: string[]): void {
  if (!Number.isSafeInteger(v) || v < 1)
    issues.push(`${key} must be a positive integer, got ${String(v)}; the default is ${dflt}`);
}

export function resolveIngestOptions(o: IngestDecoderOptions = {}): ResolvedIngestOptions {
  const issues: string[] = [];
  const format = o.format ?? 'auto';
  if (!FORMATS.includes(format))
    issues.push(`format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  const otlp: OtlpIngestOptions = { ...DEFAULT_OTLP_OPTIONS, ...stripUndefined(o.otlp ?? {}) };
  const influx: InfluxIngestOptions = { ...DEFAULT_INFLUX_OPTIONS, ...stripUndefined(o.influx ?? {}) };
  const maxForeignRecordBytes = o.maxForeignRecordBytes ?? 8 * 1024 * 1024;
  const maxSamplesPerRecord = o.maxSamplesPerRecord ?? DEFAULT_MAX_SAMPLES_PER_RECORD;
  posInt(maxForeignRecordBytes, 'maxForeignRecordBytes', 8 * 1024 * 1024, issues);
  posInt(maxSamplesPerRecord, 'maxSamplesPerRecord', DEFAULT_MAX_SAMPLES_PER_RECORD, issues);
  posInt(otlp.maxStreams, 'otlp.maxStreams', DEFAULT_OTLP_OPTIONS.maxStreams, issues);
  posInt(otlp.maxSamplesPerPoint, 'otlp.maxSamplesPerPoint', DEFAULT_OTLP_OPTIONS.maxSamplesPerPoint, issues);
  if (Number.isSafeInteger(otlp.maxSamplesPerPoint) && otlp.maxSamplesPerPoint < MIN_SAMPLES_PER_POINT) {
    issues.push(
      `otlp.maxSamplesPerPoint must be at least ${MIN_SAMPLES_PER_POINT} ` +
        `(fewer samples cannot carry a p99), got ${otlp.maxSamplesPerPoint}`,
    );
  }
  if (!(otlp.freshStreamMs >= 0))
    issues.push(
      `otlp.freshStreamMs must be ≥ 0 ms, got ${String(otlp.freshStreamMs)}; 0 makes every first cumulative point a baseline`,
    );
  if (otlp.cumulative !== 'delta' && otlp.cumulative !== 'as-is')
    issues.push(`otlp.cumulative must be 'delta' or 'as-is', got ${JSON.stringify(otlp.cumulative)}`);
  if (otlp.defaultSource === '')
    issues.push('otlp.defaultSource must be a non-empty string (it becomes the Kafka key and the series source)');
  for (const [attr, tag] of Object.entries(otlp.resourceTags)) {
    if (typeof tag !== 'string' || tag === '' || tag === '__proto__')
      issues.push(`otlp.resourceTags[${JSON.stringify(attr)}] must name a tag, got ${JSON.stringify(tag)}`);
  }
  if (!PRECISIONS.includes(influx.precision))
    issues.push(`influx.precision must be one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(influx.precision)}`);
  if (influx.defaultSource === '') issues.push('influx.defaultSource must be a non-empty string or unset');
  let limits: TelemetryLimits | undefined;
  try {
    limits = resolveTelemetryLimits(o.limits, 'limits');
  } catch (err) {
    if (err instanceof ConfigError) issues.push(...err.issues);
    else throw err;
  }
  if (issues.length > 0 || limits === undefined) throw new ConfigError(issues);
  return { format, limits, resolver: o.resolver, maxForeignRecordBytes, maxSamplesPerRecord, otlp, influx };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o) as [keyof T, T[keyof T]][]) if (v !== undefined) out[k] = v;
  return out;
}
