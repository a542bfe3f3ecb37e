/**
 * Cumulative → delta for OTLP streams. homeostat's windows sum samples, so a monotonic
 * counter or a histogram must arrive as the increase over each export interval; the
 * OpenTelemetry SDKs default to cumulative temporality (totals since the process started).
 *
 * Per stream (partition, resource, scope, metric, point attributes) the tracker keeps the
 * previous point and emits the difference, like the Collector's cumulativetodelta
 * processor and Prometheus's rate():
 * - a new start time, or any count going down, is a reset: the point is emitted whole
 *   (everything in it happened since the new start);
 * - a point not newer than the previous one is a duplicate (redelivery): skipped;
 * - the first point of a stream is emitted whole when it covers at most `freshStreamMs`
 *   since its start (the process's first export) and is otherwise only a baseline,
 *   since its total includes increments this consumer cannot tell from ones already
 *   counted before a restart. The rule uses only the point's own times, so replay decides
 *   exactly as the live run did.
 * Streams are kept in LRU order up to `maxStreams`.
 * https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/processor/cumulativetodeltaprocessor
 */
import type { ExpBuckets, ExpHistogramPoint, HistogramPoint } from './otlp-model';

export interface CumulativeOptions {
  freshStreamMs: number;
  maxStreams: number;
}

type Prev =
  | { kind: 'sum'; startMs: number; timeMs: number; value: number }
  | { kind: 'histogram'; startMs: number; timeMs: number; point: HistogramPoint }
  | { kind: 'exp'; startMs: number; timeMs: number; point: ExpHistogramPoint };

/** `emit`: the delta to map; `skip`: nothing to emit (baseline or duplicate). */
export type DeltaResult<T> = { emit: T } | { skip: 'baseline' | 'duplicate' };

export interface CumulativeTracker {
  sum(key: string, startMs: number, timeMs: number, value: number): DeltaResult<number>;
  histogram(key: string, p: HistogramPoint): DeltaResult<HistogramPoint>;
  exponential(key: string, p: ExpHistogramPoint): DeltaResult<ExpHistogramPoint>;
  /** Drops the streams of these partitions (keys start with `<partition>\u0000`). */
  forgetPartitions(partitions: readonly number[]): void;
  size(): number;
}

