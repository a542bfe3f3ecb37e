/**
 * Whatever bytes arrive, decoding yields a value or an InputError (for the DLQ), never
 * another exception, a hang or a crash of the consumer.
 */
import fc from 'fast-check';
import {
  createInMemoryResolver,
  createRecordCodec,
  createTelemetryAvroEncoder,
  createTelemetryDecoder,
  registerSchema,
  type DecodeResult,
  type RecordDecoder,
} from '../../../src/codec';
import { InputError } from '../../../src/errors';
import { command as commandSample, telemetry as sample } from './fixtures';

function checkResult(result: DecodeResult<unknown>): void {
  if (result.status === 'invalid') expect(result.error).toBeInstanceOf(InputError);
  else expect(['ok', 'schema-miss']).toContain(result.status);
}

async function neverThrowsOtherThanInputError(decoder: RecordDecoder<unknown>, value: Buffer): Promise<void> {
  checkResult(decoder.decodeSync(value));
  try {
    await decoder.decode(value);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
  }
}

describe('decoder fuzzing', () => {
  let id = 0;
  let decoder: RecordDecoder<unknown>;
  let valid: Buffer;

  beforeAll(async () => {
    const resolver = createInMemoryResolver();
    id = await registerSchema(resolver, 'telemetry', 'homeostat.telemetry-value');
    decoder = createTelemetryDecoder({ resolver });
    await decoder.loadSchema(id);
    valid = createTelemetryAvroEncoder(id).encode(sample);
  });

  it('random byte strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 96 }), (bytes) =>
        neverThrowsOtherThanInputError(decoder, Buffer.from(bytes)),
      ),
      { numRuns: 10_000 },
    );
  });

  it('random Avro bodies behind a known schema id', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        checkResult(decoder.decodeSync(Buffer.concat([valid.subarray(0, 5), Buffer.from(bytes)])));
      }),
      { numRuns: 10_000 },
    );
  });

  it('valid Avro records with bytes overwritten', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (edits, cut) => {
          const value = Buffer.from(valid);
          for (const [at, byte] of edits) value[5 + (at % (value.length - 5))] = byte;
          checkResult(decoder.decodeSync(value.subarray(0, value.length - (cut % 3))));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        checkResult(decoder.decodeSync(Buffer.from(JSON.stringify(v) ?? 'null')));
      }),
      { numRuns: 10_000 },
    );
  });

  it('random objects with telemetry field names', () => {
    const anyField = fc.oneof(fc.jsonValue(), fc.constantFrom('NaN', 'Infinity', '2024-05-01T00:00:00Z', 1e12, -0));
    fc.assert(
      fc.property(
        fc.record(
          {
            ts: anyField,
            source: anyField,
            metric: anyField,
            value: anyField,
            tags: fc.oneof(anyField, fc.dictionary(fc.string(), anyField)),
          },
          { requiredKeys: [] },
        ),
        (obj) => {
          checkResult(decoder.decodeSync(Buffer.from(JSON.stringify(obj))));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('random text that starts like JSON', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        checkResult(decoder.decodeSync(Buffer.from(`{${s}`)));
      }),
      { numRuns: 10_000 },
    );
  });

  it('random bodies for a record with arrays, unions and enums (command)', async () => {
    const resolver = createInMemoryResolver();
    const commandId = await registerSchema(resolver, 'command', 'homeostat.actions-value');
    const codec = createRecordCodec('command');
    const commandDecoder = codec.createDecoder({ resolver }) as RecordDecoder<unknown>;
    await commandDecoder.loadSchema(commandId);
    const good = codec.encodeAvro(commandSample, commandId);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, keep) => {
        const prefix = good.subarray(0, 5 + (keep % (good.length - 5)));
        checkResult(commandDecoder.decodeSync(Buffer.concat([prefix, Buffer.from(bytes)])));
        checkResult(
          commandDecoder.decodeSync(
            Buffer.concat([Buffer.from(bytes.subarray(0, 1)), Buffer.from(JSON.stringify(bytes))]),
          ),
        );
      }),
      { numRuns: 5_000 },
    );
  });
});
