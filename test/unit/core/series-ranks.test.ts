/**
 * refreshRanks merges the series created since the last refresh into the kept key order
 * instead of sorting every series again: after any run of creations, kills (a key may come
 * back as a new series) and refreshes, the ranks must order the live series exactly as a
 * sort of their keys does, and the kept order must hold the live series only.
 */
import fc from 'fast-check';
import { refreshRanks } from '../../../src/core/series-index';
import { resetRow } from '../../../src/core/series-numbers';
import { newState, type InternalState, type Series } from '../../../src/core/state';

type Op = { kind: 'add'; key: string } | { kind: 'kill'; pick: number } | { kind: 'refresh' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('add' as const), key: fc.string({ maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kill' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refresh' as const) }) },
);

/** What newSeries and killSeries do to the rank bookkeeping, and nothing else (ids are reused, as there). */
function apply(st: InternalState, live: Map<string, Series>, o: Op): void {
  if (o.kind === 'refresh') return refreshRanks(st);
  if (o.kind === 'add') {
    if (live.has(o.key)) return;
    const id = st.freeIds.length > 0 ? (st.freeIds.pop() as number) : st.seriesById.length;
    resetRow(st.numbers, id);
    const se = { id, key: o.key, alive: true } as unknown as Series;
    live.set(o.key, se);
    st.seriesById[id] = se;
    st.unranked.push(se);
    st.ranksStale = true;
    return;
  }
  const keys = [...live.keys()];
  if (keys.length === 0) return;
  const se = live.get(keys[o.pick % keys.length])!;
  live.delete(se.key);
  se.alive = false;
  st.numbers.rankOf[se.id] = -1;
  st.seriesById[se.id] = undefined;
  st.freeIds.push(se.id);
  st.ranksStale = true;
}

test('ranks order the live series as a sort of their keys, through creations, kills and re-creations', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const st = newState(3);
      const live = new Map<string, Series>();
      for (const o of ops) apply(st, live, o);
      refreshRanks(st);
      const rankOf = (se: Series): number => st.numbers.rankOf[se.id];
      const byKey = [...live.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const byRank = [...live.values()].sort((a, b) => rankOf(a) - rankOf(b));
      expect(byRank.map((s) => s.key)).toEqual(byKey.map((s) => s.key));
      expect(byRank.map(rankOf)).toEqual(byRank.map((_, i) => i));
      expect([...st.rankOrder]).toEqual(byKey.map((s) => s.id));
      expect(st.unranked).toEqual([]);
    }),
    { numRuns: 500 },
  );
});
