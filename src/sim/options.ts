/** Validation of run options, shared by the scenarios (errors name the option, the value and the fix). */
import { HomeostatError } from '../errors';
import type { RunOptions } from './types';

/** Longest simulated run accepted: an hour of simulated time is already minutes of CPU. */
export const MAX_DURATION_MS = 3_600_000;

/** Every run must cover its disturbance plus this long, so that recovery can be measured. */
export const RECOVERY_SPAN_MS = 30_000;

/** What a scenario accepts as durationMs: at least its disturbance's end plus RECOVERY_SPAN_MS. */
export interface DurationLimits {
  minMs: number;
  maxMs: number;
  defaultMs: number;
}

export function durationLimits(disturbanceEndMs: number, defaultMs: number): DurationLimits {
  return { minMs: disturbanceEndMs + RECOVERY_SPAN_MS, maxMs: MAX_DURATION_MS, defaultMs };
}

/** The run length to use: `opts.durationMs`, or the scenario's default; throws USAGE when unusable. */
export function checkRunOptions(opts: RunOptions, { minMs, maxMs, defaultMs }: DurationLimits): number {
  if (!Number.isInteger(opts.seed)) {
    throw new HomeostatError('USAGE', `seed is ${String(opts.seed)}; pass an integer (e.g. 1)`, { field: 'seed' });
  }
  const d = opts.durationMs ?? defaultMs;
  if (!Number.isFinite(d) || d < minMs || d > maxMs) {
    throw new HomeostatError(
      'USAGE',
      `durationMs is ${String(d)}; this scenario needs at least ${minMs} ms (its disturbance plus ${RECOVERY_SPAN_MS / 1000} s ` +
        `to recover) and at most ${maxMs} ms; omit it for the default ${defaultMs} ms`,
      { field: 'durationMs' },
    );
  }
  return Math.ceil(d / 1000) * 1000;
}
