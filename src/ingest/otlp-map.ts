/**
 * OTLP metrics → telemetry samples (mapping table in docs/ingest.md):
 * - gauge points, non-monotonic sums (levels, e.g. an UpDownCounter's queue depth) and
 *   delta sums: one sample each, value as is;
 * - monotonic cumulative sums: the increase since the stream's previous point (cumulative.ts);
 * - histograms and exponential histograms (delta, or cumulative turned into deltas): samples
 *   that keep the bucket distribution (histogram-expand.ts), plus `<metric>.count` and
 *   `<metric>.sum` samples with the exact count and sum;
 * - summaries: `<metric>.count`, `<metric>.sum` and one `<metric>.p<percent>` per quantile.
 * Names are kept as is. Resource attributes give `source` and a few tags (options.ts), point
 * attributes become tags with every character outside [A-Za-z0-9_] replaced by `_`.
 *
 * A record maps whole or not at all: the first point that cannot be mapped makes the
 * record an InputError naming where it is, so the DLQ holds the record as it arrived.
 */
import { validateTelemetry } from '../codec';
import { InputError } from '../errors';
import type { Telemetry } from '../model/telemetry';
import type { CumulativeTracker, DeltaResult } from './cumulative';
import { expandBuckets, explicitBuckets, exponentialBuckets } from './histogram-expand';
import {
  FLAG_NO_RECORDED_VALUE,
  TEMPORALITY_CUMULATIVE,
  TEMPORALITY_DELTA,
  type Attribute,
  type ExpHistogramPoint,
  type HistogramPoint,
  type NumberPoint,
  type OtlpData,
  type OtlpMetric,
  type OtlpRequest,
  type PointBase,
  type SummaryPoint,
} from './otlp-model';
import { MIN_SAMPLES_PER_POINT, type ResolvedIngestOptions } from './options';

export interface MapResult {
  values: Telemetry[];
  /** Foreign items deliberately not mapped: staleness markers, cumulative baselines, duplicates, metrics of unknown type. */
  skipped: number;
}

export interface MapContext {
  options: ResolvedIngestOptions;
  /** undefined: `cumulative: 'as-is'`. */
  tracker: CumulativeTracker | undefined;
  /** Kafka partition of the record (keys cumulative streams), -1 when unknown. */
  partition: number;
}

/** Point attribute key → tag key: `http.route` → `http_route`. */
export function tagKey(key: string): string {
  return key.replace(/[^A-Za-z0-9_]/g, '_');
}

function located(err: InputError, path: string): InputError {
  return new InputError(err.code, `OTLP ${path}: ${err.message}`, { field: err.field, cause: err.cause });
}

function invalid(path: string, message: string): InputError {
  return new InputError('INVALID_FIELD', `OTLP ${path}: ${message}`);
}

function attrsKey(attrs: readonly Attribute[]): string {
  if (attrs.length === 0) return '';
  return attrs
    .map(([k, v]) => `${k}\u0001${v}`)
    .sort()
    .join('\u0002');
}

/** `.p50`, `.p99`, `.p999` (0.999 → 99.9 → "999"): the names the signals use for their quantiles. */
export function percentileSuffix(q: number): string {
  const pct = Math.round(q * 1e6) / 1e4;
  return `.p${String(pct).replace('.', '')}`;
}

function histogramPoints(m: OtlpMetric): number {
  const d = m.data;
  return d !== undefined && (d.kind === 'histogram' || d.kind === 'exponentialHistogram') ? d.points.length : 0;
}

function scalarPoints(m: OtlpMetric): number {
  const d = m.data;
  if (d === undefined) return 0;
  if (d.kind === 'gauge' || d.kind === 'sum') return d.points.length;
  if (d.kind === 'summary') return d.points.reduce((n, p) => n + 2 + p.quantiles.length, 0);
  return d.points.length * 2; // companions
}

