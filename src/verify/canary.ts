/**
 * Canary versus control: the effect of a policy estimated as a difference in differences
 * — the mean relative change of the key signal on treated (canary) targets minus the mean
 * relative change on control targets over the same period. What would have happened
 * anyway (the load passing, a deploy, the time of day) moves both groups and cancels
 * out; what is left is the action's effect (Angrist & Pischke, *Mostly Harmless
 * Econometrics*, 2009, ch. 5; the SRE Workbook's "Canarying Releases",
 * https://sre.google/workbook/canarying-releases/, for comparing a canary to a control
 * population rather than to its own past).
 *
 * "The same period": observations match when their commands were issued at most
 * `matchMs` apart, i.e. their verification windows overlap.
 */
import type { CanaryEffect } from '../codec/records';
import { keepLast } from './track-record';
import type { CanaryObservation, TrackRecordState, VerificationRole } from './types';

export function addObservation(
  r: TrackRecordState,
  role: VerificationRole,
  obs: CanaryObservation,
  cap: number,
): TrackRecordState {
  return role === 'treated'
    ? { ...r, treated: keepLast([...r.treated, obs], cap) }
    : { ...r, control: keepLast([...r.control, obs], cap) };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * The effect on `signal` around `issuedAt` from a policy's observations; null when either
 * group has none in the matching period (no control data, no estimate).
 */
export function canaryEffect(
  r: Pick<TrackRecordState, 'treated' | 'control'>,
  signal: string,
  issuedAt: number,
  matchMs: number,
): CanaryEffect | null {
  const near = (o: CanaryObservation) => o.signal === signal && Math.abs(o.issuedAt - issuedAt) <= matchMs;
  const treated = r.treated.filter(near);
  const control = r.control.filter(near);
  if (treated.length === 0 || control.length === 0) return null;
  const treatedMean = mean(treated.map((o) => o.change));
  const controlMean = mean(control.map((o) => o.change));
  return {
    signal,
    treatedMean,
    controlMean,
    effect: treatedMean - controlMean,
    treatedTargets: new Set(treated.map((o) => o.target)).size,
    controlTargets: new Set(control.map((o) => o.target)).size,
  };
}
