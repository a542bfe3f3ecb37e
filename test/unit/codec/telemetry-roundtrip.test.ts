import fc from 'fast-check';
import { Type } from 'avsc';
import {
  createInMemoryResolver,
  createRecordCodec,
  createTelemetryAvroEncoder,
  createTelemetryDecoder,
  encodeTelemetryJson,
  frame,
  registerSchema,
  schemaText,
} from '../../../src/codec';
import type { Telemetry } from '../../../src/model/telemetry';

const name = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });
const validTelemetry: fc.Arbitrary<Telemetry> = fc.record({
  ts: fc.integer({ min: 1e12, max: 4102444800000 }),
  source: name,
  metric: name,
  value: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => v + 0),
  tags: fc.dictionary(
    name.filter((k) => k !== '__proto__'),
    fc.string({ unit: 'binary', maxLength: 40 }),
    {
      maxKeys: 8,
      noNullPrototype: true,
    },
  ),
});

async function setup() {
  const resolver = createInMemoryResolver();
  const id = await registerSchema(resolver, 'telemetry', 'homeostat.telemetry-value');
  const decoder = createTelemetryDecoder({ resolver });
  await decoder.loadSchema(id);
  return { resolver, id, decoder, avro: createTelemetryAvroEncoder(id) };
}

describe('telemetry round trips', () => {
  it('JSON: decode(encode(t)) equals t', () => {
    const decoder = createTelemetryDecoder();
    fc.assert(
      fc.property(validTelemetry, (t) => {
        expect(decoder.decodeSync(encodeTelemetryJson(t))).toEqual({ status: 'ok', value: t, format: 'json' });
      }),
      { numRuns: 500 },
    );
  });

  it('Avro: decode(encode(t)) equals t, and decode is synchronous once the id is cached', async () => {
    const { decoder, avro } = await setup();
    fc.assert(
      fc.property(validTelemetry, (t) => {
        expect(decoder.decodeSync(avro.encode(t))).toEqual({ status: 'ok', value: t, format: 'avro' });
      }),
      { numRuns: 500 },
    );
  });

  it('encoding is byte-identical regardless of tag insertion order, and equals the generic codec', async () => {
    const { id, avro } = await setup();
    const generic = createRecordCodec('telemetry');
    fc.assert(
      fc.property(validTelemetry, (t) => {
        const reversed = { ...t, tags: Object.fromEntries(Object.entries(t.tags).reverse()) };
        expect(encodeTelemetryJson(reversed).equals(encodeTelemetryJson(t))).toBe(true);
        expect(avro.encode(reversed).equals(avro.encode(t))).toBe(true);
        expect(generic.encodeJson(t).equals(encodeTelemetryJson(t))).toBe(true);
        expect(generic.encodeAvro(t, id).equals(avro.encode(t))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes what another Avro implementation (avsc directly, Confluent framing) wrote', async () => {
    const { id, decoder } = await setup();
    const plain = Type.forSchema(JSON.parse(schemaText('telemetry')) as never);
    const t = { ts: 1714564800000, source: 'w', metric: 'm', value: -1.5, tags: { a: 'b' } };
    await expect(decoder.decode(frame(id, plain.toBuffer(t)))).resolves.toEqual(t);
  });
});

describe('schema evolution through the registry', () => {
  const base = JSON.parse(schemaText('telemetry')) as { fields: { name: string }[] };

  it('reads records written with an older schema that had no tags (default {})', async () => {
    const { resolver, decoder } = await setup();
    const old = { ...base, fields: base.fields.filter((f) => f.name !== 'tags') };
    const oldId = await resolver.idFor('homeostat.telemetry-value', JSON.stringify(old));
    const value = frame(
      oldId,
      Type.forSchema(old as never).toBuffer({ ts: 1714564800000, source: 's', metric: 'm', value: 1 }),
    );
    await expect(decoder.decode(value)).resolves.toEqual({
      ts: 1714564800000,
      source: 's',
      metric: 'm',
      value: 1,
      tags: {},
    });
  });

  it('reads records written with a newer schema that added a field with a default', async () => {
    const { resolver, decoder } = await setup();
    const newer = { ...base, fields: [...base.fields, { name: 'unit', type: 'string', default: '', doc: 'unit' }] };
    const newId = await resolver.idFor('homeostat.telemetry-value', JSON.stringify(newer));
    const t = { ts: 1714564800000, source: 's', metric: 'm', value: 1, tags: {}, unit: 'ms' };
    const value = frame(newId, Type.forSchema(newer as never).toBuffer(t));
    await expect(decoder.decode(value)).resolves.toEqual({
      ts: 1714564800000,
      source: 's',
      metric: 'm',
      value: 1,
      tags: {},
    });
    expect(decoder.cachedSchemaIds()).toContain(newId);
  });

  it('rejects an incompatible writer schema, naming its id', async () => {
    const { resolver, decoder } = await setup();
    const wrong = { ...base, fields: base.fields.map((f) => (f.name === 'value' ? { ...f, type: 'string' } : f)) };
    const wrongId = await resolver.idFor('x-value', JSON.stringify(wrong));
    const value = frame(
      wrongId,
      Type.forSchema(wrong as never).toBuffer({ ts: 1714564800000, source: 's', metric: 'm', value: 'x', tags: {} }),
    );
    await expect(decoder.decode(value)).rejects.toMatchObject({
      code: 'AVRO_DECODE',
      message: expect.stringContaining(`writer schema id ${wrongId}`),
    });
  });
});
