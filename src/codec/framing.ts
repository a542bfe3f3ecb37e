/**
 * Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer,
 * then the Avro binary body.
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
 */
import { HomeostatError, InputError } from '../errors';

export const MAGIC_BYTE = 0;
/** Magic byte + schema id. */
export const HEADER_SIZE = 5;
/** Registry ids are Java ints; only non-negative ones are ever assigned. */
export const MAX_SCHEMA_ID = 0x7fffffff;

export interface Unframed {
  schemaId: number;
  /** The Avro body (a view on the input, not a copy). */
  body: Buffer;
}

export function assertSchemaId(schemaId: number): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > MAX_SCHEMA_ID) {
    throw new HomeostatError(
      'USAGE',
      `schema id must be an integer in [0, ${MAX_SCHEMA_ID}], got ${String(schemaId)}; use the id the Schema Registry returned`,
      { field: 'schemaId' },
    );
  }
}

/** The 5-byte header for a schema id. */
export function frameHeader(schemaId: number): Buffer {
  assertSchemaId(schemaId);
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header[0] = MAGIC_BYTE;
  header.writeUInt32BE(schemaId, 1);
  return header;
}

/** Prefix an Avro body with the Confluent header. */
export function frame(schemaId: number, body: Buffer): Buffer {
  assertSchemaId(schemaId);
  const out = Buffer.allocUnsafe(HEADER_SIZE + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_SIZE);
  return out;
}

/**
 * Split a Confluent-framed value. Throws InputError BAD_MAGIC_BYTE when the first byte
 * is not 0, TRUNCATED when the value is shorter than the header.
 */
export function unframe(buf: Buffer): Unframed {
  if (buf.length === 0) {
    throw new InputError('TRUNCATED', 'value is empty; a Confluent-framed Avro value needs at least 5 header bytes');
  }
  if (buf[0] !== MAGIC_BYTE) {
    throw new InputError('BAD_MAGIC_BYTE', `first byte is 0x${hex2(buf[0])}, expected the Confluent magic byte 0x00`);
  }
  if (buf.length < HEADER_SIZE) {
    throw truncatedHeader(buf.length);
  }
  return { schemaId: buf.readUInt32BE(1), body: buf.subarray(HEADER_SIZE) };
}

export function truncatedHeader(length: number): InputError {
  return new InputError(
    'TRUNCATED',
    `value has ${length} byte(s); a Confluent-framed Avro value needs a 5-byte header (magic byte + 4-byte schema id)`,
  );
}

export function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
