/**
 * Load shapes for the simulated systems: a multiplier of the base rate over time, given as
 * a piecewise-linear profile — [ms after the start, factor] points, linear in between,
 * constant before the first and after the last. A step is two points at the same ms, a
 * ramp two points apart, a diurnal curve many points on a sine. Plain data, so a variant
 * can be described in JSON and sent to a worker thread.
 *
 * Arrivals follow the profile by thinning (Lewis & Shedler, "Simulation of nonhomogeneous
 * Poisson processes by thinning", Naval Research Logistics Quarterly, 1979): candidates
 * at the profile's peak rate, each kept with probability factor(t) ÷ peak.
 */
import type { RandomFn } from '../client/random';
import { exponential } from './dist';

/** [ms after the start, factor] points, ms non-decreasing. */
export type Profile = readonly (readonly [number, number])[];

/** Flat: the base rate throughout. */
export const FLAT: Profile = [[0, 1]];

/** The factor at `ms` after the start. */
export function factorAt(profile: Profile, ms: number): number {
  if (profile.length === 0) return 1;
  if (ms < profile[0][0]) return profile[0][1];
  for (let i = profile.length - 1; i >= 0; i--) {
    const [x0, y0] = profile[i];
    if (ms < x0) continue;
    const next = profile[i + 1];
    if (next === undefined || next[0] === x0) return y0;
    return y0 + ((next[1] - y0) * (ms - x0)) / (next[0] - x0);
  }
  return profile[profile.length - 1][1];
}

/** The highest factor of the profile (the thinning envelope). */
export function peakFactor(profile: Profile): number {
  return profile.reduce((m, [, y]) => Math.max(m, y), 0);
}

/** A step to `factor` from `fromMs` to `toMs`, 1 elsewhere. */
export function stepProfile(fromMs: number, toMs: number, factor: number): Profile {
  return [
    [fromMs, 1],
    [fromMs, factor],
    [toMs, factor],
    [toMs, 1],
  ];
}

/**
 * The next arrival after `from` of a Poisson process whose rate (per ms) is
 * `baseRatePerMs × factorAt(profile, t − startMs)`; Infinity when the rate is 0 from then on.
 */
export function nextArrivalAt(
  random: RandomFn,
  from: number,
  baseRatePerMs: number,
  profile: Profile,
  startMs: number,
): number {
  const peak = baseRatePerMs * peakFactor(profile);
  if (!(peak > 0)) return Infinity;
  let t = from;
  for (let guard = 0; guard < 1_000_000; guard++) {
    t += exponential(random, 1 / peak);
    const rate = baseRatePerMs * factorAt(profile, t - startMs);
    if (rate >= peak || random() * peak < rate) return t;
  }
  return Infinity;
}
