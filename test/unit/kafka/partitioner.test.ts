/**
 * The fast partitioner must put every record where kafkajs's DefaultPartitioner (Java's murmur2)
 * puts it: a keyed record's partition is a contract with every other client of the topic.
 */
import fc from 'fast-check';
import { Partitioners, type PartitionerArgs, type PartitionMetadata } from 'kafkajs';
import { FastDefaultPartitioner, keyHash, murmur2, murmur2Ascii } from '../../../src/kafka/partitioner';

// kafkajs's own murmur2 (the BigInt Long version), the reference.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;

function metadata(n: number): PartitionMetadata[] {
  return Array.from({ length: n }, (_, i) => ({
    partitionErrorCode: 0,
    partitionId: i,
    leader: i % 3,
    replicas: [i % 3],
    isr: [i % 3],
  }));
}

describe('murmur2 and the partitioner', () => {
  it("murmur2 equals kafkajs's (Java's) for byte strings of every length, high bytes included", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 70 }), (bytes) => {
        expect(murmur2(bytes)).toBe(kafkajsMurmur2(Buffer.from(bytes)));
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes an ASCII string from its units as kafkajs hashes its bytes, and leaves any other string to the bytes', () => {
    const ascii = fc.string({
      unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
      maxLength: 70,
    });
    const any = fc.oneof(
      ascii,
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
    );
    fc.assert(
      fc.property(ascii, any, (a, s) => {
        expect(murmur2Ascii(a)).toBe(kafkajsMurmur2(Buffer.from(a)));
        expect(keyHash(s)).toBe(kafkajsMurmur2(Buffer.from(s)));
        expect(murmur2Ascii(s)).toBe(
          s.split('').every((c) => c.charCodeAt(0) < 0x80) ? kafkajsMurmur2(Buffer.from(s)) : undefined,
        );
      }),
      { numRuns: 3000 },
    );
    expect(murmur2Ascii('abcé')).toBeUndefined();
  });

  it('matches Java on known keys', () => {
    // From Apache Kafka's UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/utils).
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, want] of cases) {
      expect(murmur2(Buffer.from(key, 'ascii'))).toBe(want);
      expect(murmur2Ascii(key)).toBe(want);
    }
  });

  it("picks kafkajs's partition for string and Buffer keys, unicode and long ones included, and honours a message's own", () => {
    const fast = FastDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const key = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ minLength: 400, maxLength: 2000 }),
      fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(key, fc.integer({ min: 1, max: 64 }), fc.option(fc.nat(63)), (k, n, own) => {
        const args: PartitionerArgs = {
          topic: 't',
          partitionMetadata: metadata(n),
          message: { key: k, value: null, ...(own === null ? {} : { partition: own }) },
        };
        expect(fast(args)).toBe(reference(args));
      }),
      { numRuns: 3000 },
    );
  });

  it('spreads keyless records over the partitions with a leader, as kafkajs does', () => {
    const fast = FastDefaultPartitioner();
    const partitions = metadata(6).map((p) => (p.partitionId === 2 ? { ...p, leader: -1 } : p));
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++)
      seen.add(fast({ topic: 't', partitionMetadata: partitions, message: { key: null, value: 'v' } }));
    expect([...seen].sort()).toEqual([0, 1, 3, 4, 5]);
  });
});
