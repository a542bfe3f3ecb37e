import { readdirSync } from 'node:fs';
import { RECORD_KINDS, SCHEMA_DIR, schemaText, schemaType } from '../../../src/codec';
import { samples } from './fixtures';

interface FieldSchema {
  name: string;
  type: unknown;
  doc?: string;
  default?: unknown;
}

/** Every record field in a schema, nested records included, with its path. */
function fieldsOf(schema: unknown, path = ''): { path: string; field: FieldSchema }[] {
  if (Array.isArray(schema)) return schema.flatMap((s) => fieldsOf(s, path));
  if (schema === null || typeof schema !== 'object') return [];
  const s = schema as { fields?: FieldSchema[]; items?: unknown; values?: unknown; type?: unknown };
  const own = (s.fields ?? []).flatMap((f) => [
    { path: `${path}${f.name}`, field: f },
    ...fieldsOf(f.type, `${path}${f.name}.`),
  ]);
  return [
    ...own,
    ...fieldsOf(s.items, path),
    ...fieldsOf(s.values, path),
    ...(typeof s.type === 'object' ? fieldsOf(s.type, path) : []),
  ];
}

describe('schemas/*.avsc', () => {
  it('ships exactly one schema per record kind', () => {
    const files = readdirSync(SCHEMA_DIR)
      .filter((f) => f.endsWith('.avsc'))
      .sort();
    expect(files).toEqual(RECORD_KINDS.map((k) => `${k}.avsc`).sort());
  });

  describe.each(RECORD_KINDS)('%s.avsc', (kind) => {
    const schema = JSON.parse(schemaText(kind)) as { namespace: string; doc?: string };
    const fields = fieldsOf(schema);

    it('is a documented record in the io.homeostat namespace', () => {
      expect(schemaType(kind).name).toMatch(/^io\.homeostat\./);
      expect(schema.doc).toEqual(expect.any(String));
    });

    it('documents every field', () => {
      expect(fields.filter(({ field }) => !field.doc).map(({ path }) => path)).toEqual([]);
    });

    it('puts null first in nullable unions and defaults them to null (evolvable)', () => {
      const nullable = fields.filter(
        ({ field }) => Array.isArray(field.type) && (field.type as unknown[]).includes('null'),
      );
      for (const { path, field } of nullable) {
        expect([path, (field.type as unknown[])[0], field.default]).toEqual([path, 'null', null]);
      }
    });

    it('keeps timestamps as long epoch ms (timestamp-millis)', () => {
      const stamps = fields.filter(({ path }) => /(At|Start|End|^ts|Time)$/.test(path) && !/Ms$/.test(path));
      expect(stamps.length).toBeGreaterThan(0);
      for (const { path, field } of stamps) {
        const t = Array.isArray(field.type) ? (field.type as unknown[])[1] : field.type;
        expect([path, t]).toEqual([path, { type: 'long', logicalType: 'timestamp-millis' }]);
      }
    });

    it('has exactly the fields of its TypeScript shape', () => {
      const top = (schemaType(kind) as unknown as { fields: { name: string }[] }).fields.map((f) => f.name).sort();
      expect(top).toEqual(Object.keys(samples[kind]).sort());
    });
  });
});
