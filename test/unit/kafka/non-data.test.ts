import { nextAfter, pastNonData, type FetchReport } from '../../../src/kafka/non-data';

const fetch = (firstOffset: string | null, lastOffset: string, batchSize = 0): FetchReport => ({
  topic: 't',
  partition: 0,
  batchSize,
  firstOffset,
  lastOffset,
});

describe('pastNonData', () => {
  test('a fetch of markers only, from where the reader stands, moves it past the last', () => {
    // A commit marker at 3352 and an abort marker at 3353 (a fenced transaction).
    expect(pastNonData(3352n, fetch('3352', '3353'))).toBe(3354n);
    expect(pastNonData(0n, fetch('0', '0'))).toBe(1n);
  });

  test('a fetch that handed records to the reader moves nothing (the reader did)', () => {
    expect(pastNonData(10n, fetch('10', '20', 5))).toBeUndefined();
  });

  test('a fetch from elsewhere proves nothing about the position', () => {
    // From before a seek back, or read ahead of it: offsets in between may hold records.
    expect(pastNonData(100n, fetch('90', '101'))).toBeUndefined();
    expect(pastNonData(100n, fetch('102', '103'))).toBeUndefined();
    expect(pastNonData(100n, fetch(null, '99'))).toBeUndefined();
    expect(pastNonData(-1n, fetch('0', '3'))).toBeUndefined();
  });

  test('never moves a position back', () => {
    expect(pastNonData(5n, fetch('5', '4'))).toBeUndefined();
  });
});

describe('nextAfter', () => {
  // Records at 0, 1, 3, 4; commit markers at 2 and 5: kafkajs's batch.lastOffset() is 5.
  const batch = {
    messages: ['0', '1', '3', '4'].map((offset) => ({ offset })),
    lastOffset: () => '5',
  } as unknown as Parameters<typeof nextAfter>[0];

  test('after the last record of a fetch, past the markers that follow it', () => {
    expect(nextAfter(batch, '4')).toBe(6n);
  });

  test('after a record cut short of the end, just past that record', () => {
    expect(nextAfter(batch, '1')).toBe(2n);
  });

  test('a fetch that ends in a record moves just past it', () => {
    const plain = { messages: [{ offset: '7' }, { offset: '8' }], lastOffset: () => '8' } as unknown as Parameters<
      typeof nextAfter
    >[0];
    expect(nextAfter(plain, '8')).toBe(9n);
  });
});
