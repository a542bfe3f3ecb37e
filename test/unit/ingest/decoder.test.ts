import fc from 'fast-check';
import {
  createInMemoryResolver,
  createTelemetryAvroEncoder,
  encodeTelemetryJson,
  registerSchema,
} from '../../../src/codec';
import { ConfigError, InputError } from '../../../src/errors';
import { createIngestDecoder, type IngestDecoder, type IngestResult } from '../../../src/ingest';
import type { Telemetry } from '../../../src/model/telemetry';
import { thrownBy } from '../../helpers/thrown';
import { TELEGRAF } from './influx-fixtures';
import { AggregationType, createOtelHarness, toJson, toProto } from './otel-fixtures';

const sample: Telemetry = {
  ts: 1_714_564_800_000,
  source: 'worker-1',
  metric: 'query.latency_ms',
  value: 12.5,
  tags: { service: 'search' },
};

function check(r: IngestResult): void {
  if (r.status === 'invalid') expect(r.error).toBeInstanceOf(InputError);
  else if (r.status === 'ok')
    for (const t of r.values) expect(Number.isFinite(t.value) && Number.isInteger(t.ts)).toBe(true);
  else expect(r.status).toBe('schema-miss');
}

async function neverThrowsOtherThanInputError(d: IngestDecoder, value: Buffer): Promise<void> {
  check(d.decodeSync(value, { partition: 0, timestamp: 1_714_564_800_000 }));
  try {
    await d.decode(value);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
  }
}

describe('createIngestDecoder: format detection', () => {
  let otlpProto: Buffer;
  let otlpJson: Buffer;

  beforeAll(async () => {
    const h = createOtelHarness({
      temporality: 'delta',
      histogram: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } },
    });
    h.meter.createCounter('requests').add(3, { tenant: 'acme' });
    const hist = h.meter.createHistogram('query.latency_ms');
    for (let i = 1; i <= 50; i++) hist.record(i * 1.7);
    const rm = await h.collect();
    otlpProto = toProto(rm);
    otlpJson = toJson(rm);
    await h.shutdown();
  });

  it('reads homeostat JSON and Avro (one sample per record)', async () => {
    const resolver = createInMemoryResolver();
    const id = await registerSchema(resolver, 'telemetry', 'homeostat.telemetry-value');
    const d = createIngestDecoder({ resolver });
    expect(d.decodeSync(encodeTelemetryJson(sample))).toEqual({
      status: 'ok',
      values: [sample],
      format: 'json',
      skipped: 0,
    });
    const avro = createTelemetryAvroEncoder(id).encode(sample);
    expect(d.decodeSync(avro)).toEqual({ status: 'schema-miss', schemaId: id });
    expect(await d.decode(avro)).toEqual({ values: [sample], format: 'avro', skipped: 0 });
  });

  it('tells OTLP protobuf, OTLP JSON and line protocol apart', () => {
    const d = createIngestDecoder();
    const proto = d.decodeSync(otlpProto);
    const json = d.decodeSync(otlpJson);
    const lines = d.decodeSync(Buffer.from(`\n${TELEGRAF.multipleTags.replace(' 0\n', ' 1519194109000000042\n')}`));
    expect(proto.status === 'ok' && proto.format).toBe('otlp_proto');
    expect(json.status === 'ok' && json.format).toBe('otlp_json');
    expect(lines.status === 'ok' && lines.format).toBe('influx');
    expect(proto.status === 'ok' && proto.values.length).toBe(53); // 1 counter + 50 histogram samples + count + sum
    expect(d.stats()).toMatchObject({
      records: 3,
      samples: 53 + 53 + 1,
      invalid: 0,
      byFormat: { otlp_proto: 1, otlp_json: 1, influx: 1 },
    });
  });

  it('finds OTLP JSON whose first key is not resourceMetrics', () => {
    const reordered = Buffer.from(JSON.stringify({ extra: 1, ...(JSON.parse(otlpJson.toString()) as object) }));
    const r = createIngestDecoder().decodeSync(reordered);
    expect(r.status === 'ok' && r.format).toBe('otlp_json');
  });

  it('keeps to one format when told, and reports the others as invalid', () => {
    expect(createIngestDecoder({ format: 'otlp_proto' }).decodeSync(otlpJson).status).toBe('invalid');
    expect(createIngestDecoder({ format: 'otlp_json' }).decodeSync(otlpProto).status).toBe('invalid');
    expect(createIngestDecoder({ format: 'homeostat' }).decodeSync(otlpProto).status).toBe('invalid');
    expect(createIngestDecoder({ format: 'influx' }).decodeSync(encodeTelemetryJson(sample)).status).toBe('invalid');
    expect(createIngestDecoder({ format: 'homeostat' }).decodeSync(encodeTelemetryJson(sample)).status).toBe('ok');
  });

  it('refuses tombstones, empty and oversized foreign records', () => {
    const d = createIngestDecoder({ maxForeignRecordBytes: 100 });
    for (const v of [null, undefined, Buffer.alloc(0)]) {
      const r = d.decodeSync(v);
      expect(r.status === 'invalid' && r.error.code).toBe('NOT_DECODABLE');
    }
    const r = d.decodeSync(otlpProto);
    expect(r.status === 'invalid' && r.error.code).toBe('RECORD_TOO_LARGE');
    const bin = d.decodeSync(Buffer.from([0xff, 0x01, 0x02]));
    expect(bin.status === 'invalid' && bin.error.message).toMatch(/starts with byte 0xff/);
  });

  it('checks its options at construction', () => {
    expect(() =>
      createIngestDecoder({ format: 'csv' as 'auto', maxSamplesPerRecord: 0, otlp: { maxSamplesPerPoint: 4 } }),
    ).toThrow(ConfigError);
    // Every bad key is reported at once, not only the first.
    const thrown = thrownBy(() =>
      createIngestDecoder({
        format: 'csv' as 'auto',
        otlp: { maxSamplesPerPoint: 4 },
        influx: { precision: 'm' as 's' },
      }),
    );
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).issues).toHaveLength(3);
  });
});

