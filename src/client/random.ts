/**
 * Small, fast, seeded pseudo-random generators, so that jitter, simulations and tests
 * are reproducible: the same seed gives the same sequence on every machine.
 *
 * A `RandomFn` has the shape of `Math.random` (a float in [0, 1)), so any code that takes
 * one can be driven by a seeded generator in tests and simulation and by a randomly
 * seeded one in production. Not for cryptography.
 */
import { randomInt } from 'node:crypto';

/** A source of floats uniformly distributed in [0, 1). */
export type RandomFn = () => number;

const TWO_POW_32 = 4294967296;

/**
 * SplitMix-style step, used only to expand one 32-bit seed into well-mixed generator state
 * (seeds 0, 1, 2, ... must not give correlated streams): a golden-ratio Weyl increment
 * followed by MurmurHash3's fmix32 finalizer (Appleby). The construction is SplitMix's
 * (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
 */
function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { state: next, value: z >>> 0 };
}

/**
 * mulberry32 (Tommy Ettinger, public domain; https://gist.github.com/tommyettinger/46a874533244883189143505d203312c):
 * one 32-bit word of state, period 2^32. Fine for short streams; prefer
 * `xoshiro128ss` for long simulations (2^32 draws are reached in seconds).
 */
export function mulberry32(seed: number): RandomFn {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  };
}

/**
 * xoshiro128** (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c):
 * 128 bits of state, period 2^128 − 1, passes BigCrush, and needs only 32-bit integer
 * operations — which is all JavaScript does fast. The seed is expanded with SplitMix32,
 * as the authors recommend, so the state is never all-zero.
 */
export function xoshiro128ss(seed: number): RandomFn {
  let sm = seed >>> 0;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const step = splitmix32(sm);
    sm = step.state;
    words.push(step.value | 0);
  }
  let [s0, s1, s2, s3] = words as [number, number, number, number];
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // unreachable with SplitMix, kept as a guard
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return (result >>> 0) / TWO_POW_32;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The project's default seeded generator (xoshiro128**). */
export function createRandom(seed: number): RandomFn {
  return xoshiro128ss(seed);
}

/**
 * Derive an independent seed for sub-stream `stream` of `seed` (e.g. one per simulated
 * client or run), so results do not depend on the order streams are created in.
 */
export function deriveSeed(seed: number, stream: number): number {
  const a = splitmix32((seed ^ Math.imul(stream | 0, 0x27d4eb2d)) | 0).value;
  return splitmix32(a ^ (stream | 0)).value;
}

/**
 * A non-deterministic 32-bit seed from the OS. Production clients must not share a
 * seed: identical seeds give identical "jitter", which re-synchronizes the herd that
 * jitter exists to break up.
 */
export function randomSeed(): number {
  return randomInt(0, 2 ** 32 - 1) >>> 0;
}

/** Uniform float in [lo, hi) (hi === lo returns lo). */
export function uniform(random: RandomFn, lo: number, hi: number): number {
  return lo + random() * (hi - lo);
}

/** Uniform integer in [0, n). */
export function uniformInt(random: RandomFn, n: number): number {
  return Math.floor(random() * n);
}

/**
 * Normal(mean, sd) by the Box–Muller transform (Box & Muller, 1958). Uses two uniforms
 * per sample and discards the second normal: simpler to keep deterministic than caching.
 */
export function normal(random: RandomFn, mean: number, sd: number): number {
  const u1 = 1 - random(); // (0, 1]: log(0) would be -Infinity
  const u2 = random();
  return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
