/**
 * Encode and decode any homeostat record kind (command, decision, signal, ...) as
 * Confluent-framed Avro or canonical JSON, driven by its schema in schemas/.
 */
import { InputError } from '../errors';
import type { WindowSignal } from '../model/signal';
import { compileAvroSlabWriter, compileAvroWriter } from './avro-write-compiled';
import { compileCanonical } from './canonical-json';
import { createDecoderCore, type RecordDecoder, type WireFormat } from './decoder-core';
import { frame } from './framing';
import { DEFAULT_TELEMETRY_LIMITS } from './limits';
import { normalize } from './normalize';
import { compileNormalizer, NOT_SURE } from './normalize-compiled';
import type { RecordTypes } from './records';
import { schemaType, type RecordKind } from './schemas';
import { createTelemetryDecoder } from './telemetry';
import type { SchemaLookup } from './writer-cache';

export interface RecordDecoderOptions {
  /** Writer schemas by Confluent id. Without it, Avro records are UNKNOWN_SCHEMA_ID. */
  resolver?: SchemaLookup;
  /** Accepted encodings. Default `auto`. */
  format?: WireFormat;
  /** Larger values are RECORD_TOO_LARGE. Default 65536. */
  maxRecordBytes?: number;
  /** How many unknown schema ids to remember (0: ask the registry every time). Default 1024. */
  negativeCacheSize?: number;
}

export interface RecordCodec<T> {
  readonly kind: RecordKind;
  /**
   * Check `value` against the schema and return its canonical plain form (fields in
   * schema order, defaults filled, map keys sorted, as it will decode). Throws InputError.
   */
  normalize(value: T): T;
  /** Canonical JSON bytes (see canonical-json.ts). Throws InputError for invalid values. */
  encodeJson(value: T): Buffer;
  /** Confluent-framed Avro under a registered schema id. Throws InputError for invalid values. */
  encodeAvro(value: T, schemaId: number): Buffer;
  /**
   * `values.map((v) => encodeAvro(v, schemaId))`, the same bytes, written into one buffer (the
   * values are views of it). Throws as encodeAvro does (InputError for an invalid value).
   */
  encodeAvroMany(values: readonly T[], schemaId: number): Buffer[];
  /** Parse JSON bytes; throws InputError. (Use createDecoder for Avro or auto-detection.) */
  decodeJson(value: Buffer): T;
  /** A format-detecting decoder with a schema cache (for telemetry: createTelemetryDecoder). */
  createDecoder(options?: RecordDecoderOptions): RecordDecoder<T>;
}

/** Wire ↔ TS differences per kind: the Avro null of an absent optional property. */
interface Hooks {
  toWire(value: unknown): unknown;
  fromWire(value: unknown): unknown;
}

const asIs = (v: unknown): unknown => v;
const IDENTITY: Hooks = { toWire: asIs, fromWire: asIs };

const SIGNAL_HOOKS: Hooks = {
  // WindowSignal.sketch is optional; on the wire it is ["null","string"] default null.
  toWire: asIs,
  fromWire: (v) => {
    const s = v as WindowSignal & { sketch?: string | null };
    if (s.sketch === null) delete s.sketch;
    return s;
  },
};

const codecs = new Map<RecordKind, RecordCodec<unknown>>();

export function createRecordCodec<K extends RecordKind>(kind: K): RecordCodec<RecordTypes[K]> {
  const cached = codecs.get(kind);
  if (cached !== undefined) return cached as RecordCodec<RecordTypes[K]>;
  type T = RecordTypes[K];
  const type = schemaType(kind);
  const hooks = kind === 'signal' ? SIGNAL_HOOKS : IDENTITY;
  const compiled = compileNormalizer(type);
  // The compiled check-and-copy first; normalize.ts when it is not sure (it then decides and
  // names the field in its error). Both give the same copy of a valid value.
  const check = (value: unknown, json: boolean): unknown => {
    const fast = compiled(value, json);
    return fast === NOT_SURE ? normalize(type, value, '', json) : fast;
  };
  const canonical = (value: T): unknown => check(hooks.toWire(value), false);
  const text = compileCanonical(type);
  // Written in one pass where it is sure; else the canonical copy through avsc, which decides.
  const avro = compileAvroWriter(type);
  const avroSlab = compileAvroSlabWriter(type);
  const avroSlow = (value: T, schemaId: number): Buffer => frame(schemaId, type.toBuffer(canonical(value)));
  const fromParsed = (parsed: unknown, json: boolean): T | InputError => {
    try {
      return hooks.fromWire(check(parsed, json)) as T;
    } catch (err) {
      if (err instanceof InputError) return err;
      throw err;
    }
  };
  const createDecoder = (options: RecordDecoderOptions = {}): RecordDecoder<T> => {
    if (kind === 'telemetry') {
      return createTelemetryDecoder({
        resolver: options.resolver,
        format: options.format,
        negativeCacheSize: options.negativeCacheSize,
        limits: options.maxRecordBytes === undefined ? undefined : { maxRecordBytes: options.maxRecordBytes },
      }) as unknown as RecordDecoder<T>;
    }
    return createDecoderCore<T>({
      what: kind,
      reader: type,
      lookup: options.resolver,
      format: options.format ?? 'auto',
      maxRecordBytes: options.maxRecordBytes ?? DEFAULT_TELEMETRY_LIMITS.maxRecordBytes,
      negativeCacheSize: options.negativeCacheSize,
      fromAvro: (decoded) => fromParsed(decoded, false),
      fromJson: (parsed) => fromParsed(parsed, true),
    });
  };
  let jsonDecoder: RecordDecoder<T> | undefined;

  const codec: RecordCodec<T> = {
    kind,
    normalize: (value) => hooks.fromWire(canonical(value)) as T,
    encodeJson: (value) => Buffer.from(text(canonical(value)), 'utf8'),
    encodeAvro: (value, schemaId) => {
      const fast = avro(hooks.toWire(value), schemaId);
      return fast !== NOT_SURE ? fast : avroSlow(value, schemaId);
    },
    encodeAvroMany(values, schemaId) {
      const written = avroSlab(hooks.toWire === asIs ? values : values.map(hooks.toWire), schemaId);
      const out: Buffer[] = new Array<Buffer>(values.length);
      for (let i = 0; i < values.length; i++) {
        const w = written[i];
        out[i] = w !== NOT_SURE ? w : avroSlow(values[i], schemaId);
      }
      return out;
    },
    decodeJson(value: Buffer): T {
      jsonDecoder ??= createDecoder({ format: 'json', maxRecordBytes: Number.MAX_SAFE_INTEGER });
      const result = jsonDecoder.decodeSync(value);
      if (result.status === 'ok') return result.value;
      if (result.status === 'invalid') throw result.error;
      throw new InputError('NOT_DECODABLE', `expected a JSON ${kind} record`);
    },
    createDecoder,
  };
  codecs.set(kind, codec);
  return codec;
}
