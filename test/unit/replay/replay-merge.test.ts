/**
 * The replay order across partitions: a k-way merge by event time that keeps each partition's
 * own order — per record and over batches, with the same result.
 */
import fc from 'fast-check';
import { mergeBatchesByEventTime, mergeByEventTime } from '../../../src/replay/merge';
import type { ReplayInput } from '../../../src/replay/replay';

function inputs(tss: readonly (number | null)[][]): ReplayInput[][] {
  return tss.map((list, partition) =>
    list.map((ts, offset) =>
      ts === null
        ? { partition, offset, invalid: { code: 'INVALID_JSON' as const, message: 'bad line' } }
        : { partition, offset, record: { ts, source: `s${partition}`, metric: 'm', value: offset, tags: {} } },
    ),
  );
}

async function* batchesOf(xs: readonly ReplayInput[], size: number): AsyncGenerator<ReplayInput[]> {
  for (let i = 0; i < xs.length; i += size) {
    await Promise.resolve(); // a read in between, as from a file
    yield xs.slice(i, i + size);
    if (i % 3 === 0) yield []; // empty batches (a chunk without a complete line) are skipped
  }
}

async function collect(it: AsyncIterable<ReplayInput[]>): Promise<ReplayInput[]> {
  const out: ReplayInput[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

const id = (x: ReplayInput): string => `${x.partition}:${String(x.offset)}`;

describe('mergeByEventTime', () => {
  it('interleaves by event time, ties to the lower partition, invalid inputs as soon as they are at the head', () => {
    const merged = [...mergeByEventTime(inputs([[10, 30, null, 40], [10, 20, 50], []]))].map(id);
    expect(merged).toEqual(['0:0', '1:0', '1:1', '0:1', '0:2', '0:3', '1:2']);
  });

  it('keeps every input once, each partition in its own order, and is time-ordered when the partitions are', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 20 }), { minLength: 1, maxLength: 5 }),
        (lists) => {
          const sorted = lists.map((l) => [...l].sort((a, b) => a - b));
          const merged = [...mergeByEventTime(inputs(sorted))];
          expect(merged.map(id).sort()).toEqual(inputs(sorted).flat().map(id).sort());
          for (let p = 0; p < lists.length; p++) {
            const offsets = merged.filter((x) => x.partition === p).map((x) => Number(x.offset));
            expect(offsets).toEqual(offsets.map((_, i) => i));
          }
          const ts = merged.map((x) => ('record' in x ? x.record.ts : -1));
          expect(ts).toEqual([...ts].sort((a, b) => a - b));
        },
      ),
    );
  });

  it('gives the same order over batches of any size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.option(fc.integer({ min: 0, max: 30 }), { freq: 8 }), { maxLength: 25 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 9 }),
        async (lists, size, outSize) => {
          const ins = inputs(lists);
          const expected = [...mergeByEventTime(ins)].map(id);
          const got = await collect(
            mergeBatchesByEventTime(
              ins.map((xs) => batchesOf(xs, size)),
              outSize,
            ),
          );
          expect(got.map(id)).toEqual(expected);
        },
      ),
    );
  });

  it('closes every source when the consumer stops early', async () => {
    const closed: number[] = [];
    async function* source(p: number): AsyncGenerator<ReplayInput[]> {
      try {
        for (let i = 0; i < 100; i++) {
          await Promise.resolve();
          yield inputs([[i]])
            .flat()
            .map((x) => ({ ...x, partition: p }));
        }
      } finally {
        closed.push(p);
      }
    }
    for await (const b of mergeBatchesByEventTime([source(0), source(1)], 1)) {
      expect(b.length).toBe(1);
      break;
    }
    expect(closed.sort()).toEqual([0, 1]);
  });
});
