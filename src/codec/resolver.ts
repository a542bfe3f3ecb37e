/**
 * The seam between the codec and a Schema Registry. The codec never does I/O itself:
 * src/kafka/ implements this on @kafkajs/confluent-schema-registry; tests, file replay
 * and the simulator use the in-memory one below.
 */
import { Type } from 'avsc';
import { HomeostatError } from '../errors';
import { parseOptions } from './schemas';

export interface SchemaResolver {
  /**
   * The registry id of `schema` (Avro schema JSON text) under `subject`, registering it
   * if needed. Rejects on transport or compatibility problems.
   */
  idFor(subject: string, schema: string): Promise<number>;
  /**
   * The writer type registered under `id`; `undefined` when the registry has no such id
   * (the record is then routed to the DLQ as UNKNOWN_SCHEMA_ID). Rejects only when the
   * registry cannot be asked (transport): the caller retries, it does not dead-letter.
   */
  typeFor(id: number): Promise<Type | undefined>;
}

export interface InMemoryResolver extends SchemaResolver {
  /** Put a schema under an explicit id (tests that need a known or a foreign id). */
  put(id: number, schema: string | Type): void;
  /** Registered ids, ascending. */
  ids(): number[];
}

/**
 * A Schema Registry in memory, with the registry's id semantics: ids are global, the
 * same schema (by Avro canonical form) gets the same id under any subject, new schemas
 * get the next id starting at `firstId` (default 1).
 */
export function createInMemoryResolver(options: { firstId?: number } = {}): InMemoryResolver {
  let nextId = options.firstId ?? 1;
  const byId = new Map<number, Type>();
  const idByFingerprint = new Map<string, number>();
  const subjects = new Map<string, Set<number>>();

  const parse = (schema: string | Type): Type => {
    if (typeof schema !== 'string') return schema;
    try {
      return Type.forSchema(JSON.parse(schema) as Parameters<typeof Type.forSchema>[0], parseOptions());
    } catch (err) {
      throw new HomeostatError('SCHEMA_REGISTRY', `invalid Avro schema: ${(err as Error).message}`, { cause: err });
    }
  };

  const put = (id: number, schema: string | Type): void => {
    const type = parse(schema);
    byId.set(id, type);
    idByFingerprint.set(type.fingerprint('sha256').toString('hex'), id);
    if (id >= nextId) nextId = id + 1;
  };

  return {
    put,
    ids: () => [...byId.keys()].sort((a, b) => a - b),
    idFor(subject: string, schema: string): Promise<number> {
      try {
        const type = parse(schema);
        const fp = type.fingerprint('sha256').toString('hex');
        let id = idByFingerprint.get(fp);
        if (id === undefined) {
          id = nextId;
          put(id, type);
        }
        let ids = subjects.get(subject);
        if (ids === undefined) subjects.set(subject, (ids = new Set()));
        ids.add(id);
        return Promise.resolve(id);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    typeFor(id: number): Promise<Type | undefined> {
      return Promise.resolve(byId.get(id));
    },
  };
}
