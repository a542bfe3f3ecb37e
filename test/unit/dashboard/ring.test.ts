import fc from 'fast-check';
import { createLruMap, createTimeRing } from '../../../src/dashboard/ring';

describe('time ring', () => {
  test('holds the `capacity` latest distinct times, sorted, each with its last value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer()), { maxLength: 120 }),
        (cap, ops) => {
          const ring = createTimeRing<number>(cap);
          const model = new Map<number, number>();
          for (const [t, v] of ops) {
            ring.upsert(t, v);
            // Model: once evicted (or dropped for being older than a full ring), a time stays out
            // unless it is newer than the oldest held.
            const held = [...model.keys()].sort((a, b) => a - b);
            if (model.has(t) || held.length < cap || t > held[0]) model.set(t, v);
            const sorted = [...model.keys()].sort((a, b) => a - b);
            while (sorted.length > cap) model.delete(sorted.shift()!);
          }
          const expected = [...model.entries()].sort((a, b) => a[0] - b[0]);
          expect(ring.entries()).toEqual(expected);
          expect(ring.size).toBeLessThanOrEqual(cap);
        },
      ),
    );
  });

  test('upsert reports what it did and get finds by time', () => {
    const ring = createTimeRing<string>(2);
    expect(ring.upsert(10, 'a')).toBe('added');
    expect(ring.upsert(10, 'b')).toBe('replaced');
    expect(ring.upsert(20, 'c')).toBe('added');
    expect(ring.upsert(5, 'old')).toBe('dropped');
    expect(ring.upsert(15, 'mid')).toBe('added');
    expect(ring.entries()).toEqual([
      [15, 'mid'],
      [20, 'c'],
    ]);
    expect(ring.get(15)).toBe('mid');
    expect(ring.get(10)).toBeUndefined();
    expect(ring.upsert(Number.NaN, 'x')).toBe('dropped');
    expect([ring.first(), ring.last()]).toEqual([15, 20]);
  });

  test('rejects a capacity that is not a positive integer', () => {
    expect(() => createTimeRing(0)).toThrow(/positive integer/);
    expect(() => createTimeRing(1.5)).toThrow(/positive integer/);
  });
});

describe('LRU map', () => {
  test('never exceeds its capacity and evicts the least recently touched', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.constantFrom('set', 'touch', 'delete'), fc.integer({ min: 0, max: 9 })), {
          maxLength: 80,
        }),
        (cap, ops) => {
          const lru = createLruMap<number, number>(cap);
          let order: number[] = []; // least recent first
          for (const [op, k] of ops) {
            if (op === 'set') {
              const evicted = lru.set(k, k * 2).map(([key]) => key);
              order = [...order.filter((x) => x !== k), k];
              const expected: number[] = [];
              while (order.length > cap) expected.push(order.shift()!);
              expect(evicted).toEqual(expected);
            } else if (op === 'touch') {
              lru.touch(k);
              if (order.includes(k)) order = [...order.filter((x) => x !== k), k];
            } else {
              expect(lru.delete(k)).toBe(order.includes(k));
              order = order.filter((x) => x !== k);
            }
            expect([...lru.keys()]).toEqual(order);
            expect(lru.size).toBeLessThanOrEqual(cap);
          }
        },
      ),
    );
  });
});