export function createCumulativeTracker(options: CumulativeOptions): CumulativeTracker {
  const streams = new Map<string, Prev>();

  const remember = (key: string, prev: Prev): void => {
    streams.delete(key);
    streams.set(key, prev);
    if (streams.size > options.maxStreams) {
      const oldest = streams.keys().next().value;
      if (oldest !== undefined) streams.delete(oldest);
    }
  };

  /** The shared first/duplicate/reset decision; `diff` returns undefined on a reset. */
  const step = <T>(
    key: string,
    kind: Prev['kind'],
    startMs: number,
    timeMs: number,
    whole: T,
    diff: (prev: Prev) => T | undefined,
    store: Prev,
  ): DeltaResult<T> => {
    const prev = streams.get(key);
    if (prev === undefined || prev.kind !== kind) {
      remember(key, store);
      const fresh = startMs > 0 && timeMs >= startMs && timeMs - startMs <= options.freshStreamMs;
      return fresh ? { emit: whole } : { skip: 'baseline' };
    }
    if (timeMs <= prev.timeMs) return { skip: 'duplicate' };
    remember(key, store);
    if (startMs !== prev.startMs) return { emit: whole };
    const d = diff(prev);
    return { emit: d === undefined ? whole : d };
  };

  return {
    sum(key, startMs, timeMs, value) {
      return step(
        key,
        'sum',
        startMs,
        timeMs,
        value,
        (prev) => {
          const d = value - (prev as Extract<Prev, { kind: 'sum' }>).value;
          return d < 0 ? undefined : d;
        },
        { kind: 'sum', startMs, timeMs, value },
      );
    },
    histogram(key, p) {
      return step(
        key,
        'histogram',
        p.startMs,
        p.timeMs,
        p,
        (prev) => diffHistogram((prev as Extract<Prev, { kind: 'histogram' }>).point, p),
        {
          kind: 'histogram',
          startMs: p.startMs,
          timeMs: p.timeMs,
          point: p,
        },
      );
    },
    exponential(key, p) {
      return step(
        key,
        'exp',
        p.startMs,
        p.timeMs,
        p,
        (prev) => diffExponential((prev as Extract<Prev, { kind: 'exp' }>).point, p),
        {
          kind: 'exp',
          startMs: p.startMs,
          timeMs: p.timeMs,
          point: p,
        },
      );
    },
    forgetPartitions(partitions) {
      const prefixes = partitions.map((p) => `${p}\u0000`);
      for (const key of [...streams.keys()]) {
        if (prefixes.some((pre) => key.startsWith(pre))) streams.delete(key);
      }
    },
    size: () => streams.size,
  };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The fields every histogram delta shares: the interval between the two points, its count and sum. */
function intervalOf<P extends HistogramPoint | ExpHistogramPoint>(
  prev: P,
  cur: P,
  count: number,
): Pick<P, 'attributes' | 'startMs' | 'timeMs' | 'flags' | 'count' | 'sum'> {
  return {
    attributes: cur.attributes,
    startMs: prev.timeMs,
    timeMs: cur.timeMs,
    flags: cur.flags,
    count,
    sum: cur.sum !== undefined && prev.sum !== undefined ? cur.sum - prev.sum : undefined,
  };
}

/** cur − prev, or undefined when the layouts differ or a count went down (a reset). */
export function diffHistogram(prev: HistogramPoint, cur: HistogramPoint): HistogramPoint | undefined {
  if (!sameBounds(prev.explicitBounds, cur.explicitBounds) || prev.bucketCounts.length !== cur.bucketCounts.length)
    return undefined;
  const count = cur.count - prev.count;
  if (count < 0) return undefined;
  const bucketCounts: number[] = [];
  for (let i = 0; i < cur.bucketCounts.length; i++) {
    const d = cur.bucketCounts[i] - prev.bucketCounts[i];
    if (d < 0) return undefined;
    bucketCounts.push(d);
  }
  return {
    ...intervalOf(prev, cur, count),
    bucketCounts,
    explicitBounds: cur.explicitBounds,
    // Cumulative min/max cover the whole stream, not this interval.
    min: undefined,
    max: undefined,
  };
}

/** Buckets re-indexed to a coarser scale: index i at scale s is index floor(i / 2^(s - to)) at `to`. */
function downscale(b: ExpBuckets, by: number): Map<number, number> {
  const out = new Map<number, number>();
  const f = Math.pow(2, by);
  for (let k = 0; k < b.counts.length; k++) {
    if (b.counts[k] === 0) continue;
    const i = Math.floor((b.offset + k) / f);
    out.set(i, (out.get(i) ?? 0) + b.counts[k]);
  }
  return out;
}

function subtract(cur: Map<number, number>, prev: Map<number, number>): ExpBuckets | undefined {
  for (const [i, n] of prev) if ((cur.get(i) ?? 0) < n) return undefined;
  if (cur.size === 0) return { offset: 0, counts: [] };
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of cur.keys()) {
    if (i < lo) lo = i;
    if (i > hi) hi = i;
  }
  const counts = new Array<number>(hi - lo + 1).fill(0);
  for (const [i, n] of cur) counts[i - lo] = n - (prev.get(i) ?? 0);
  return { offset: lo, counts };
}

/** cur − prev at cur's scale (the SDK only ever lowers a stream's scale), or undefined on a reset. */
export function diffExponential(prev: ExpHistogramPoint, cur: ExpHistogramPoint): ExpHistogramPoint | undefined {
  if (cur.scale > prev.scale) return undefined;
  const by = prev.scale - cur.scale;
  const pos = subtract(downscale(cur.positive, 0), downscale(prev.positive, by));
  const neg = subtract(downscale(cur.negative, 0), downscale(prev.negative, by));
  const count = cur.count - prev.count;
  const zeroCount = cur.zeroCount - prev.zeroCount;
  if (pos === undefined || neg === undefined || count < 0 || zeroCount < 0) return undefined;
  return {
    ...intervalOf(prev, cur, count),
    scale: cur.scale,
    zeroCount,
    zeroThreshold: cur.zeroThreshold,
    positive: pos,
    negative: neg,
    min: undefined,
    max: undefined,
  };
}
