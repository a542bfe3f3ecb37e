/**
 * The record schemas of homeostat, loaded from `schemas/*.avsc` at the package root.
 *
 * Both `src/codec/` (ts-jest, tsx) and `dist/codec/` (after build) sit two levels below
 * the package root, so one relative path works for both.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Type } from 'avsc';

export const RECORD_KINDS = [
  'telemetry',
  'command',
  'action-result',
  'outcome',
  'decision',
  'signal',
  'control',
] as const;

/** One record family; `schemas/<kind>.avsc` holds its schema. */
export type RecordKind = (typeof RECORD_KINDS)[number];

/** Absolute path of the `schemas/` directory. */
export const SCHEMA_DIR = path.resolve(__dirname, '../../schemas');

/**
 * Options every homeostat schema is parsed with. Logical types (timestamp-millis) are
 * deliberately not registered, so timestamps decode as plain epoch-ms numbers;
 * `omitRecordMethods` keeps decoded records plain data. A fresh object per parse:
 * avsc stores its registry of named types in the options object it is given.
 */
export function parseOptions(): { omitRecordMethods: true } {
  return { omitRecordMethods: true };
}

const texts = new Map<RecordKind, string>();
const types = new Map<RecordKind, Type>();

export function isRecordKind(value: string): value is RecordKind {
  return (RECORD_KINDS as readonly string[]).includes(value);
}

/** The schema file's text, exactly as shipped (what gets registered with a Schema Registry). */
export function schemaText(kind: RecordKind): string {
  let text = texts.get(kind);
  if (text === undefined) {
    text = readFileSync(path.join(SCHEMA_DIR, `${kind}.avsc`), 'utf8');
    texts.set(kind, text);
  }
  return text;
}

/** The parsed reader type of a record kind (parsed once, then cached). */
export function schemaType(kind: RecordKind): Type {
  let type = types.get(kind);
  if (type === undefined) {
    type = Type.forSchema(JSON.parse(schemaText(kind)) as Parameters<typeof Type.forSchema>[0], parseOptions());
    types.set(kind, type);
  }
  return type;
}

/**
 * Make a type obtained elsewhere (a registry client, a file) usable with our reader types:
 * avsc resolvers need both sides to come from the same avsc module instance, so a type
 * from another copy of avsc is re-parsed from its schema.
 */
export function ownType(type: Type): Type {
  const candidate: Pick<Type, 'schema'> = type;
  if (candidate instanceof Type) return candidate;
  return Type.forSchema(candidate.schema(), parseOptions());
}
