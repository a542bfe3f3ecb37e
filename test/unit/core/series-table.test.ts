/**
 * The series table (series-table.ts) against a Map model: after any run of inserts and removes
 * — in small tables whose keys collide, with probe limits that leave series out — every placed
 * series is found by its fields, a removed one is not, a miss is final while nothing is
 * outside, and placed + outside is the number of live series.
 */
import fc from 'fast-check';
import { createSeriesTable, insertSeries, removeSeries, tableSeries } from '../../../src/core/series-table';
import type { InternalState, Series } from '../../../src/core/state';

const DIMS = ['a', 'b'];
const SOURCES = ['s0', 's1', 's2', 's3'];
const METRICS = ['m', 'mm'];
const VALUES = ['x', 'y', undefined];

interface Key {
  source: string;
  metric: string;
  a: string | undefined;
  b: string | undefined;
}
const keyArb: fc.Arbitrary<Key> = fc.record({
  source: fc.constantFrom(...SOURCES),
  metric: fc.constantFrom(...METRICS),
  a: fc.constantFrom(...VALUES),
  b: fc.constantFrom(...VALUES),
});
type Op = { insert: boolean; key: Key };
const opArb: fc.Arbitrary<Op> = fc.record({ insert: fc.boolean(), key: keyArb });

const name = (k: Key): string => `${k.source}|${k.metric}|${k.a}|${k.b}`;
const tagsOf = (k: Key): Record<string, string> => {
  const tags: Record<string, string> = {};
  if (k.a !== undefined) tags.a = k.a;
  if (k.b !== undefined) tags.b = k.b;
  return tags;
};

test('finds every live series by its fields and no removed one, through collisions and probe limits', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 20, maxLength: 300 }), fc.constantFrom(1, 2, 3, 32), (ops, limit) => {
      const st = {
        table: createSeriesTable(limit),
        seriesById: [] as (Series | undefined)[],
      } as unknown as InternalState;
      const model = new Map<string, Series>();
      const freeIds: number[] = [];
      let nextId = 0;
      for (const { insert, key } of ops) {
        const known = model.get(name(key));
        if (insert && known === undefined) {
          const id = freeIds.length > 0 ? (freeIds.pop() as number) : nextId++;
          const se = { id, source: key.source, metric: key.metric, dimsRest: [] } as unknown as Series;
          st.seriesById[id] = se;
          insertSeries(st, se, key.a, key.b);
          model.set(name(key), se);
        } else if (!insert && known !== undefined) {
          removeSeries(st, known);
          st.seriesById[known.id] = undefined;
          freeIds.push(known.id);
          model.delete(name(key));
        }
      }
      const t = st.table;
      expect(t.size + t.outside).toBe(model.size);
      expect(4 * t.size).toBeLessThanOrEqual(3 * (t.mask + 1));
      for (const source of SOURCES)
        for (const metric of METRICS)
          for (const a of VALUES)
            for (const b of VALUES) {
              const key = { source, metric, a, b };
              const found = tableSeries(st, source, metric, tagsOf(key), DIMS);
              const se = model.get(name(key));
              if (se === undefined) expect(found).toBe(-1);
              else if (t.placed[se.id] === 1) expect(found).toBe(se.id);
              else expect(found).toBe(-1);
            }
      if (limit === 32) expect(t.outside).toBe(0);
    }),
    { numRuns: 300 },
  );
});

test('a key that is not a string is never placed, so the Map by key answers for it', () => {
  const st = { table: createSeriesTable(), seriesById: [] as (Series | undefined)[] } as unknown as InternalState;
  const se = { id: 0, source: 7, metric: 'm', dimsRest: [] } as unknown as Series;
  st.seriesById[0] = se;
  insertSeries(st, se, undefined, undefined);
  expect(st.table.outside).toBe(1);
  expect(tableSeries(st, 7 as unknown as string, 'm', {}, [])).toBe(-1);
  removeSeries(st, se);
  expect(st.table.outside).toBe(0);
});
