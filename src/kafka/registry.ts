import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Type } from 'avsc';
import { ownType, type SchemaResolver } from '../codec';
import { HomeostatError } from '../errors';
import type { RegistryConfig } from '../config/kafka-schema';

/**
 * The codec's SchemaResolver on a Confluent-compatible Schema Registry, through
 * @kafkajs/confluent-schema-registry. Ids are cached for the life of the process: the
 * library caches schemas by id but not `getLatestSchemaId`/register answers, and a
 * registry round trip per record would cap throughput at the registry's latency.
 */
export function createRegistryResolver(config: RegistryConfig): SchemaResolver & { registry: SchemaRegistry } {
  const registry = new SchemaRegistry({
    host: config.url,
    ...(config.username !== undefined ? { auth: { username: config.username, password: config.password ?? '' } } : {}),
  });
  const ids = new Map<string, Promise<number>>();
  const types = new Map<number, Promise<Type | undefined>>();

  return {
    registry,
    idFor(subject, schema) {
      const k = `${subject}\u0000${schema}`;
      let p = ids.get(k);
      if (!p) {
        p = registry
          .register({ type: SchemaType.AVRO, schema }, { subject })
          .then((r) => r.id)
          .catch((err: unknown) => {
            ids.delete(k);
            throw new HomeostatError(
              'SCHEMA_REGISTRY',
              `cannot register the schema under subject ${subject} at ${config.url}: ${(err as Error).message}; ` +
                'is the registry running (npm run services:start) and is the schema compatible?',
              { cause: err, retriable: true },
            );
          });
        ids.set(k, p);
      }
      return p;
    },
    typeFor(id) {
      let p = types.get(id);
      if (!p) {
        p = registry
          .getSchema(id)
          .then((schema) => ownType(schema as unknown as Type))
          .catch((err: unknown) => {
            types.delete(id);
            // Unknown ids are not cached: the id may be registered a moment later.
            if ((err as { status?: number }).status === 404) return undefined;
            throw new HomeostatError(
              'SCHEMA_REGISTRY',
              `cannot fetch schema id ${id} from ${config.url}: ${(err as Error).message}`,
              { cause: err, retriable: true },
            );
          });
        types.set(id, p);
      }
      return p;
    },
  };
}
