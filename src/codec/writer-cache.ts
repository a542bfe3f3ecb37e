/**
 * Writer schemas per Confluent schema id, resolved against one reader type and cached,
 * so that the decode path is synchronous after the first record of each id. Unknown ids
 * are cached too (bounded), so a stream of garbage ids cannot hammer the registry.
 */
import type { Type } from 'avsc';
import { HomeostatError, InputError } from '../errors';
import type { SchemaResolver } from './resolver';
import { ownType } from './schemas';

type AvroResolver = ReturnType<Type['createResolver']>;

export interface WriterEntry {
  readonly schemaId: number;
  readonly writer: Type;
  /** Undefined when writer and reader have the same canonical form. */
  readonly resolver: AvroResolver | undefined;
}

/** Either a usable writer or the InputError every record with that id gets. */
export type CacheEntry = WriterEntry | InputError;

/** A registry, or just its id → type lookup. */
export type SchemaLookup = Pick<SchemaResolver, 'typeFor'> | ((id: number) => Promise<Type | undefined>);

export interface WriterCache {
  /** Synchronous lookup; undefined means "not loaded yet". */
  get(schemaId: number): CacheEntry | undefined;
  /**
   * Load an id (one registry call per id however many records wait for it). Resolves to
   * the entry; rejects only when the registry cannot be reached (retriable HomeostatError).
   */
  load(schemaId: number): Promise<CacheEntry>;
  /** Ids with a usable writer, ascending. */
  ids(): number[];
}

export interface WriterCacheOptions {
  reader: Type;
  lookup: SchemaLookup | undefined;
  /**
   * How many unknown/unusable ids to remember (oldest forgotten first). Default 1024;
   * 0 asks the registry again for every record with an unknown id.
   */
  negativeCacheSize?: number;
}

export function createWriterCache(options: WriterCacheOptions): WriterCache {
  const { reader, lookup } = options;
  const negativeLimit = options.negativeCacheSize ?? 1024;
  const good = new Map<number, WriterEntry>();
  const bad = new Map<number, InputError>();
  const inflight = new Map<number, Promise<CacheEntry>>();
  const typeFor =
    lookup === undefined ? undefined : typeof lookup === 'function' ? lookup : lookup.typeFor.bind(lookup);
  const readerName = reader.name ?? reader.typeName;

  const remember = (schemaId: number, entry: CacheEntry): CacheEntry => {
    if (entry instanceof InputError) {
      if (negativeLimit <= 0) return entry;
      // Map keeps insertion order: drop the oldest when full.
      if (bad.size >= negativeLimit) bad.delete(bad.keys().next().value as number);
      bad.set(schemaId, entry);
    } else {
      good.set(schemaId, entry);
    }
    return entry;
  };

  const build = (schemaId: number, found: Type | undefined): CacheEntry => {
    if (found === undefined) {
      return new InputError(
        'UNKNOWN_SCHEMA_ID',
        `schema id ${schemaId} is not known to the schema registry; the producer used an id from another registry or a corrupt header`,
      );
    }
    const writer = ownType(found);
    if (writer.equals(reader)) return { schemaId, writer, resolver: undefined };
    try {
      return { schemaId, writer, resolver: reader.createResolver(writer) };
    } catch (err) {
      return new InputError(
        'AVRO_DECODE',
        `writer schema id ${schemaId} (${writer.name ?? writer.typeName}) cannot be read as ${readerName}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  };

  const fetch = async (schemaId: number): Promise<CacheEntry> => {
    if (typeFor === undefined) {
      return remember(
        schemaId,
        new InputError(
          'UNKNOWN_SCHEMA_ID',
          `schema id ${schemaId}: Avro input needs a schema registry and none is configured`,
        ),
      );
    }
    let found: Type | undefined;
    try {
      found = await typeFor(schemaId);
    } catch (err) {
      if (err instanceof InputError) return remember(schemaId, err);
      if (err instanceof HomeostatError) throw err;
      throw new HomeostatError('SCHEMA_REGISTRY', `cannot fetch schema id ${schemaId}: ${(err as Error).message}`, {
        cause: err,
        retriable: true,
      });
    }
    return remember(schemaId, build(schemaId, found));
  };

  return {
    get: (schemaId) => good.get(schemaId) ?? bad.get(schemaId),
    load(schemaId: number): Promise<CacheEntry> {
      const cached = good.get(schemaId) ?? bad.get(schemaId);
      if (cached !== undefined) return Promise.resolve(cached);
      let pending = inflight.get(schemaId);
      if (pending === undefined) {
        pending = fetch(schemaId).finally(() => inflight.delete(schemaId));
        inflight.set(schemaId, pending);
      }
      return pending;
    },
    ids: () => [...good.keys()].sort((a, b) => a - b),
  };
}
