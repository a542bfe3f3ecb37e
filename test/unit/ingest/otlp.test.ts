import { createIngestDecoder, type IngestResult } from '../../../src/ingest';
import type { Telemetry } from '../../../src/model/telemetry';
import { createSketch } from '../../../src/signals/ddsketch';
import {
  AggregationType,
  DEFAULT_RESOURCE,
  createOtelHarness,
  lognormalLatencies,
  toJson,
  toProto,
} from './otel-fixtures';
import { NS, fDouble, fFixed64, fMsg, fPackedFixed64, fString, fVarint, kv, request } from './proto-writer';

function ok(r: IngestResult): Telemetry[] {
  if (r.status !== 'ok')
    throw new Error(`expected ok, got ${r.status === 'invalid' ? `${r.error.code}: ${r.error.message}` : r.status}`);
  return r.values;
}

function byMetric(values: Telemetry[], metric: string): Telemetry[] {
  return values.filter((v) => v.metric === metric);
}

/** Nearest-rank quantile, the definition DDSketch and the signals use. */
function exactQuantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil(q * s.length))) - 1];
}

describe('OTLP metrics from the OpenTelemetry JS SDK', () => {
  it('maps the protobuf and the JSON encoding of one export to the same samples', async () => {
    const h = createOtelHarness({ temporality: 'delta' });
    h.meter.createCounter('requests').add(5, { tenant: 'acme', 'http.route': '/search' });
    h.meter.createUpDownCounter('queue.depth').add(7);
    h.meter.createHistogram('query.latency_ms').record(12);
    h.meter.createObservableGauge('cpu.util').addCallback((r) => r.observe(0.42, { core: '0' }));
    const rm = await h.collect();
    const fromProto = ok(createIngestDecoder().decodeSync(toProto(rm), { partition: 0 }));
    const fromJson = ok(createIngestDecoder().decodeSync(toJson(rm), { partition: 0 }));
    expect(fromJson).toEqual(fromProto);
    expect(byMetric(fromProto, 'requests').map((t) => t.value)).toEqual([5]);
    expect(byMetric(fromProto, 'queue.depth').map((t) => t.value)).toEqual([7]);
    expect(byMetric(fromProto, 'cpu.util').map((t) => [t.value, t.tags.core])).toEqual([[0.42, '0']]);
    expect(byMetric(fromProto, 'query.latency_ms').map((t) => t.value)).toEqual([12]);
    expect(byMetric(fromProto, 'query.latency_ms.count').map((t) => t.value)).toEqual([1]);
    expect(byMetric(fromProto, 'query.latency_ms.sum').map((t) => t.value)).toEqual([12]);
    await h.shutdown();
  });

  it('takes source and tags from the resource per the mapping table, point attributes with dots → underscores', async () => {
    const h = createOtelHarness({ temporality: 'delta' });
    h.meter.createCounter('requests').add(1, { tenant: 'acme', 'http.route': '/search' });
    const [t] = ok(createIngestDecoder().decodeSync(toProto(await h.collect())));
    expect(t.source).toBe(DEFAULT_RESOURCE['service.instance.id']);
    expect(t.tags).toEqual({ service: 'checkout', host: 'node-3', env: 'prod', tenant: 'acme', http_route: '/search' });
    expect(t.ts).toBeGreaterThan(1e12);
    await h.shutdown();

    // Without an instance id, host.name is the source (and then not also a tag).
    const h2 = createOtelHarness({
      temporality: 'delta',
      resource: { 'service.name': 'checkout', 'host.name': 'node-9', 'process.pid': '12' },
    });
    h2.meter.createCounter('requests').add(1);
    const [t2] = ok(createIngestDecoder().decodeSync(toProto(await h2.collect())));
    expect(t2.source).toBe('node-9');
    expect(t2.tags).toEqual({ service: 'checkout' });
    await h2.shutdown();
  });

  it('turns cumulative monotonic sums into increases per export, and keeps up-down sums as levels', async () => {
    const h = createOtelHarness({ temporality: 'cumulative' });
    const requests = h.meter.createCounter('requests');
    const depth = h.meter.createUpDownCounter('queue.depth');
    const decoder = createIngestDecoder();
    requests.add(5);
    depth.add(4);
    const first = ok(decoder.decodeSync(toProto(await h.collect()), { partition: 0 }));
    requests.add(3);
    depth.add(-1);
    await new Promise((r) => setTimeout(r, 2)); // a later timeUnixNano
    const secondBytes = toProto(await h.collect());
    const second = ok(decoder.decodeSync(secondBytes, { partition: 0 }));
    // The first export of a fresh process is emitted whole (its start is moments ago).
    expect(byMetric(first, 'requests').map((t) => t.value)).toEqual([5]);
    expect(byMetric(second, 'requests').map((t) => t.value)).toEqual([3]);
    expect(byMetric(second, 'queue.depth').map((t) => t.value)).toEqual([3]);
    // The same record again (a redelivery) adds nothing; another partition's stream is separate.
    const again = decoder.decodeSync(secondBytes, { partition: 0 });
    expect(byMetric(ok(again), 'requests')).toHaveLength(0);
    expect(again.status === 'ok' && again.skipped).toBe(1);
    // A later export without increments is a zero count.
    await new Promise((r) => setTimeout(r, 2));
    expect(
      byMetric(ok(decoder.decodeSync(toProto(await h.collect()), { partition: 0 })), 'requests').map((t) => t.value),
    ).toEqual([0]);
    await h.shutdown();
  });

  it('keeps every bucket count of an explicit-bucket histogram, min/max exact, with exact count and sum companions', async () => {
    const boundaries = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    const h = createOtelHarness({
      temporality: 'delta',
      histogram: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries } },
    });
    const hist = h.meter.createHistogram('query.latency_ms');
    const recorded: number[] = [];
    for (let i = 1; i <= 100; i++) {
      const v = i * 0.97 + 1.5;
      recorded.push(v);
      hist.record(v);
    }
    const values = ok(createIngestDecoder().decodeSync(toProto(await h.collect())));
    const samples = byMetric(values, 'query.latency_ms').map((t) => t.value);
    expect(samples).toHaveLength(100);
    expect(Math.min(...samples)).toBe(Math.min(...recorded));
    expect(Math.max(...samples)).toBe(Math.max(...recorded));
    const bucketOf = (v: number): number => boundaries.findIndex((b) => v <= b);
    const counts = (vs: number[]): number[] => boundaries.map((_, i) => vs.filter((v) => bucketOf(v) === i).length);
    expect(counts(samples)).toEqual(counts(recorded));
    expect(byMetric(values, 'query.latency_ms.count')[0].value).toBe(100);
    expect(byMetric(values, 'query.latency_ms.sum')[0].value).toBeCloseTo(
      recorded.reduce((a, b) => a + b, 0),
      9,
    );
    await h.shutdown();
  });

  it('keeps an exponential histogram’s p99 within one bucket plus the sketch’s error', async () => {
    const h = createOtelHarness({
      temporality: 'delta',
      histogram: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } },
    });
    const hist = h.meter.createHistogram('query.latency_ms');
    const recorded = lognormalLatencies(800, 7);
    for (const v of recorded) hist.record(v);
    const rm = await h.collect();
    const values = ok(createIngestDecoder().decodeSync(toProto(rm)));
    const samples = byMetric(values, 'query.latency_ms').map((t) => t.value);
    expect(samples).toHaveLength(recorded.length);
    const point = rm.scopeMetrics[0].metrics[0].dataPoints[0].value as { scale: number };
    const bucketError = Math.pow(2, Math.pow(2, -point.scale)) - 1;
    const sketch = createSketch();
    for (const v of samples) sketch.add(v);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = exactQuantile(recorded, q);
      const rel = Math.abs(sketch.quantile(q) - exact) / exact;
      expect(rel).toBeLessThanOrEqual((1 + bucketError) * (1 + sketch.relativeAccuracy) - 1);
    }
    await h.shutdown();
  });

  it('samples a histogram above maxSamplesPerPoint at evenly spaced ranks, the count companion staying exact', async () => {
    const h = createOtelHarness({
      temporality: 'delta',
      histogram: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } },
    });
    const hist = h.meter.createHistogram('query.latency_ms');
    const recorded = lognormalLatencies(20_000, 11);
    for (const v of recorded) hist.record(v);
    const rm = await h.collect();
    const values = ok(createIngestDecoder({ otlp: { maxSamplesPerPoint: 512 } }).decodeSync(toProto(rm)));
    const samples = byMetric(values, 'query.latency_ms').map((t) => t.value);
    expect(samples).toHaveLength(512);
    expect(byMetric(values, 'query.latency_ms.count')[0].value).toBe(20_000);
    const scale = (rm.scopeMetrics[0].metrics[0].dataPoints[0].value as { scale: number }).scale;
    const bucketError = Math.pow(2, Math.pow(2, -scale)) - 1;
    const exact = exactQuantile(recorded, 0.99);
    // One bucket plus the rank error of 1/(2·512) ~ 0.1% of ranks; generous at the tail.
    expect(Math.abs(exactQuantile(samples, 0.99) - exact) / exact).toBeLessThan(2 * bucketError + 0.02);
  });
});