describe('createIngestDecoder: fuzzing (never anything but an InputError)', () => {
  let valid: Buffer[];
  const d = createIngestDecoder({ influx: { defaultSource: 'x' } });

  beforeAll(async () => {
    const h = createOtelHarness({
      temporality: 'cumulative',
      histogram: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 40 } },
    });
    h.meter.createCounter('requests').add(3, { tenant: 'acme', 'a.b': 'c' });
    h.meter.createUpDownCounter('inflight').add(-2);
    const e = h.meter.createHistogram('lat');
    for (let i = 1; i <= 30; i++) e.record(i * i);
    const rm = await h.collect();
    valid = [toProto(rm), toJson(rm), Buffer.from(TELEGRAF.procstat), encodeTelemetryJson(sample)];
    await h.shutdown();
  });

  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        await neverThrowsOtherThanInputError(d, Buffer.from(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('valid records with bytes flipped, truncated or spliced', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(3),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        async (which, flips, cut) => {
          const buf = Buffer.from(valid[which]);
          for (const [at, b] of flips) buf[at % buf.length] = b;
          await neverThrowsOtherThanInputError(d, buf);
          await neverThrowsOtherThanInputError(d, buf.subarray(0, cut % (buf.length + 1)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random text (line protocol and JSON shapes)', async () => {
    const chars = fc.constantFrom(
      'a',
      'z',
      '0',
      '9',
      ' ',
      ',',
      '=',
      '"',
      '\\',
      '\n',
      '#',
      '.',
      '-',
      'i',
      'u',
      't',
      '{',
      '}',
      '[',
      ']',
      ':',
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: chars, maxLength: 80 }), async (s) => {
        await neverThrowsOtherThanInputError(d, Buffer.from(s));
        await neverThrowsOtherThanInputError(d, Buffer.from(`{"resourceMetrics":${s}}`));
      }),
      { numRuns: 500 },
    );
  });

  it('random JSON values in OTLP positions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (v) => {
        const docs = [
          { resourceMetrics: v },
          { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [v] } }] }] }] },
          { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', histogram: v }] }] }] },
          { resourceMetrics: [{ resource: { attributes: [{ key: 'k', value: v }] }, scopeMetrics: [] }] },
        ];
        for (const doc of docs) await neverThrowsOtherThanInputError(d, Buffer.from(JSON.stringify(doc)));
      }),
      { numRuns: 300 },
    );
  });
});
