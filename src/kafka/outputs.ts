import type { Message } from 'kafkajs';
import {
  createRecordCodec,
  registerSchema,
  subjectFor,
  type RecordKind,
  type RecordTypes,
  type SchemaResolver,
} from '../codec';

export type OutputFormat = 'avro' | 'json';

/**
 * Encodes records of one kind for one topic: Confluent-framed Avro under the schema
 * registered for `<topic>-value`, or canonical JSON. Both are deterministic, so replay
 * can compare bytes.
 */
export interface OutputEncoder<K extends RecordKind> {
  readonly topic: string;
  readonly format: OutputFormat;
  message(key: string, value: RecordTypes[K]): Message;
  /**
   * `values.map((v) => message(keyOf(v), v))`, the same messages: with Avro written one after
   * the other into one buffer (a transaction's signals, while their objects are still in cache).
   */
  messages(values: readonly RecordTypes[K][], keyOf: (value: RecordTypes[K]) => string): Message[];
}

export async function createOutputEncoder<K extends RecordKind>(
  kind: K,
  topic: string,
  format: OutputFormat,
  resolver: SchemaResolver | undefined,
): Promise<OutputEncoder<K>> {
  const codec = createRecordCodec(kind);
  if (format === 'json') {
    const message = (key: string, value: RecordTypes[K]): Message => ({ key, value: codec.encodeJson(value) });
    return { topic, format, message, messages: (values, keyOf) => values.map((v) => message(keyOf(v), v)) };
  }
  if (!resolver) throw new Error(`Avro output for ${topic} needs a schema registry; set registry.url or use JSON`);
  const id = await registerSchema(resolver, kind, subjectFor(topic));
  return {
    topic,
    format,
    message: (key, value) => ({ key, value: codec.encodeAvro(value, id) }),
    messages(values, keyOf) {
      const encoded = codec.encodeAvroMany(values, id);
      const out: Message[] = new Array<Message>(values.length);
      for (let i = 0; i < values.length; i++) out[i] = { key: keyOf(values[i]), value: encoded[i] };
      return out;
    },
  };
}
