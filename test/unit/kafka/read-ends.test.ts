import { ReadEnds } from '../../../src/kafka/read-ends';

const ends = (...parts: [number, number, number][]): ReadEnds =>
  new ReadEnds(parts.map(([partition, low, stable]) => ({ partition, low: BigInt(low), stable: BigInt(stable) })));

test('a quiet spell cannot end a read before every partition has reached its last stable offset', () => {
  const e = ends([0, 0, 100], [1, 0, 50]);
  expect(e.mayStopWhenQuiet).toBe(false);
  // Partition 0 reaches its stable end, an open transaction holding the high watermark above it.
  e.batch(0, 99n, 130n);
  expect(e.done).toBe(false);
  expect(e.mayStopWhenQuiet).toBe(false);
  expect(e.shortOfStable()).toBe('1: at 0 of 50');
  e.batch(1, 20n, 50n);
  expect(e.mayStopWhenQuiet).toBe(false);
  expect(e.shortOfStable()).toBe('1: at 21 of 50');
  // Partition 1 done; partition 0 past its stable end, short of the high watermark: quiet may end it now.
  e.batch(1, 49n, 50n);
  expect(e.mayStopWhenQuiet).toBe(true);
  expect(e.done).toBe(false);
  expect(e.shortOfStable()).toBe('');
});

test('the read is done at the high watermark the first batch reported, markers included', () => {
  const e = ends([0, 0, 10]);
  e.batch(0, 4n, 12n);
  // A later batch's higher watermark (records written since the read began) does not move the end.
  e.batch(0, 9n, 40n);
  expect(e.done).toBe(false);
  e.batch(0, 11n, 40n);
  expect(e.done).toBe(true);
});

test('empty partitions and those whose log starts at the stable end are not waited for', () => {
  expect(ends([0, 0, 0], [1, 7, 7]).done).toBe(true);
  const e = ends([0, 5, 8], [1, 3, 3]);
  expect(e.done).toBe(false);
  expect(e.shortOfStable()).toBe('0: at 5 of 8');
  e.batch(0, 7n, 8n);
  expect(e.done).toBe(true);
});

test('batches of partitions it does not wait for, and stale batches, change nothing', () => {
  const e = ends([0, 0, 10]);
  e.batch(3, 99n, 100n);
  e.batch(0, 6n, 10n);
  e.batch(0, 2n, 10n);
  expect(e.shortOfStable()).toBe('0: at 7 of 10');
});
