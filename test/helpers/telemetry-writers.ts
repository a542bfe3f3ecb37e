/**
 * Avro writers of telemetry for the decoder tests: the reader's own schema, another writer
 * schema the reader resolves, and a registry that knows both (and not a third id).
 */
import avro from 'avsc';
import { frameHeader, schemaType } from '../../src/codec';

export const OWN_ID = 1;
export const EVOLVED_ID = 2;
export const UNKNOWN_ID = 3;

/** The reader's own telemetry schema. */
export const own = schemaType('telemetry');

/**
 * A writer schema the reader resolves: source and metric swapped. Its bytes read as the
 * reader's own schema would still look valid — with the two names exchanged — so a fast path
 * that ignored the resolution would show.
 */
export const evolved = avro.Type.forSchema({
  type: 'record',
  name: 'Telemetry',
  namespace: 'io.homeostat',
  fields: [
    { name: 'ts', type: 'long' },
    { name: 'metric', type: 'string' },
    { name: 'source', type: 'string' },
    { name: 'value', type: 'double' },
    { name: 'tags', type: { type: 'map', values: 'string' } },
  ],
});

/** The registry's answer for a schema id: OWN_ID and EVOLVED_ID known, every other id not. */
export const lookup = (id: number): Promise<avro.Type | undefined> =>
  Promise.resolve(id === OWN_ID ? own : id === EVOLVED_ID ? evolved : undefined);

/** `body` in the registry's wire frame under schema `id`. */
export const frame = (id: number, body: Buffer): Buffer => Buffer.concat([frameHeader(id), body]);
