/**
 * herd-control's share triggers, relative to the service's own normal. A retry share is only
 * a storm against what the service usually sees: 4 instances behind token buckets of 100 ms
 * reject a third of a Poisson stream in normal operation, and their clients' retries are what
 * turns those rejections into successes. An absolute 20% took that normal for a storm and held
 * a binding budget on the service for good. So the storm threshold is, by default, twice the
 * trailing median retry share (never below the 20% a retry budget allows), and the calm one
 * 1.25× it (never below 5%) — the same baseline pieces adaptive-timeout's latency uses
 * (signals/baseline.ts, signals/trigger.ts).
 *
 * Two baselines per service, both in the policy's checkpointed state: the retry share (what the
 * storm and calm thresholds resolve against) and the error share (what calm under a lease is
 * judged by: under our budget the retry share is held down whatever the errors do, so calm then
 * means the errors are back to *their* normal — not to 5%, which a service that rejects a third
 * of its load in normal operation never reaches). Both are frozen while the service is leased
 * or over a storm trigger (our budget, or the storm, is not the service's normal) and resume
 * after `baseline.windows` frozen windows in a row (a storm that long is the new normal).
 *
 * Pure: no clock, no I/O; never mutates the memory it is given.
 */
import { stepBaseline, type BaselineSpec, type BaselineState } from '../signals/baseline';
import { resolveThreshold, type Threshold } from '../signals/trigger';
import type { HerdControlParams } from './herd-control.config';
import { hysteresisIssue } from './trigger.config';

export interface ShareMemory {
  retry?: BaselineState;
  error?: BaselineState;
}

/** The thresholds of one window; `storm` null while a relative threshold warms up (no verdict). */
export interface ShareThresholds {
  storm: number | null;
  calm: number;
  /** Calm for the error share (under a lease): the calm threshold against the error baseline. */
  errorCalm: number;
}

/** The absolute floor of a threshold: the number itself, or its `atLeast`. */
export function thresholdFloor(t: Threshold): number {
  return typeof t === 'number' ? t : t.atLeast;
}

/** A chart line's name for a share threshold: `storm`, or `storm (floor)` when it is relative. */
export function shareLineName(name: string, t: Threshold): string {
  return typeof t === 'number' ? name : `${name} (floor)`;
}

export function shareBaselineSpec(p: HerdControlParams): BaselineSpec {
  return {
    windows: p.baseline.windows,
    warmupWindows: p.baseline.minWindows,
    alpha: p.baseline.alpha,
    maxFrozenWindows: p.baseline.windows,
  };
}

/**
 * The share thresholds against the service's baselines. Before the baseline is learned a
 * relative storm threshold gives no verdict (a service that starts in a storm is seen by the
 * rate, SLO or an absolute trigger, not by a share it has no normal for); calm falls back to
 * the floor, so a lease set meanwhile (by another trigger) is released only on clearly low shares.
 */
export function resolveShares(p: HerdControlParams, mem: ShareMemory | undefined, spec: BaselineSpec): ShareThresholds {
  const calmFloor = thresholdFloor(p.calm.retryShare);
  return {
    storm: resolveThreshold(p.storm.retryShare, mem?.retry, spec),
    calm: resolveThreshold(p.calm.retryShare, mem?.retry, spec) ?? calmFloor,
    errorCalm: resolveThreshold(p.calm.retryShare, mem?.error, spec) ?? calmFloor,
  };
}

/** The memory after one window's shares; `freeze` (leased or stormy) keeps the baselines as they were. */
export function learnShares(
  mem: ShareMemory | undefined,
  retryShare: number,
  errorShare: number | null,
  freeze: boolean,
  spec: BaselineSpec,
): ShareMemory {
  const out: ShareMemory = { retry: stepBaseline(mem?.retry, retryShare, freeze, spec) };
  if (errorShare !== null) out.error = stepBaseline(mem?.error, errorShare, freeze, spec);
  else if (mem?.error !== undefined) out.error = mem.error;
  return out;
}

/**
 * calm.retryShare must sit below storm.retryShare where the two compare (both numbers, both ratios of
 * one statistic, both deviations of one spread), and so must its floor: a message, else null.
 */
export function shareHysteresisIssue(storm: Threshold, calm: Threshold): string | null {
  const gap = (lw: string, a: number, hw: string, b: number) =>
    `calm.retryShare${lw} (${a}) must be below storm.retryShare${hw} (${b}) so there is a hysteresis gap`;
  if (hysteresisIssue('retryShare', storm, calm) !== null) {
    if (typeof storm === 'number' && typeof calm === 'number') return gap('', calm, '', storm);
    if (typeof storm === 'object' && typeof calm === 'object' && 'ratio' in storm && 'ratio' in calm)
      return gap('.ratio', calm.ratio, '.ratio', storm.ratio);
    if (typeof storm === 'object' && typeof calm === 'object' && 'deviations' in storm && 'deviations' in calm)
      return gap('.deviations', calm.deviations, '.deviations', storm.deviations);
  }
  // Where the baseline is low the floors are the thresholds: they need the gap too.
  const floorOf = (t: Threshold) => (typeof t === 'number' ? '' : '.atLeast');
  const lo = thresholdFloor(calm);
  const hi = thresholdFloor(storm);
  return hi > 0 && lo >= hi ? gap(floorOf(calm), lo, floorOf(storm), hi) : null;
}
