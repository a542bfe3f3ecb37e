/** Registering homeostat's schemas through a SchemaResolver (no I/O here; the resolver does it). */
import type { SchemaResolver } from './resolver';
import { schemaText, type RecordKind } from './schemas';

/**
 * Confluent's default TopicNameStrategy subject for record values: `<topic>-value`.
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#subject-name-strategy
 */
export function subjectFor(topic: string): string {
  return `${topic}-value`;
}

/** Register `schemas/<kind>.avsc` under `subject` and return its id (for encodeAvro / createTelemetryAvroEncoder). */
export function registerSchema(
  resolver: Pick<SchemaResolver, 'idFor'>,
  kind: RecordKind,
  subject: string,
): Promise<number> {
  return resolver.idFor(subject, schemaText(kind));
}
