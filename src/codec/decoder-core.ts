/**
 * Format detection and the decode path shared by every record decoder:
 * first byte 0x00 → Confluent-framed Avro; first non-whitespace byte `{` → UTF-8 JSON;
 * anything else → NOT_DECODABLE. Bad input comes back as a value (`status: 'invalid'`),
 * never as an exception, so a consumer loop can route it to the DLQ and move on.
 */
import { isUtf8 } from 'node:buffer';
import type { Type } from 'avsc';
import { InputError } from '../errors';
import { guardAvro, type GuardFailure, type GuardResult } from './avro-guard';
import { HEADER_SIZE, MAGIC_BYTE, hex2, truncatedHeader } from './framing';
import { createWriterCache, type SchemaLookup, type WriterCache } from './writer-cache';

/** Which encodings a decoder accepts. `auto` (default) detects per record. */
export type WireFormat = 'auto' | 'avro' | 'json';

export type DecodeResult<T> =
  | { readonly status: 'ok'; readonly value: T; readonly format: 'avro' | 'json' }
  | { readonly status: 'invalid'; readonly error: InputError }
  /** The record is Avro with a schema id not loaded yet: `await loadSchema(schemaId)`, then decode again. */
  | { readonly status: 'schema-miss'; readonly schemaId: number };

export interface RecordDecoder<T> {
  /** Synchronous decode; never throws for any input. */
  decodeSync(value: Buffer | null | undefined): DecodeResult<T>;
  /**
   * The record's one-pass reading, when the one-pass reader answers for it: then exactly the
   * `value` decodeSync gives, without the result object around it (a hot loop's per-record
   * allocation). Undefined otherwise — decodeSync then decides (invalid, schema-miss, or ok
   * by the general path). Never throws.
   */
  decodeFast(value: Buffer | null | undefined): T | undefined;
  /**
   * decodeFast of the value at `buf[start..end)`, read where it lies — in the fetch response
   * a record batch was read from — without a Buffer view made for it per record. The same
   * answer as decodeFast of that view. Never throws.
   */
  decodeFastIn(buf: Buffer, start: number, end: number): T | undefined;
  /**
   * Decode, fetching an unknown schema id first. Rejects with an InputError for bad input
   * (route it to the DLQ) and with a retriable HomeostatError (SCHEMA_REGISTRY) when the
   * registry cannot be reached (retry; do not dead-letter).
   */
  decode(value: Buffer | null | undefined): Promise<T>;
  /** Make `schemaId` available to decodeSync. Rejects only on registry transport failure. */
  loadSchema(schemaId: number): Promise<void>;
  /** Schema ids with a usable cached writer schema, ascending. */
  cachedSchemaIds(): number[];
}

export interface DecoderCoreOptions<T> {
  /** What the records are, for messages ("telemetry", "command", ...). */
  what: string;
  reader: Type;
  lookup: SchemaLookup | undefined;
  format: WireFormat;
  maxRecordBytes: number;
  negativeCacheSize?: number;
  /** Turn a decoded Avro value (already shaped by the reader schema) into T. */
  fromAvro: (decoded: unknown) => T | InputError;
  /** Turn a parsed JSON object into T. */
  fromJson: (parsed: Record<string, unknown>) => T | InputError;
  /**
   * A one-pass reader of a body written with the reader's own schema, `buf[start..end)`
   * (reading nothing past `end`): the valid T, or undefined to let the general path (guard,
   * avsc, fromAvro) decide. It must accept only
   * what that path accepts, and give the same T (telemetry-avro-fast.ts).
   */
  fastAvro?: (buf: Buffer, start: number, end: number) => T | undefined;
  /** The same for JSON from its first non-whitespace byte to `end`: the valid T, or undefined (telemetry-json-fast.ts). */
  fastJson?: (buf: Buffer, start: number, end: number) => T | undefined;
}

const OPEN_BRACE = 0x7b;

const GUARD_MESSAGES: Record<GuardFailure, string> = {
  truncated: 'it ends early',
  'negative-length': 'a string, bytes or block length is negative',
  'bad-index': 'a union or enum index is out of range',
  'too-complex': 'an array or map count is larger than the record can hold (or nesting is too deep)',
  'bad-varint': 'a variable-length integer is longer than 10 bytes',
};

function invalid<T>(error: InputError): DecodeResult<T> {
  return { status: 'invalid', error };
}

