/**
 * OTLP metrics end to end on the real broker: an instrumented service (the OpenTelemetry
 * JS SDK, a MeterProvider with a reader we collect from) exports five intervals, each
 * serialized by the SDK's own OTLP encoder (protobuf or JSON, as the Collector's Kafka
 * exporter writes them) and written to a random topic; kafkajs reads them back, the ingest
 * decoder turns them into samples and the processor aggregates them. Counts and sums must
 * be exact, tags mapped, and the window's p99 within the stated bound of the exact p99 of
 * what was recorded: one bucket (the histogram's own resolution) plus the sketch's error.
 */
import { createIngestDecoder } from '../../src/ingest';
import { createProcessor, emptyOutputs } from '../../src/pipeline/processor';
import { resolveEngineConfig } from '../../src/core';
import type { WindowSignal } from '../../src/model/signal';
import {
  AggregationType,
  DEFAULT_RESOURCE,
  createOtelHarness,
  lognormalLatencies,
  toJson,
  toProto,
} from '../unit/ingest/otel-fixtures';
import { createTopic, produce, randomName, readTopic } from '../helpers/kafka';

const DAY = 86_400_000;
/** The OpenTelemetry SDK's default explicit bucket boundaries (metrics SDK spec, "Explicit Bucket Histogram Aggregation"). */
const OTEL_DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const EXPORTS = 5;
const PER_EXPORT = 1000;

function nearestRank(values: number[], q: number): number {
  const s = [...values].sort((x, y) => x - y);
  return s[Math.min(s.length, Math.max(1, Math.ceil(q * s.length))) - 1];
}

describe.each(['otlp_proto', 'otlp_json'] as const)('OTLP metrics written as %s to Kafka', (encoding) => {
  it('decode to samples with the right values and tags, and a p99 within one bucket plus the sketch error', async () => {
    const topic = randomName(`otlp-${encoding.replace('_', '-')}`);
    await createTopic(topic, 3);
    const h = createOtelHarness({
      temporality: 'delta',
      histogram: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } },
      views: [
        {
          instrumentName: 'rpc.duration_ms',
          aggregation: {
            type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
            options: { boundaries: OTEL_DEFAULT_BOUNDARIES },
          },
        },
      ],
    });
    const latency = h.meter.createHistogram('query.latency_ms');
    const rpc = h.meter.createHistogram('rpc.duration_ms');
    const requests = h.meter.createCounter('requests');
    const depth = h.meter.createUpDownCounter('queue.depth');
    const recorded = lognormalLatencies(EXPORTS * PER_EXPORT, 2024);
    const scales: number[] = [];
    const messages = [];
    for (let e = 0; e < EXPORTS; e++) {
      for (const v of recorded.slice(e * PER_EXPORT, (e + 1) * PER_EXPORT)) {
        latency.record(v);
        rpc.record(v, { 'rpc.method': 'Search' });
        requests.add(1, { tenant: 'acme' });
      }
      depth.add(e);
      const rm = await h.collect();
      const point = rm.scopeMetrics[0].metrics.find((m) => m.descriptor.name === 'query.latency_ms')!.dataPoints[0]
        .value as { scale: number };
      scales.push(point.scale);
      messages.push({
        key: DEFAULT_RESOURCE['service.instance.id'],
        value: encoding === 'otlp_proto' ? toProto(rm) : toJson(rm),
      });
    }
    await h.shutdown();
    await produce(topic, messages);

    const read = await readTopic(topic, EXPORTS);
    expect(read).toHaveLength(EXPORTS);
    read.sort((x, y) => x.partition - y.partition || Number(BigInt(x.offset) - BigInt(y.offset)));

    const decoder = createIngestDecoder({ format: 'auto' });
    const processor = createProcessor({
      engine: resolveEngineConfig({ window: { sizeMs: DAY }, zeroFillWindows: 0, scopes: [] }),
      partitionCount: 3,
    });
    processor.step({ kind: 'assign', partitions: [0, 1, 2] }, emptyOutputs());
    const out = emptyOutputs();
    let samples = 0;
    const windows = new Set<number>();
    for (const m of read) {
      const r = decoder.decodeSync(m.value, { partition: m.partition, timestamp: Number(m.timestamp) });
      if (r.status !== 'ok')
        throw new Error(`record ${m.partition}/${m.offset}: ${r.status === 'invalid' ? r.error.message : r.status}`);
      expect(r.format).toBe(encoding);
      for (const t of r.values) {
        expect(t.source).toBe(DEFAULT_RESOURCE['service.instance.id']);
        expect(t.tags.service).toBe('checkout');
        expect(t.tags.env).toBe('prod');
        expect(t.tags).not.toHaveProperty('telemetry_sdk_language');
        windows.add(Math.floor(t.ts / DAY));
        processor.step({ kind: 'record', partition: m.partition, offset: m.offset, record: t }, out);
        samples++;
      }
    }
    processor.step({ kind: 'flush' }, out);
    expect(windows.size).toBe(1); // the run did not straddle UTC midnight

    const c = processor.counters();
    expect(c).toMatchObject({ consumed: samples, aggregated: samples, late: 0, deadLettered: 0 });
    const signal = (metric: string): WindowSignal => {
      const found = out.finals.filter((s) => s.scope === 'series' && s.metric === metric);
      expect(found).toHaveLength(1);
      return found[0];
    };

    // Counters: the deltas add up to what was counted; the tenant tag is a dimension.
    expect(signal('requests')).toMatchObject({
      sum: EXPORTS * PER_EXPORT,
      tags: { tenant: 'acme', service: 'checkout' },
    });
    // An up-down counter is a level (cumulative): 0, 1, 3, 6, 10.
    expect(signal('queue.depth')).toMatchObject({ count: EXPORTS, max: 10, min: 0 });
    expect(signal('query.latency_ms.count').sum).toBe(EXPORTS * PER_EXPORT);
    expect(signal('query.latency_ms.sum').sum).toBeCloseTo(
      recorded.reduce((x, y) => x + y, 0),
      6,
    );

    // Exponential histogram: exact count, min and max; quantiles within bucket ⊕ sketch error.
    const lat = signal('query.latency_ms');
    expect(lat.count).toBe(recorded.length);
    expect(lat.min).toBe(Math.min(...recorded));
    expect(lat.max).toBe(Math.max(...recorded));
    const a = 0.0099; // the engine's default sketch accuracy
    const bucketError = Math.pow(2, Math.pow(2, -Math.min(...scales))) - 1;
    const bound = (1 + bucketError) * (1 + a) - 1;
    for (const [q, got] of [
      [0.5, lat.p50],
      [0.9, lat.p90],
      [0.99, lat.p99],
    ] as const) {
      const exact = nearestRank(recorded, q);
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(bound);
    }

    // Explicit buckets (the SDK's defaults): the p99 lands in the bucket holding the exact p99.
    const rpcSignal = signal('rpc.duration_ms');
    expect(rpcSignal.count).toBe(recorded.length);
    const exactP99 = nearestRank(recorded, 0.99);
    const i = OTEL_DEFAULT_BOUNDARIES.findIndex((b) => exactP99 <= b);
    const lo = OTEL_DEFAULT_BOUNDARIES[i - 1];
    const hi = OTEL_DEFAULT_BOUNDARIES[i];
    expect(rpcSignal.p99).toBeGreaterThanOrEqual(lo * (1 - a));
    expect(rpcSignal.p99).toBeLessThanOrEqual(hi * (1 + a));
  });
});
