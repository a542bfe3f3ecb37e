/**
 * Per-policy track records: what a policy's enforced actions did, the evidence an
 * operator uses to promote it from canary to enforce (DESIGN.md: "trust is earned").
 * Keyed by policy name and version: the version leaves out mode and canary fraction, so
 * the record survives promotion, and changes with any threshold (docs/policies.md).
 * Pure functions over plain objects; nothing is mutated.
 */
import type { TrackRecordSnapshot, Verdict } from '../codec/records';
import type { TrackRecordState, VerifierState } from './types';

export function recordKey(policy: string, policyVersion: string): string {
  return `${policy}\u001f${policyVersion}`;
}

export function emptyRecord(policy: string, policyVersion: string, at: number): TrackRecordState {
  return {
    policy,
    policyVersion,
    actions: 0,
    improved: 0,
    worsened: 0,
    unchanged: 0,
    inconclusive: 0,
    reverts: 0,
    recoveries: [],
    updatedAt: at,
    treated: [],
    control: [],
  };
}

/** Keeps the last `cap` items of `list` (a bounded reservoir of the most recent). */
export function keepLast<T>(list: readonly T[], cap: number): T[] {
  return list.length <= cap ? [...list] : list.slice(list.length - cap);
}

/** Median of the values; an even count averages the middle two, rounded to whole ms. Null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
}

/** improved / (improved + worsened + unchanged): inconclusive outcomes judge nothing, so they do not count. */
export function successRate(r: Pick<TrackRecordState, 'improved' | 'worsened' | 'unchanged'>): number {
  const decided = r.improved + r.worsened + r.unchanged;
  return decided === 0 ? 0 : r.improved / decided;
}

export function snapshot(r: TrackRecordState): TrackRecordSnapshot {
  return {
    actions: r.actions,
    successRate: successRate(r),
    medianTimeToRecoveryMs: median(r.recoveries),
    reverts: r.reverts,
  };
}

/** The record after one more verified action; a time to recovery enters the median only for improved outcomes. */
export function countOutcome(
  r: TrackRecordState,
  verdict: Verdict,
  timeToRecoveryMs: number | null,
  reverted: boolean,
  at: number,
  reservoir: number,
): TrackRecordState {
  const next: TrackRecordState = {
    ...r,
    actions: r.actions + 1,
    [verdict]: r[verdict] + 1,
    updatedAt: Math.max(r.updatedAt, at),
  };
  if (verdict === 'improved' && timeToRecoveryMs !== null)
    next.recoveries = keepLast([...r.recoveries, timeToRecoveryMs], reservoir);
  if (reverted) next.reverts = r.reverts + 1;
  return next;
}

/** Drops the least recently updated records (ties: by key) until at most `max` remain. */
export function capRecords(records: Record<string, TrackRecordState>, max: number): Record<string, TrackRecordState> {
  const keys = Object.keys(records);
  if (keys.length <= max) return records;
  const order = keys.sort((a, b) => records[a].updatedAt - records[b].updatedAt || (a < b ? -1 : a > b ? 1 : 0));
  const out = { ...records };
  for (const k of order.slice(0, keys.length - max)) delete out[k];
  return out;
}

/** The track record of a policy version, as it would appear in its next outcome (null: none yet). */
export function trackRecordOf(state: VerifierState, policy: string, policyVersion: string): TrackRecordSnapshot | null {
  const r = state.records[recordKey(policy, policyVersion)] as TrackRecordState | undefined;
  return r === undefined ? null : snapshot(r);
}
