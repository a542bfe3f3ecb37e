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

/** One four-byte word `k` (little-endian) mixed into `h`, as murmur2's loop does. */
function mixWord(h: number, k: number): number {
  k = Math.imul(k, M);
  k ^= k >>> 24;
  k = Math.imul(k, M);
  return Math.imul(h, M) ^ k;
}

/** The last one to three bytes (`tail` of them: b0, b1, b2) and the final mix (Java's switch falls through from case 3 to case 1). */
function finish(h: number, tail: number, b0: number, b1: number, b2: number): number {
  if (tail === 3) h ^= b2 << 16;
  if (tail >= 2) h ^= b1 << 8;
  if (tail >= 1) {
    h ^= b0;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Java's `org.apache.kafka.common.utils.Utils.murmur2`: the low 32 bits of each step are all the
 * 64-bit Long version keeps (products and xors carry no high bits down), so `Math.imul` gives
 * the same signed int.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4)
    h = mixWord(h, data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
  return finish(h, length & 3, data[whole], data[whole + 1], data[whole + 2]);
}

/**
 * murmur2 of an ASCII string's bytes — its UTF-16 units, each below 0x80, are its UTF-8 bytes —
 * read from the string itself, with no copy into a buffer; undefined when a unit is not ASCII.
 */
export function murmur2Ascii(key: string): number | undefined {
  const length = key.length;
  let h = SEED ^ length;
  let units = 0; // every unit or-ed together: ASCII when below 0x80
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    const k =
      key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) | (key.charCodeAt(i + 2) << 16) | (key.charCodeAt(i + 3) << 24);
    units |= key.charCodeAt(i) | key.charCodeAt(i + 1) | key.charCodeAt(i + 2) | key.charCodeAt(i + 3);
    h = mixWord(h, k);
  }
  for (let i = whole; i < length; i++) units |= key.charCodeAt(i);
  if (units >= 0x80) return undefined;
  return finish(h, length & 3, key.charCodeAt(whole), key.charCodeAt(whole + 1), key.charCodeAt(whole + 2));
}

/** A string key's UTF-8 bytes, as `Buffer.from(key)` gives them, in a buffer reused while keys fit it. */
const scratch = { buf: Buffer.allocUnsafe(1024) };

function keyBytes(key: string): Uint8Array {
  // Worst case 3 bytes per UTF-16 unit (a lone surrogate becomes U+FFFD, 3 bytes).
  if (key.length * 3 > scratch.buf.length) return Buffer.from(key);
  const n = scratch.buf.write(key, 0, 'utf8');
  return scratch.buf.subarray(0, n);
}

/** murmur2 of a key's bytes: a Buffer's, or a string's UTF-8 (read from the string when ASCII). */
export function keyHash(key: Buffer | string): number {
  if (typeof key !== 'string') return murmur2(key);
  return murmur2Ascii(key) ?? murmur2(keyBytes(key));
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
    return (keyHash(key) & 0x7fffffff) % partitionMetadata.length;
  };
};