export function mapOtlp(req: OtlpRequest, ctx: MapContext): MapResult | InputError {
  const perPoint = samplesPerHistogramPoint(req, ctx.options);
  if (perPoint instanceof InputError) return perPoint;
  const mapper = new RecordMapper(ctx, perPoint);
  try {
    req.resourceMetrics.forEach((rm, ri) => mapper.resource(rm, ri));
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  return { values: mapper.out, skipped: mapper.skipped };
}

/** Shares the record's sample budget out among its histogram points; an InputError when it cannot be met. */
function samplesPerHistogramPoint(req: OtlpRequest, options: ResolvedIngestOptions): number | InputError {
  const { otlp, maxSamplesPerRecord } = options;
  let histograms = 0;
  let scalars = 0;
  for (const rm of req.resourceMetrics) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        histograms += histogramPoints(m);
        scalars += scalarPoints(m);
      }
    }
  }
  const perPoint =
    histograms === 0
      ? otlp.maxSamplesPerPoint
      : Math.min(otlp.maxSamplesPerPoint, Math.floor((maxSamplesPerRecord - scalars) / histograms));
  if (scalars > maxSamplesPerRecord || perPoint < MIN_SAMPLES_PER_POINT) {
    return new InputError(
      'RECORD_TOO_LARGE',
      `OTLP record has ${scalars} scalar samples and ${histograms} histogram points: ` +
        `more than maxSamplesPerRecord (${maxSamplesPerRecord}) allows at ${MIN_SAMPLES_PER_POINT} samples per histogram; ` +
        "lower the exporter's batch size or raise maxSamplesPerRecord",
    );
  }
  return perPoint;
}

type ResourceMetrics = OtlpRequest['resourceMetrics'][number];
type Data<K extends OtlpData['kind']> = Extract<OtlpData, { kind: K }>;

/** The metric being mapped: its name, and how its points get their stream key and tags. */
interface MetricScope {
  name: string;
  streamKey(p: PointBase): string;
  tagsOf(p: PointBase): Record<string, string>;
}

/** Throws unless the temporality is delta or cumulative. */
function checkTemporality(temporality: number, path: string): void {
  if (temporality !== TEMPORALITY_DELTA && temporality !== TEMPORALITY_CUMULATIVE) {
    throw invalid(path, `aggregation temporality ${temporality} is not delta (1) or cumulative (2)`);
  }
}

/**
 * Maps one record's points into `out`, counting what it skips. Throws an InputError at the
 * first point that cannot be mapped (mapOtlp turns it into the record's error).
 */
class RecordMapper {
  readonly out: Telemetry[] = [];
  skipped = 0;
  private source = '';

  constructor(
    private readonly ctx: MapContext,
    private readonly perPoint: number,
  ) {}

  /** One resource: its source and tags, then every metric of every scope. */
  resource(rm: ResourceMetrics, ri: number): void {
    const { otlp } = this.ctx.options;
    // Source: the first of sourceAttributes present; that attribute is not also a tag.
    let sourceAttr: string | undefined;
    this.source = otlp.defaultSource;
    for (const name of otlp.sourceAttributes) {
      const hit = rm.attributes.find(([k, v]) => k === name && v !== '');
      if (hit) {
        this.source = hit[1];
        sourceAttr = name;
        break;
      }
    }
    const resourceTags: Record<string, string> = {};
    for (const [k, v] of rm.attributes) {
      if (k !== sourceAttr && Object.hasOwn(otlp.resourceTags, k)) resourceTags[otlp.resourceTags[k]] = v;
    }
    const resourceKey = attrsKey(rm.attributes);
    rm.scopeMetrics.forEach((sm, si) => {
      sm.metrics.forEach((m, mi) => {
        const mpath = `resourceMetrics[${ri}].scopeMetrics[${si}].metrics[${mi}] (${m.name || 'unnamed'})`;
        if (m.name === '') throw invalid(mpath, 'metric name is empty');
        const d = m.data;
        if (d === undefined) {
          this.skipped++;
          return;
        }
        const name = m.name;
        const partition = this.ctx.partition;
        this.metric(d, mpath, {
          name,
          streamKey: (p) =>
            `${partition}\u0000${resourceKey}\u0000${sm.scopeName}\u0000${name}\u0000${attrsKey(p.attributes)}`,
          tagsOf: (p) => {
            const tags: Record<string, string> = { ...resourceTags };
            for (const [k, v] of p.attributes) {
              const key = tagKey(k);
              if (key !== '' && key !== '__proto__') tags[key] = v;
            }
            return tags;
          },
        });
      });
    });
  }