describe('OTLP protobuf edge cases', () => {
  const resource = [kv(1, 'service.name', 'svc'), kv(1, 'service.instance.id', 'svc-1')];
  const gaugePoint = (ms: number, value: number, ...extra: Buffer[]): Buffer =>
    fMsg(1, fFixed64(3, NS(ms)), fDouble(4, value), ...extra);

  it('skips points flagged NO_RECORDED_VALUE and unknown fields, and counts them as skipped', () => {
    const metric = Buffer.concat([
      fString(1, 'queue.depth'),
      fMsg(5, gaugePoint(1_714_564_800_000, 3), gaugePoint(1_714_564_801_000, 0, fVarint(8, 1)), fVarint(99, 7)),
    ]);
    const r = createIngestDecoder().decodeSync(request(resource, [metric]));
    expect(ok(r).map((t) => t.value)).toEqual([3]);
    expect(r.status === 'ok' && r.skipped).toBe(1);
  });

  it('reads as_int values and keeps int attributes exact', () => {
    const attr = fMsg(7, fString(1, 'shard'), fMsg(2, fVarint(3, 9007199254740993n)));
    const point = fMsg(
      1,
      fFixed64(3, NS(1_714_564_800_000)),
      Buffer.concat([Buffer.from([0x31]), Buffer.from(new BigInt64Array([42n]).buffer)]),
      attr,
    );
    const [t] = ok(
      createIngestDecoder().decodeSync(request(resource, [Buffer.concat([fString(1, 'inflight'), fMsg(5, point)])])),
    );
    expect(t.value).toBe(42);
    expect(t.tags.shard).toBe('9007199254740993');
  });

  it('returns an InputError naming the place for a record it cannot map', () => {
    const d = createIngestDecoder();
    const noTime = Buffer.concat([fString(1, 'queue.depth'), fMsg(5, fMsg(1, fDouble(4, 1)))]);
    const r1 = d.decodeSync(request(resource, [noTime]));
    expect(r1.status === 'invalid' && r1.error.code).toBe('TS_OUT_OF_RANGE');
    expect(r1.status === 'invalid' && r1.error.message).toMatch(/metrics\[0\] \(queue\.depth\)\.dataPoints\[0\]/);

    const badTemporality = Buffer.concat([fString(1, 'requests'), fMsg(7, gaugePoint(1_714_564_800_000, 1))]);
    const r2 = d.decodeSync(request(resource, [badTemporality]));
    expect(r2.status === 'invalid' && r2.error.message).toMatch(/temporality 0/);

    const wrongWire = Buffer.concat([fString(1, 'x'), fMsg(5, fMsg(1, fVarint(3, 5)))]);
    const r3 = d.decodeSync(request(resource, [wrongWire]));
    expect(r3.status === 'invalid' && r3.error.code).toBe('NOT_DECODABLE');

    const histogram = fMsg(
      9,
      fMsg(
        1,
        fFixed64(3, NS(1_714_564_800_000)),
        fFixed64(4, 5),
        Buffer.concat([fFixed64(6, 2), fFixed64(6, 2)]),
        fDouble(7, 10),
      ),
      fVarint(2, 1),
    );
    const r4 = d.decodeSync(request(resource, [Buffer.concat([fString(1, 'lat'), histogram])]));
    expect(r4.status === 'invalid' && r4.error.message).toMatch(/add up to 4, but count is 5/);
    expect(d.stats().invalid).toBe(4);
  });

  it('reads unpacked bucket counts the same as packed ones', () => {
    const base = [fFixed64(3, NS(1_714_564_800_000)), fFixed64(4, 4), fDouble(7, 10), fDouble(12, 30)];
    const unpacked = fMsg(9, fMsg(1, ...base, fFixed64(6, 1), fFixed64(6, 3)), fVarint(2, 1));
    const packed = fMsg(9, fMsg(1, ...base, fPackedFixed64(6, [1, 3])), fVarint(2, 1));
    const decode = (m: Buffer): number[] =>
      byMetric(
        ok(createIngestDecoder().decodeSync(request(resource, [Buffer.concat([fString(1, 'lat'), m])]))),
        'lat',
      ).map((t) => t.value);
    const samples = decode(unpacked);
    expect(samples).toEqual(decode(packed));
    expect(samples.filter((v) => v <= 10)).toHaveLength(1);
    // The open last bucket ends at the point's max (30).
    expect(samples.filter((v) => v > 10 && v <= 30)).toHaveLength(3);
    expect(Math.max(...samples)).toBe(30);
  });
});

