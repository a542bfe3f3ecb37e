/**
 * kafkajs's DefaultPartitioner (Java's: murmur2 of the key, modulo the partition count) with a
 * murmur2 in 32-bit integer arithmetic. kafkajs computes the hash through its BigInt-backed
 * Long, a few allocations per four bytes of key, and filters the partition list for every
 * message: at a final signal per record or two (a fleet reporting once a window), that was
 * about 6 µs of every output record (docs/benchmarks.md, "The fleet shape"). Same partition
 * for every key: a keyed record still lands where a Java client would put it.
 */
import './kafkajs-patches'; // before kafkajs loads: its producer's grouping, fixed (kafkajs-patches.ts)
import { Partitioners, type ICustomPartitioner, type PartitionerArgs } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Java's `org.apache.kafka.common.utils.Utils.murmur2`: the low 32 bits of each step are all the
 * 64-bit Long version keeps (products and xors carry no high bits down), so `Math.imul` gives
 * the same signed int.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last one to three bytes (Java's switch falls through from case 3 to case 1).
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) {
    h ^= data[whole];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** A string key's UTF-8 bytes, as `Buffer.from(key)` gives them, in a buffer reused while keys fit it. */
const scratch = { buf: Buffer.allocUnsafe(1024) };

function keyBytes(key: Buffer | string): Uint8Array {
  if (typeof key !== 'string') return key;
  // Worst case 3 bytes per UTF-16 unit (a lone surrogate becomes U+FFFD, 3 bytes).
  if (key.length * 3 > scratch.buf.length) return Buffer.from(key);
  const n = scratch.buf.write(key, 0, 'utf8');
  return scratch.buf.subarray(0, n);
}

/**
 * The partitioner: a message's own partition, else the key's murmur2 (as kafkajs's
 * DefaultPartitioner), else kafkajs's own round robin over the partitions with a leader.
 */
export const FastDefaultPartitioner: ICustomPartitioner = () => {
  const keyless = Partitioners.DefaultPartitioner();
  return (args: PartitionerArgs): number => {
    const { message, partitionMetadata } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key === null || key === undefined) return keyless(args);
    return (murmur2(keyBytes(key)) & 0x7fffffff) % partitionMetadata.length;
  };
};
