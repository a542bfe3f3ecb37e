import {
  createInMemoryResolver,
  createTelemetryAvroEncoder,
  createTelemetryDecoder,
  encodeTelemetryJson,
  registerSchema,
  type DecodeResult,
} from '../../../src/codec';
import type { Telemetry } from '../../../src/model/telemetry';
import { telemetry as sample } from './fixtures';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

function rejection(result: DecodeResult<Telemetry>): { code: string; field: string | undefined; message: string } {
  if (result.status !== 'invalid') throw new Error(`expected invalid, got ${JSON.stringify(result)}`);
  return { code: result.error.code, field: result.error.field, message: result.error.message };
}

async function setup() {
  const resolver = createInMemoryResolver();
  const id = await registerSchema(resolver, 'telemetry', 'homeostat.telemetry-value');
  const decoder = createTelemetryDecoder({ resolver });
  await decoder.loadSchema(id);
  return { id, decoder, avro: createTelemetryAvroEncoder(id) };
}

describe('telemetry decoder: format detection', () => {
  const decoder = createTelemetryDecoder();

  it.each([
    ['plain text', Buffer.from('hello'), "text starting with 'h'"],
    ['a binary blob', Buffer.from([0xff, 0x01, 0x02]), 'a byte 0xff'],
    ['a JSON array', json([sample]), 'a JSON array'],
    ['a JSON number', Buffer.from('  42'), 'a number'],
    ['a JSON string', json('x'), 'a JSON string'],
    ['whitespace', Buffer.from(' \n\t'), 'only whitespace'],
  ])('rejects %s as NOT_DECODABLE', (_name, value, described) => {
    const e = rejection(decoder.decodeSync(value));
    expect(e.code).toBe('NOT_DECODABLE');
    expect(e.message).toContain(described);
    expect(e.message).toContain('Avro');
  });

  it('rejects a tombstone and an empty value', () => {
    expect(rejection(decoder.decodeSync(null))).toMatchObject({ code: 'NOT_DECODABLE' });
    expect(rejection(decoder.decodeSync(Buffer.alloc(0))).message).toContain('empty');
  });

  it('accepts JSON after whitespace and a UTF-8 BOM', () => {
    const value = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(' \r\n'), encodeTelemetryJson(sample)]);
    expect(decoder.decodeSync(value)).toEqual({ status: 'ok', value: sample, format: 'json' });
  });

  it('rejects invalid UTF-8 in a JSON value', () => {
    const value = Buffer.concat([Buffer.from('{"source":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(rejection(decoder.decodeSync(value))).toMatchObject({ code: 'INVALID_UTF8' });
  });

  it('rejects malformed JSON with the parser message', () => {
    const e = rejection(decoder.decodeSync(Buffer.from('{"ts": 1700000000000,')));
    expect(e.code).toBe('INVALID_JSON');
    expect(e.message).toMatch(/^value is not valid JSON: /);
  });

  it('with format avro, names a wrong magic byte', () => {
    const strict = createTelemetryDecoder({ format: 'avro' });
    const e = rejection(strict.decodeSync(encodeTelemetryJson(sample)));
    expect(e.code).toBe('BAD_MAGIC_BYTE');
    expect(e.message).toContain('0x7b');
  });

  it('with format json, refuses Avro', async () => {
    const { avro } = await setup();
    const jsonOnly = createTelemetryDecoder({ format: 'json' });
    expect(rejection(jsonOnly.decodeSync(avro.encode(sample))).code).toBe('NOT_DECODABLE');
  });

  it('rejects a value above maxRecordBytes before parsing it', () => {
    const small = createTelemetryDecoder({ limits: { maxRecordBytes: 64 } });
    const e = rejection(small.decodeSync(encodeTelemetryJson(sample)));
    expect(e.code).toBe('RECORD_TOO_LARGE');
    expect(e.message).toContain('the limit is 64');
  });
});

describe('telemetry decoder: Avro errors', () => {
  it('names an unknown schema id', async () => {
    const { decoder, avro } = await setup();
    const value = avro.encode(sample);
    value.writeUInt32BE(4242, 1);
    await expect(decoder.decode(value)).rejects.toMatchObject({
      name: 'InputError',
      code: 'UNKNOWN_SCHEMA_ID',
      message: expect.stringContaining('4242'),
    });
    // Cached: now known synchronously.
    expect(rejection(decoder.decodeSync(value)).code).toBe('UNKNOWN_SCHEMA_ID');
  });

  it('reports Avro without any registry as UNKNOWN_SCHEMA_ID', async () => {
    const { avro } = await setup();
    await expect(createTelemetryDecoder().decode(avro.encode(sample))).rejects.toMatchObject({
      code: 'UNKNOWN_SCHEMA_ID',
    });
  });

  it('reports a header shorter than 5 bytes as TRUNCATED', async () => {
    const { decoder } = await setup();
    expect(rejection(decoder.decodeSync(Buffer.from([0, 0, 0]))).code).toBe('TRUNCATED');
  });

  it('reports every truncation of a valid body as TRUNCATED', async () => {
    const { decoder, avro } = await setup();
    const value = avro.encode(sample);
    for (let len = 5; len < value.length; len++) {
      const e = rejection(decoder.decodeSync(value.subarray(0, len)));
      expect([len, e.code]).toEqual([len, 'TRUNCATED']);
    }
  });

  it('rejects trailing bytes after the record', async () => {
    const { decoder, avro } = await setup();
    const e = rejection(decoder.decodeSync(Buffer.concat([avro.encode(sample), Buffer.from([1, 2])])));
    expect(e.code).toBe('AVRO_DECODE');
    expect(e.message).toContain('2 trailing byte(s)');
  });

  it('stops at a hostile map block count instead of looping', async () => {
    const { id, decoder } = await setup();
    // ts=1, source="a", metric="a", value=0, then a map block of 2^22 entries in a
    // 30-byte record. (avsc alone would spin through all of them; with 2^48 for ever.)
    const count = [0x80, 0x80, 0x80, 0x04];
    const body = [2, 2, 0x61, 2, 0x61, 0, 0, 0, 0, 0, 0, 0, 0, ...count, 2, 0x61, 2, 0x61, 0];
    const value = Buffer.from([0, 0, 0, 0, id, ...body]);
    const e = rejection(decoder.decodeSync(value));
    expect(e.code).toBe('AVRO_DECODE');
    expect(e.message).toContain('count is larger than the record can hold');
  });

  it('validates Avro records like JSON ones (NaN value, ts in 1970)', async () => {
    const { decoder, avro } = await setup();
    expect(rejection(decoder.decodeSync(avro.encode({ ...sample, ts: 0 })))).toMatchObject({
      code: 'TS_OUT_OF_RANGE',
      field: 'ts',
    });
  });
});

describe('telemetry decoder: field validation', () => {
  const decoder = createTelemetryDecoder();
  const base = { ts: sample.ts, source: sample.source, metric: sample.metric, value: sample.value, tags: sample.tags };

  it.each(['ts', 'source', 'metric', 'value'] as const)('names a missing %s', (field) => {
    const { [field]: _drop, ...rest } = base;
    const e = rejection(decoder.decodeSync(json(rest)));
    expect(e).toMatchObject({ code: 'MISSING_FIELD', field });
    expect(e.message).toContain(`field '${field}' is missing`);
  });

  it('treats a null field as missing', () => {
    expect(rejection(decoder.decodeSync(json({ ...base, metric: null })))).toMatchObject({
      code: 'MISSING_FIELD',
      field: 'metric',
    });
  });

  it.each([
    ['"NaN"', '"NaN"', 'NON_FINITE_VALUE'],
    ['"Infinity"', '"Infinity"', 'NON_FINITE_VALUE'],
    ['"-inf"', '"-inf"', 'NON_FINITE_VALUE'],
    ['1e400 (parses to Infinity)', '1e400', 'NON_FINITE_VALUE'],
    ['"12" (a string)', '"12"', 'INVALID_FIELD'],
    ['true', 'true', 'INVALID_FIELD'],
    ['an object', '{}', 'INVALID_FIELD'],
  ])('rejects value %s', (_name, raw, code) => {
    const text = `{"ts":${base.ts},"source":"s","metric":"m","value":${raw}}`;
    const e = rejection(decoder.decodeSync(Buffer.from(text)));
    expect(e).toMatchObject({ code, field: 'value' });
    expect(e.message).toMatch(/^field 'value' must be a finite number, got /);
  });

  it('names the offending value in the message', () => {
    expect(rejection(decoder.decodeSync(json({ ...base, value: 'NaN' }))).message).toBe(
      'field \'value\' must be a finite number, got "NaN"',
    );
  });

  it.each([
    ['1970 (epoch 0)', 0],
    ['1970 (epoch seconds)', 1_700_000_000],
    ['the year 3000', Date.UTC(3000, 0, 1)],
    ['just above maxTs', 4102444800001],
  ])('rejects ts in %s as TS_OUT_OF_RANGE', (_name, ts) => {
    const e = rejection(decoder.decodeSync(json({ ...base, ts })));
    expect(e).toMatchObject({ code: 'TS_OUT_OF_RANGE', field: 'ts' });
    expect(e.message).toContain(String(ts));
  });

  it('hints at epoch seconds', () => {
    expect(rejection(decoder.decodeSync(json({ ...base, ts: 1_700_000_000 }))).message).toContain('epoch seconds');
  });

  it('accepts the range bounds and an ISO-8601 ts with a zone', () => {
    for (const ts of [1e12, 4102444800000]) {
      expect(decoder.decodeSync(json({ ...base, ts })).status).toBe('ok');
    }
    const iso = decoder.decodeSync(json({ ...base, ts: '2024-05-01T14:00:01.234+02:00' }));
    expect(iso).toMatchObject({ status: 'ok', value: { ts: Date.UTC(2024, 4, 1, 12, 0, 1, 234) } });
  });

  it.each([
    ['a fractional ts', 1.7e12 + 0.5],
    ['a zone-less ISO string', '2024-05-01T12:00:00'],
    ['a date only', '2024-05-01'],
    ['a numeric string', '1714564800000'],
    ['a boolean', true],
  ])('rejects %s as INVALID_FIELD', (_name, ts) => {
    expect(rejection(decoder.decodeSync(json({ ...base, ts })))).toMatchObject({ code: 'INVALID_FIELD', field: 'ts' });
  });

  it.each([
    ['an empty source', { source: '' }, 'source'],
    ['a numeric source', { source: 7 }, 'source'],
    ['an overlong metric', { metric: 'm'.repeat(257) }, 'metric'],
  ])('rejects %s', (_name, patch, field) => {
    expect(rejection(decoder.decodeSync(json({ ...base, ...patch })))).toMatchObject({ code: 'INVALID_FIELD', field });
  });

  it('rejects too many tags', () => {
    const tags = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
    const e = rejection(decoder.decodeSync(json({ ...base, tags })));
    expect(e).toMatchObject({ code: 'TOO_MANY_TAGS', field: 'tags' });
    expect(e.message).toBe('record has 33 tags, the limit is 32');
  });

  it('rejects a huge tag value and a huge tag key', () => {
    const value = rejection(decoder.decodeSync(json({ ...base, tags: { tenant: 'x'.repeat(257) } })));
    expect(value).toMatchObject({ code: 'TAG_TOO_LARGE', field: 'tags.tenant' });
    expect(value.message).toContain('257 characters');
    const key = rejection(decoder.decodeSync(json({ ...base, tags: { ['k'.repeat(300)]: 'v' } })));
    expect(key.code).toBe('TAG_TOO_LARGE');
  });

  it.each([
    ['a non-string tag value', { tags: { n: 5 } }, 'tags.n'],
    ['an array of tags', { tags: ['a'] }, 'tags'],
    ['a __proto__ tag', { tags: JSON.parse('{"__proto__":"x"}') as unknown }, 'tags'],
  ])('rejects %s', (_name, patch, field) => {
    expect(rejection(decoder.decodeSync(json({ ...base, ...patch })))).toMatchObject({ code: 'INVALID_FIELD', field });
  });

  it('defaults missing or null tags to {} and ignores unknown fields', () => {
    const { tags: _t, ...rest } = base;
    expect(decoder.decodeSync(json({ ...rest, extra: 1 }))).toMatchObject({ status: 'ok', value: { tags: {} } });
    expect(decoder.decodeSync(json({ ...rest, tags: null }))).toMatchObject({ status: 'ok', value: { tags: {} } });
  });

  it('applies configured limits', () => {
    const strict = createTelemetryDecoder({ limits: { maxTags: 1, minTs: 0 } });
    expect(strict.limits.maxTags).toBe(1);
    expect(rejection(strict.decodeSync(json(base))).code).toBe('TOO_MANY_TAGS');
    expect(strict.decodeSync(json({ ...base, ts: 5, tags: {} })).status).toBe('ok');
  });
});

describe('telemetry encoders', () => {
  it('refuse invalid telemetry', async () => {
    const { avro } = await setup();
    const caught = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(caught(() => encodeTelemetryJson({ ...sample, value: NaN }))).toMatchObject({ code: 'NON_FINITE_VALUE' });
    expect(caught(() => avro.encode({ ...sample, source: '' }))).toMatchObject({
      code: 'INVALID_FIELD',
      field: 'source',
    });
  });
});