/** Index of the first byte of buf[from..end) that is not JSON whitespace (after an optional UTF-8 BOM). */
function firstNonWhitespace(buf: Buffer, from = 0, end = buf.length): number {
  let i = end - from >= 3 && buf[from] === 0xef && buf[from + 1] === 0xbb && buf[from + 2] === 0xbf ? from + 3 : from;
  while (i < end) {
    const b = buf[i];
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
    i++;
  }
  return i;
}

function describeStart(buf: Buffer, at: number): string {
  if (at >= buf.length) return 'only whitespace';
  const b = buf[at];
  if (b === 0x5b) return 'a JSON array';
  if (b === 0x22) return 'a JSON string';
  if ((b >= 0x30 && b <= 0x39) || b === 0x2d) return 'a number';
  if (b >= 0x20 && b < 0x7f) return `text starting with '${String.fromCharCode(b)}'`;
  return `a byte 0x${hex2(b)}`;
}

/** Why the guard refused an Avro body (or trailing bytes after it); undefined when it is whole. */
function guardFailure(scan: GuardResult, buf: Buffer, schemaId: number, what: string): InputError | undefined {
  if (scan.end < 0) {
    if (scan.failure === 'truncated') {
      return new InputError(
        'TRUNCATED',
        `Avro body (schema id ${schemaId}) ends early: ${buf.length - HEADER_SIZE} body bytes are not a whole ${what} record`,
      );
    }
    const why = scan.failure === undefined ? 'unreadable' : GUARD_MESSAGES[scan.failure];
    return new InputError('AVRO_DECODE', `Avro body (schema id ${schemaId}) is corrupt at byte ${scan.at}: ${why}`);
  }
  if (scan.end !== buf.length) {
    return new InputError(
      'AVRO_DECODE',
      `Avro body (schema id ${schemaId}) has ${buf.length - scan.end} trailing byte(s) after the ${what} record`,
    );
  }
  return undefined;
}

type FastPath<T> = Pick<RecordDecoder<T>, 'decodeFast' | 'decodeFastIn'>;

/**
 * The one-pass readers behind the same tests as decodeSync and decodeAvro, in the same order:
 * a value they answer for is exactly decodeSync's; any other gets undefined.
 */
function fastPath<T>(options: DecoderCoreOptions<T>, cache: WriterCache): FastPath<T> {
  const { format, maxRecordBytes, fastAvro, fastJson } = options;
  // An Avro value framed at buf[start], of end - start bytes (at least one).
  const fastAvroIn = (buf: Buffer, start: number, end: number): T | undefined => {
    if (fastAvro === undefined || end - start < HEADER_SIZE) return undefined;
    const entry = cache.get(buf.readUInt32BE(start + 1));
    if (entry === undefined || entry instanceof InputError || entry.resolver !== undefined) return undefined;
    return fastAvro(buf, start + HEADER_SIZE, end);
  };

  // A value at buf[from..end) that is not Avro.
  const fastJsonIn = (buf: Buffer, from: number, end: number): T | undefined => {
    if (format === 'avro' || fastJson === undefined) return undefined;
    const start = firstNonWhitespace(buf, from, end);
    return start < end && buf[start] === OPEN_BRACE ? fastJson(buf, start, end) : undefined;
  };

  return {
    decodeFast(value: Buffer | null | undefined): T | undefined {
      if (value === null || value === undefined || value.length === 0 || value.length > maxRecordBytes)
        return undefined;
      if (value[0] === MAGIC_BYTE && format !== 'json') return fastAvroIn(value, 0, value.length);
      return fastJsonIn(value, 0, value.length);
    },
    decodeFastIn(buf: Buffer, start: number, end: number): T | undefined {
      const length = end - start;
      if (!(length > 0) || length > maxRecordBytes) return undefined;
      if (buf[start] === MAGIC_BYTE && format !== 'json') return fastAvroIn(buf, start, end);
      return fastJsonIn(buf, start, end);
    },
  };
}