  /** Every point of one metric but staleness markers. */
  private metric(d: OtlpData, mpath: string, scope: MetricScope): void {
    d.points.forEach((p, pi) => {
      const path = `${mpath}.dataPoints[${pi}]`;
      if ((p.flags & FLAG_NO_RECORDED_VALUE) !== 0) {
        this.skipped++;
        return;
      }
      const tags = scope.tagsOf(p);
      switch (d.kind) {
        case 'gauge':
        case 'sum':
          return this.numberPoint(d, d.points[pi], scope, tags, path);
        case 'histogram': {
          checkTemporality(d.temporality, path);
          const hp = this.histogramDelta(d.temporality, d.points[pi], scope, (t, k, h) => t.histogram(k, h));
          if (hp !== undefined) this.emitHistogram(scope.name, hp, tags, path);
          return;
        }
        case 'exponentialHistogram': {
          checkTemporality(d.temporality, path);
          const ep = this.histogramDelta(d.temporality, d.points[pi], scope, (t, k, h) => t.exponential(k, h));
          if (ep !== undefined) this.emitExponential(scope.name, ep, tags, path);
          return;
        }
        case 'summary':
          return this.summaryPoint(d.points[pi], scope, tags, path);
      }
    });
  }

  /** A gauge or sum point: its value, or a monotonic cumulative sum's increase. */
  private numberPoint(
    d: Data<'gauge' | 'sum'>,
    np: NumberPoint,
    scope: MetricScope,
    tags: Record<string, string>,
    path: string,
  ): void {
    if (np.value === undefined) throw invalid(path, 'the point has neither asDouble nor asInt');
    let value: number | undefined = np.value;
    const tracker = this.ctx.tracker;
    if (d.kind === 'sum') {
      checkTemporality(d.temporality, path);
      if (d.temporality === TEMPORALITY_CUMULATIVE && d.monotonic && tracker)
        value = this.take(tracker.sum(scope.streamKey(np), np.startMs, np.timeMs, np.value));
    }
    if (value !== undefined) this.push(scope.name, np.timeMs, [value], tags, path);
  }

  /** A histogram point of either kind as a delta: as is, or turned from cumulative by the tracker (undefined: none yet). */
  private histogramDelta<P extends PointBase>(
    temporality: number,
    point: P,
    scope: MetricScope,
    delta: (tracker: CumulativeTracker, key: string, p: P) => DeltaResult<P>,
  ): P | undefined {
    const tracker = this.ctx.tracker;
    const cumulative = temporality === TEMPORALITY_CUMULATIVE && tracker !== undefined;
    return cumulative ? this.take(delta(tracker, scope.streamKey(point), point)) : point;
  }

  /** A summary point: count and sum (as increases when tracked) and one sample per quantile. */
  private summaryPoint(sp: SummaryPoint, scope: MetricScope, tags: Record<string, string>, path: string): void {
    const { tracker, options } = this.ctx;
    const name = scope.name;
    const key = scope.streamKey(sp);
    // Summary count and sum are cumulative by definition (metrics.proto, SummaryDataPoint).
    const count = tracker ? this.take(tracker.sum(`${key}\u0000count`, sp.startMs, sp.timeMs, sp.count)) : sp.count;
    const sum = tracker ? this.take(tracker.sum(`${key}\u0000sum`, sp.startMs, sp.timeMs, sp.sum)) : sp.sum;
    if (options.otlp.histogramCompanions) {
      if (count !== undefined) this.push(`${name}.count`, sp.timeMs, [count], tags, path);
      if (sum !== undefined) this.push(`${name}.sum`, sp.timeMs, [sum], tags, path);
    }
    for (const q of sp.quantiles) {
      if (!(q.quantile >= 0 && q.quantile <= 1)) throw invalid(path, `quantile ${q.quantile} is outside [0, 1]`);
      this.push(`${name}${percentileSuffix(q.quantile)}`, sp.timeMs, [q.value], tags, path);
    }
  }

