/**
 * Random variates for the simulators, all drawn from a seeded `RandomFn`
 * (src/client/random.ts), never Math.random.
 */
import { normal, type RandomFn } from '../client/random';

/** Exponential with the given mean (inverse transform): inter-arrival times of a Poisson process. */
export function exponential(random: RandomFn, mean: number): number {
  return -mean * Math.log(1 - random());
}

/**
 * Log-normal with the given median and shape σ: most values near the median, a heavy right
 * tail (mean = median·e^{σ²/2}). Query costs and request sizes are classically log-normal
 * (e.g. Harchol-Balter, "Performance Modeling and Design of Computer Systems", 2013, ch. 20,
 * on heavy-tailed job sizes and why shedding the tail matters).
 */
export function logNormal(random: RandomFn, median: number, sigma: number): number {
  return median * Math.exp(normal(random, 0, sigma));
}

/** Fisher–Yates shuffle of a copy (Knuth, TAOCP vol. 2, Algorithm P). */
export function shuffled<T>(random: RandomFn, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = out[i];
    out[i] = out[j];
    out[j] = tmp;
  }
  return out;
}
