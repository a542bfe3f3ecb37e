import type { Type } from 'avsc';
import {
  createInMemoryResolver,
  createTelemetryAvroEncoder,
  createTelemetryDecoder,
  registerSchema,
  schemaType,
} from '../../../src/codec';
import { InputError } from '../../../src/errors';
import { telemetry as sample } from './fixtures';

describe('schema cache behind the decoder', () => {
  it('asks the registry once per id, however many records wait for it', async () => {
    const calls: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const lookup = async (id: number): Promise<Type | undefined> => {
      calls.push(id);
      await gate;
      return id === 7 ? schemaType('telemetry') : undefined;
    };
    const decoder = createTelemetryDecoder({ resolver: lookup });
    const value = createTelemetryAvroEncoder(7).encode(sample);
    expect(decoder.decodeSync(value)).toEqual({ status: 'schema-miss', schemaId: 7 });
    const pending = [decoder.decode(value), decoder.decode(value), decoder.decode(value)];
    release();
    await expect(Promise.all(pending)).resolves.toEqual([sample, sample, sample]);
    expect(calls).toEqual([7]);
    expect(decoder.cachedSchemaIds()).toEqual([7]);
  });

  it('remembers unknown ids (bounded) so garbage ids do not hammer the registry', async () => {
    const calls: number[] = [];
    const decoder = createTelemetryDecoder({
      resolver: (id) => {
        calls.push(id);
        return Promise.resolve(undefined);
      },
      negativeCacheSize: 2,
    });
    const withId = (id: number) => createTelemetryAvroEncoder(id).encode(sample);
    for (const id of [1, 1, 2, 1, 3, 1]) await expect(decoder.decode(withId(id))).rejects.toBeInstanceOf(InputError);
    // 1 is remembered until 3 evicts it (size 2: [1,2] → [2,3]), then asked again.
    expect(calls).toEqual([1, 2, 3, 1]);
  });

  it('asks again for every record when negativeCacheSize is 0', async () => {
    let calls = 0;
    const decoder = createTelemetryDecoder({
      resolver: () => {
        calls++;
        return Promise.resolve(undefined);
      },
      negativeCacheSize: 0,
    });
    const value = createTelemetryAvroEncoder(5).encode(sample);
    for (let i = 0; i < 3; i++)
      await expect(decoder.decode(value)).rejects.toMatchObject({ code: 'UNKNOWN_SCHEMA_ID' });
    expect(calls).toBe(3);
  });

  it('turns a registry transport failure into a retriable SCHEMA_REGISTRY error and does not cache it', async () => {
    let fail = true;
    const decoder = createTelemetryDecoder({
      resolver: {
        typeFor: () => (fail ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve(schemaType('telemetry'))),
      },
    });
    const value = createTelemetryAvroEncoder(3).encode(sample);
    const err: unknown = await decoder.decode(value).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(InputError);
    expect(err).toMatchObject({
      code: 'SCHEMA_REGISTRY',
      retriable: true,
      message: expect.stringContaining('ECONNREFUSED'),
    });
    fail = false;
    await expect(decoder.decode(value)).resolves.toEqual(sample);
  });

  it('accepts an InputError from the resolver as a verdict on the id', async () => {
    const decoder = createTelemetryDecoder({
      resolver: () => Promise.reject(new InputError('UNKNOWN_SCHEMA_ID', 'subject deleted')),
    });
    await expect(decoder.decode(createTelemetryAvroEncoder(9).encode(sample))).rejects.toMatchObject({
      message: 'subject deleted',
    });
  });
});

describe('in-memory resolver', () => {
  it('gives the same id to the same schema under any subject, new ids to new schemas', async () => {
    const r = createInMemoryResolver({ firstId: 100 });
    const a = await registerSchema(r, 'telemetry', 't-value');
    const b = await registerSchema(r, 'telemetry', 'other-value');
    const c = await registerSchema(r, 'command', 'a-value');
    expect([a, b, c]).toEqual([100, 100, 101]);
    expect(r.ids()).toEqual([100, 101]);
    await expect(r.typeFor(101)).resolves.toBeDefined();
    await expect(r.typeFor(5)).resolves.toBeUndefined();
  });

  it('rejects an invalid schema with SCHEMA_REGISTRY', async () => {
    await expect(createInMemoryResolver().idFor('s', '{"type":"record"}')).rejects.toMatchObject({
      code: 'SCHEMA_REGISTRY',
    });
  });
});
