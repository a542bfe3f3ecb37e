import fc from 'fast-check';
import {
  RECORD_KINDS,
  createInMemoryResolver,
  createRecordCodec,
  registerSchema,
  schemaType,
  type RecordKind,
} from '../../../src/codec';
import { InputError } from '../../../src/errors';
import { arbitraryFor } from './avro-arbitrary';
import { samples } from './fixtures';

/** Kinds whose generic codec is schema-only (telemetry adds validation, tested apart). */
const GENERIC = RECORD_KINDS.filter((k): k is Exclude<RecordKind, 'telemetry'> => k !== 'telemetry');

/** Reverse the insertion order of every map/object so determinism cannot rely on it. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).reverse()) out[k] = reversedKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

async function avroDecoder<K extends RecordKind>(kind: K) {
  const resolver = createInMemoryResolver();
  const id = await registerSchema(resolver, kind, `homeostat.${kind}-value`);
  const codec = createRecordCodec(kind);
  const decoder = codec.createDecoder({ resolver });
  await decoder.loadSchema(id);
  return { id, codec, decoder };
}

function decodedOk<T>(
  result: ReturnType<ReturnType<ReturnType<typeof createRecordCodec>['createDecoder']>['decodeSync']>,
): T {
  if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.value as T;
}

describe.each(RECORD_KINDS)('%s record', (kind) => {
  const sample = samples[kind];

  it('round-trips the sample through JSON', () => {
    const codec = createRecordCodec(kind);
    expect(codec.decodeJson(codec.encodeJson(sample as never))).toEqual(sample);
  });

  it('round-trips the sample through framed Avro', async () => {
    const { id, codec, decoder } = await avroDecoder(kind);
    const bytes = codec.encodeAvro(sample, id);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(id);
    expect(decodedOk(decoder.decodeSync(bytes))).toEqual(sample);
  });

  it('encodes deterministically whatever the key insertion order', async () => {
    const { id, codec } = await avroDecoder(kind);
    const shuffled = reversedKeys(sample) as never;
    expect(codec.encodeJson(shuffled).equals(codec.encodeJson(sample as never))).toBe(true);
    expect(codec.encodeAvro(shuffled, id).equals(codec.encodeAvro(sample as never, id))).toBe(true);
  });
});

describe.each(GENERIC)('%s record, property-based', (kind) => {
  const type = schemaType(kind);

  it('decodeJson(encodeJson(v)) equals v, NaN and Infinity included', () => {
    const codec = createRecordCodec(kind);
    fc.assert(
      fc.property(arbitraryFor(type, { nonFinite: true }), (wire) => {
        const value = codec.normalize(wire as never);
        expect(codec.decodeJson(codec.encodeJson(value))).toEqual(value);
      }),
      { numRuns: 200 },
    );
  });

  it('Avro decode(encode(v)) equals v and JSON bytes are stable across a round trip', async () => {
    const { id, codec, decoder } = await avroDecoder(kind);
    fc.assert(
      fc.property(arbitraryFor(type, { nonFinite: true }), (wire) => {
        const value = codec.normalize(wire as never);
        const bytes = codec.encodeAvro(value, id);
        const back = decodedOk(decoder.decodeSync(bytes));
        expect(back).toEqual(value);
        expect(codec.encodeAvro(back as never, id).equals(bytes)).toBe(true);
        expect(codec.encodeJson(back as never).equals(codec.encodeJson(value))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('canonical JSON', () => {
  it('writes fields in schema order, maps sorted, non-finite doubles as strings', () => {
    const codec = createRecordCodec('decision');
    const json = codec
      .encodeJson({
        ...samples.decision,
        evidence: [{ signal: 's', value: NaN, threshold: -Infinity, comparison: '<' }],
      })
      .toString();
    expect(
      json.startsWith(
        '{"id":"d-1","policy":"watermark-quota","policyVersion":"1","target":"tenant-a","kind":"blocked"',
      ),
    ).toBe(true);
    expect(json).toContain('"evidence":[{"signal":"s","value":"NaN","threshold":"-Infinity","comparison":"<"}]');
    // No whitespace between tokens: re-serialising the parsed object gives the same text.
    expect(JSON.stringify(JSON.parse(json))).toBe(json);
    const tags = createRecordCodec('signal')
      .encodeJson({ ...samples.signal, tags: { b: '2', a: '1', B: '0' } })
      .toString();
    expect(tags).toContain('"tags":{"B":"0","a":"1","b":"2"}');
  });

  it('represents an absent WindowSignal sketch as null on the wire and absent in TS', async () => {
    const { sketch: _omit, ...withoutSketch } = samples.signal;
    const codec = createRecordCodec('signal');
    expect(codec.encodeJson(withoutSketch).toString()).toContain('"sketch":null');
    const decoded = codec.decodeJson(codec.encodeJson(withoutSketch));
    expect('sketch' in decoded).toBe(false);
    expect(decoded).toEqual(withoutSketch);
    const { id, decoder } = await avroDecoder('signal');
    const viaAvro = decodedOk<typeof withoutSketch>(decoder.decodeSync(codec.encodeAvro(withoutSketch, id)));
    expect('sketch' in viaAvro).toBe(false);
  });
});

describe('record JSON decoding errors', () => {
  const codec = createRecordCodec('command');
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  function codeOf(fn: () => unknown): { code: string; field: string | undefined; message: string } {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      const e = err as InputError;
      return { code: e.code, field: e.field, message: e.message };
    }
    throw new Error('expected an InputError');
  }

  it('names a missing required field', () => {
    const { id: _id, ...rest } = samples.command;
    const e = codeOf(() => codec.decodeJson(json(rest)));
    expect(e).toMatchObject({ code: 'MISSING_FIELD', field: 'id' });
    expect(e.message).toContain("'id'");
  });

  it('names a nested field of the wrong type', () => {
    const bad = { ...samples.command, params: { ...samples.command.params, timeoutMs: '800' } };
    const e = codeOf(() => codec.decodeJson(json(bad)));
    expect(e).toMatchObject({ code: 'INVALID_FIELD', field: 'params.timeoutMs' });
    expect(e.message).toContain('"800"');
  });

  it('rejects an unknown enum symbol, listing the accepted ones', () => {
    const e = codeOf(() => codec.decodeJson(json({ ...samples.command, mode: 'yolo' })));
    expect(e).toMatchObject({ code: 'INVALID_FIELD', field: 'mode' });
    expect(e.message).toContain('shadow, canary, enforce');
  });

  it('fills defaults for fields an older producer did not send and ignores unknown fields', () => {
    const { evidence: _e, ...old } = samples.command;
    const params = { timeoutMs: 800 };
    const decoded = codec.decodeJson(json({ ...old, params, futureField: 1 }));
    expect(decoded.evidence).toEqual([]);
    expect(decoded.params).toEqual({
      ...samples.command.params,
      ...Object.fromEntries(Object.keys(samples.command.params).map((k) => [k, null])),
      extra: {},
      timeoutMs: 800,
    });
    expect('futureField' in decoded).toBe(false);
  });

  it('refuses longs beyond ±2^52, which avsc cannot write exactly (regression)', () => {
    const control = createRecordCodec('control');
    const sample = samples.control;
    expect(codeOf(() => control.encodeAvro({ ...sample, issuedAt: -(2 ** 52) - 1 }, 1))).toMatchObject({
      code: 'INVALID_FIELD',
      field: 'issuedAt',
    });
    expect(() => control.encodeAvro({ ...sample, issuedAt: -(2 ** 52) }, 1)).not.toThrow();
  });

  it('refuses to encode an invalid record', () => {
    expect(codeOf(() => codec.encodeJson({ ...samples.command, expiresAt: 1.5 }))).toMatchObject({
      code: 'INVALID_FIELD',
      field: 'expiresAt',
    });
    expect(codeOf(() => codec.encodeAvro({ ...samples.command, mode: 'x' as never }, 1))).toMatchObject({
      code: 'INVALID_FIELD',
      field: 'mode',
    });
  });
});