describe('OTLP JSON as the Collector writes it', () => {
  const doc = (metrics: unknown[]): Buffer =>
    Buffer.from(
      JSON.stringify({
        resourceMetrics: [
          {
            resource: {
              attributes: [
                { key: 'service.name', value: { stringValue: 'api' } },
                { key: 'host.name', value: { stringValue: 'h1' } },
              ],
            },
            scopeMetrics: [{ scope: { name: 's' }, metrics }],
          },
        ],
      }),
    );

  it('reads int64 as decimal strings and enum names', () => {
    const values = ok(
      createIngestDecoder().decodeSync(
        doc([
          {
            name: 'errors',
            sum: {
              aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
              isMonotonic: true,
              dataPoints: [
                {
                  timeUnixNano: '1714564800000999999',
                  asInt: '17',
                  attributes: [{ key: 'client', value: { stringValue: 'web' } }],
                },
              ],
            },
          },
        ]),
      ),
    );
    expect(values).toEqual([
      { ts: 1714564800000, source: 'h1', metric: 'errors', value: 17, tags: { service: 'api', client: 'web' } },
    ]);
  });

  it('maps a summary to count, sum and one metric per quantile', () => {
    const values = ok(
      createIngestDecoder({ otlp: { cumulative: 'as-is' } }).decodeSync(
        doc([
          {
            name: 'rpc.ms',
            summary: {
              dataPoints: [
                {
                  timeUnixNano: '1714564800000000000',
                  count: '10',
                  sum: 123.5,
                  quantileValues: [
                    { quantile: 0.5, value: 9 },
                    { quantile: 0.99, value: 40 },
                    { quantile: 0.999, value: 55 },
                  ],
                },
              ],
            },
          },
        ]),
      ),
    );
    expect(values.map((t) => [t.metric, t.value])).toEqual([
      ['rpc.ms.count', 10],
      ['rpc.ms.sum', 123.5],
      ['rpc.ms.p50', 9],
      ['rpc.ms.p99', 40],
      ['rpc.ms.p999', 55],
    ]);
  });

  it('rejects wrong JSON types with the path', () => {
    const r = createIngestDecoder().decodeSync(
      doc([{ name: 'x', gauge: { dataPoints: [{ timeUnixNano: 'soon', asDouble: 1 }] } }]),
    );
    expect(r.status === 'invalid' && r.error.message).toMatch(
      /metrics\[0\]\(x\)\.gauge\.dataPoints\[0\]\.timeUnixNano/,
    );
  });

  it('rejects a record with more tags than the limits allow (TOO_MANY_TAGS), whole', () => {
    const attributes = Array.from({ length: 40 }, (_, i) => ({ key: `a${i}`, value: { stringValue: 'v' } }));
    const r = createIngestDecoder().decodeSync(
      doc([{ name: 'x', gauge: { dataPoints: [{ timeUnixNano: '1714564800000000000', asDouble: 1, attributes }] } }]),
    );
    expect(r.status === 'invalid' && r.error.code).toBe('TOO_MANY_TAGS');
  });

  it('shares maxSamplesPerRecord among histogram points and refuses a record that cannot fit', () => {
    const point = (i: number): unknown => ({
      timeUnixNano: '1714564800000000000',
      count: '1000',
      bucketCounts: ['1000'],
      explicitBounds: [],
      attributes: [{ key: 'i', value: { intValue: String(i) } }],
    });
    const hist = (n: number): Buffer =>
      doc([
        {
          name: 'lat',
          histogram: { aggregationTemporality: 1, dataPoints: Array.from({ length: n }, (_, i) => point(i)) },
        },
      ]);
    const shared = ok(createIngestDecoder({ maxSamplesPerRecord: 2_000 }).decodeSync(hist(10)));
    expect(byMetric(shared, 'lat').length).toBeLessThanOrEqual(2_000 - 20);
    expect(byMetric(shared, 'lat').length).toBeGreaterThanOrEqual(10 * 16);
    const r = createIngestDecoder({ maxSamplesPerRecord: 2_000 }).decodeSync(hist(200));
    expect(r.status === 'invalid' && r.error.code).toBe('RECORD_TOO_LARGE');
  });
});