export function createDecoderCore<T>(options: DecoderCoreOptions<T>): RecordDecoder<T> {
  const { what, reader, format, maxRecordBytes, fromAvro, fromJson, fastAvro, fastJson } = options;
  const cache = createWriterCache({ reader, lookup: options.lookup, negativeCacheSize: options.negativeCacheSize });
  const expected =
    format === 'avro'
      ? 'Confluent-framed Avro (magic byte 0x00)'
      : format === 'json'
        ? 'a UTF-8 JSON object'
        : 'Confluent-framed Avro (magic byte 0x00) or a UTF-8 JSON object';

  const decodeAvro = (buf: Buffer): DecodeResult<T> => {
    if (buf.length < HEADER_SIZE) return invalid(truncatedHeader(buf.length));
    const schemaId = buf.readUInt32BE(1);
    const entry = cache.get(schemaId);
    if (entry === undefined) return { status: 'schema-miss', schemaId };
    if (entry instanceof InputError) return invalid(entry);
    if (fastAvro !== undefined && entry.resolver === undefined) {
      const fast = fastAvro(buf, HEADER_SIZE, buf.length);
      if (fast !== undefined) return { status: 'ok', value: fast, format: 'avro' };
    }
    const refused = guardFailure(guardAvro(entry.writer, buf, HEADER_SIZE), buf, schemaId, what);
    if (refused !== undefined) return invalid(refused);
    let decoded: { value: unknown; offset: number };
    try {
      decoded = reader.decode(buf, HEADER_SIZE, entry.resolver);
    } catch (err) {
      return invalid(
        new InputError(
          'AVRO_DECODE',
          `Avro body (schema id ${schemaId}) cannot be decoded: ${(err as Error).message}`,
          { cause: err },
        ),
      );
    }
    if (decoded.offset !== buf.length) {
      return invalid(new InputError('TRUNCATED', `Avro body (schema id ${schemaId}) is not a whole ${what} record`));
    }
    const out = fromAvro(decoded.value);
    return out instanceof InputError ? invalid(out) : { status: 'ok', value: out, format: 'avro' };
  };

  const decodeJson = (buf: Buffer, start: number): DecodeResult<T> => {
    const fast = fastJson?.(buf, start, buf.length);
    if (fast !== undefined) return { status: 'ok', value: fast, format: 'json' };
    if (!isUtf8(buf)) {
      return invalid(
        new InputError('INVALID_UTF8', `value looks like JSON but is not valid UTF-8 (${buf.length} bytes)`),
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(buf.toString('utf8', start));
    } catch (err) {
      return invalid(
        new InputError('INVALID_JSON', `value is not valid JSON: ${(err as Error).message}`, { cause: err }),
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return invalid(new InputError('NOT_DECODABLE', `value is JSON but not an object; expected a ${what} object`));
    }
    const out = fromJson(parsed as Record<string, unknown>);
    return out instanceof InputError ? invalid(out) : { status: 'ok', value: out, format: 'json' };
  };

  const { decodeFast, decodeFastIn } = fastPath(options, cache);

  const decodeSync = (value: Buffer | null | undefined): DecodeResult<T> => {
    if (value === null || value === undefined) {
      return invalid(new InputError('NOT_DECODABLE', `value is null (a tombstone); expected ${expected}`));
    }
    if (value.length === 0) return invalid(new InputError('NOT_DECODABLE', `value is empty; expected ${expected}`));
    if (value.length > maxRecordBytes) {
      return invalid(
        new InputError('RECORD_TOO_LARGE', `value is ${value.length} bytes, the limit is ${maxRecordBytes}`),
      );
    }
    if (value[0] === MAGIC_BYTE && format !== 'json') return decodeAvro(value);
    if (format === 'avro') {
      return invalid(
        new InputError('BAD_MAGIC_BYTE', `first byte is 0x${hex2(value[0])}, expected the Confluent magic byte 0x00`),
      );
    }
    const start = firstNonWhitespace(value);
    if (start < value.length && value[start] === OPEN_BRACE) return decodeJson(value, start);
    return invalid(new InputError('NOT_DECODABLE', `value is ${describeStart(value, start)}; expected ${expected}`));
  };

  return {
    decodeSync,
    decodeFast,
    decodeFastIn,
    async decode(value: Buffer | null | undefined): Promise<T> {
      let result = decodeSync(value);
      if (result.status === 'schema-miss') {
        await cache.load(result.schemaId);
        result = decodeSync(value);
      }
      if (result.status === 'ok') return result.value;
      if (result.status === 'invalid') throw result.error;
      // load() resolved, so the id is cached now; reaching here is a bug.
      throw new InputError('UNKNOWN_SCHEMA_ID', `schema id ${result.schemaId} could not be loaded`);
    },
    async loadSchema(schemaId: number): Promise<void> {
      await cache.load(schemaId);
    },
    cachedSchemaIds: () => cache.ids(),
  };
}
