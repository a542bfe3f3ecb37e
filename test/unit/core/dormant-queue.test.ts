/**
 * The dormant list (dormant-queue.ts) replaced a Map<Series, true> whose insertion order was the
 * eviction order: after any run of joins (a series already dormant keeps its place, as Map.set
 * on a present key does) and leaves, the list from its head must be the Map's key order, and
 * the membership bytes must say which ids are in it.
 */
import fc from 'fast-check';
import {
  createDormantQueue,
  joinDormant,
  leaveDormant,
  NONE,
  type DormantQueue,
} from '../../../src/core/dormant-queue';
import { createSeriesNumbers, resetRow, type SeriesNumbers } from '../../../src/core/series-numbers';

const IDS = 24;
type Op = { join: boolean; id: number };
const op: fc.Arbitrary<Op> = fc.record({ join: fc.boolean(), id: fc.nat({ max: IDS - 1 }) });

function listed(sn: SeriesNumbers, q: DormantQueue): number[] {
  const ids: number[] = [];
  for (let id = q.head; id !== NONE; id = sn.dormantNext[id]) ids.push(id);
  return ids;
}

function listedBackwards(sn: SeriesNumbers, q: DormantQueue): number[] {
  const ids: number[] = [];
  for (let id = q.tail; id !== NONE; id = sn.dormantPrev[id]) ids.push(id);
  return ids.reverse();
}

test('the list holds the dormant ids in the order a Map of them would, through joins, re-joins and leaves', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const sn = createSeriesNumbers(2);
      for (let id = 0; id < IDS; id++) resetRow(sn, id);
      const q = createDormantQueue();
      const model = new Map<number, true>();
      for (const o of ops) {
        if (o.join) {
          joinDormant(sn, q, o.id);
          model.set(o.id, true);
        } else {
          leaveDormant(sn, q, o.id);
          model.delete(o.id);
        }
      }
      const expected = [...model.keys()];
      expect(listed(sn, q)).toEqual(expected);
      expect(listedBackwards(sn, q)).toEqual(expected);
      for (let id = 0; id < IDS; id++) expect(sn.dormant[id]).toBe(model.has(id) ? 1 : 0);
    }),
    { numRuns: 500 },
  );
});
