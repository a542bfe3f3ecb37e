/** Validation of run options, shared by the scenarios (errors name the option, the value and the fix). */
import { HomeostatError } from '../errors';
import type { RunOptions } from './types';

/** Longest simulated run accepted: an hour of simulated time is already minutes of CPU. */
export const MAX_DURATION_MS = 3_600_000;

/** The run length to use: `opts.durationMs`, or the scenario's default; throws USAGE when unusable. */
export function checkRunOptions(opts: RunOptions, minMs: number, defaultMs: number): number {
  if (!Number.isInteger(opts.seed)) {
    throw new HomeostatError('USAGE', `seed is ${String(opts.seed)}; pass an integer (e.g. 1)`, { field: 'seed' });
  }
  const d = opts.durationMs ?? defaultMs;
  if (!Number.isFinite(d) || d < minMs || d > MAX_DURATION_MS) {
    throw new HomeostatError(
      'USAGE',
      `durationMs is ${String(d)}; this scenario needs at least ${minMs} ms (its disturbance plus 30 s to recover) and at most ${MAX_DURATION_MS} ms; omit it for the default ${defaultMs} ms`,
      { field: 'durationMs' },
    );
  }
  return Math.ceil(d / 1000) * 1000;
}
