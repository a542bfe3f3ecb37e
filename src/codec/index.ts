/** Public surface of the codec: decoding/validation, encoders, framing, schemas, resolver seam. */
export { RECORD_KINDS, SCHEMA_DIR, isRecordKind, schemaText, schemaType, ownType, type RecordKind } from './schemas';
export { MAGIC_BYTE, HEADER_SIZE, MAX_SCHEMA_ID, frame, frameHeader, unframe, type Unframed } from './framing';
export { DEFAULT_TELEMETRY_LIMITS, resolveTelemetryLimits, type TelemetryLimits } from './limits';
export { parseIsoTimestamp } from './iso-time';
export { validateTelemetry } from './validate-telemetry';
export { createInMemoryResolver, type InMemoryResolver, type SchemaResolver } from './resolver';
export type { SchemaLookup } from './writer-cache';
export type { DecodeResult, RecordDecoder, WireFormat } from './decoder-core';
export {
  createTelemetryDecoder,
  createTelemetryAvroEncoder,
  encodeTelemetryJson,
  // The names used in the design brief.
  createTelemetryAvroEncoder as createAvroEncoder,
  encodeTelemetryJson as encodeJson,
  type AvroEncoder,
  type TelemetryDecoder,
  type TelemetryDecoderOptions,
} from './telemetry';
export { createRecordCodec, type RecordCodec, type RecordDecoderOptions } from './record-codec';
export { registerSchema, subjectFor } from './register';
export * from './records';