  /** What a cumulative tracker emits; a baseline or duplicate is counted as skipped. */
  private take<T>(r: DeltaResult<T>): T | undefined {
    if ('emit' in r) return r.emit;
    this.skipped++;
    return undefined;
  }

  /** Appends samples sharing metric, time and tags, within the record's sample limit. */
  private push(
    metric: string,
    ts: number,
    values: readonly number[],
    tags: Record<string, string>,
    path: string,
  ): void {
    if (values.length === 0) return;
    const { limits, maxSamplesPerRecord } = this.ctx.options;
    const out = this.out;
    if (out.length + values.length > maxSamplesPerRecord) {
      throw new InputError(
        'RECORD_TOO_LARGE',
        `OTLP ${path}: the record maps to more than maxSamplesPerRecord (${maxSamplesPerRecord}) samples`,
      );
    }
    const first = validateTelemetry({ ts, source: this.source, metric, value: values[0], tags }, limits);
    if (first instanceof InputError) throw located(first, path);
    out.push(first);
    for (let i = 1; i < values.length; i++) {
      const value = values[i];
      if (!Number.isFinite(value))
        throw new InputError('NON_FINITE_VALUE', `OTLP ${path}: value ${value} is not finite`, { field: 'value' });
      out.push({ ts: first.ts, source: first.source, metric: first.metric, value, tags: first.tags });
    }
  }

  /** `<metric>.count` and `<metric>.sum`, when histogram companions are on. */
  private companions(
    name: string,
    ts: number,
    count: number,
    sum: number | undefined,
    tags: Record<string, string>,
    path: string,
  ): void {
    if (!this.ctx.options.otlp.histogramCompanions) return;
    this.push(`${name}.count`, ts, [count], tags, path);
    if (sum !== undefined) this.push(`${name}.sum`, ts, [sum], tags, path);
  }

  /** Samples that keep an explicit-bucket distribution, then its companions. */
  private emitHistogram(name: string, p: HistogramPoint, tags: Record<string, string>, path: string): void {
    const b = p.explicitBounds;
    for (let i = 0; i < b.length; i++) {
      if (!Number.isFinite(b[i]) || (i > 0 && !(b[i] > b[i - 1])))
        throw invalid(path, `explicitBounds must be finite and strictly increasing (index ${i}: ${b[i]})`);
    }
    if (p.bucketCounts.length > 0) {
      if (p.bucketCounts.length !== b.length + 1) {
        throw invalid(
          path,
          `${p.bucketCounts.length} bucket counts for ${b.length} bounds; a histogram has one more count than bounds`,
        );
      }
      const total = p.bucketCounts.reduce((s, n) => s + n, 0);
      if (total !== p.count) throw invalid(path, `bucket counts add up to ${total}, but count is ${p.count}`);
      this.push(
        name,
        p.timeMs,
        expandBuckets(explicitBuckets(b, p.bucketCounts, p.min, p.max), total, this.perPoint, p.min, p.max),
        tags,
        path,
      );
    }
    this.companions(name, p.timeMs, p.count, p.sum, tags, path);
  }

  /** Samples that keep an exponential distribution, then its companions. */
  private emitExponential(name: string, p: ExpHistogramPoint, tags: Record<string, string>, path: string): void {
    if (!Number.isInteger(p.scale) || p.scale < -10 || p.scale > 20)
      throw invalid(path, `scale ${p.scale} is outside [-10, 20]`);
    let total = p.zeroCount;
    for (const n of p.positive.counts) total += n;
    for (const n of p.negative.counts) total += n;
    if (total !== p.count) throw invalid(path, `bucket and zero counts add up to ${total}, but count is ${p.count}`);
    const buckets = exponentialBuckets(p.scale, p.zeroCount, p.positive, p.negative, p.min, p.max);
    if (buckets === undefined)
      throw invalid(
        path,
        `a non-empty bucket's bound overflows a double (scale ${p.scale}, offsets ${p.positive.offset}/${p.negative.offset})`,
      );
    this.push(name, p.timeMs, expandBuckets(buckets, total, this.perPoint, p.min, p.max), tags, path);
    this.companions(name, p.timeMs, p.count, p.sum, tags, path);
  }
}
