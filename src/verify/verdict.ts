/**
 * The verdict on one finished verification: compare the key signal's value in the
 * triggering window ("before") with its last value in the verification window ("after").
 *
 * Every key signal is "lower is better" (load, latency, retry share, utilisation), so:
 * - improved: after ≤ before × (1 − X), or the signal went from unhealthy to healthy
 *   (schemas/outcome.avsc: "recovered past the policy's recovery threshold");
 * - worsened: after ≥ before × (1 + X);
 * - unchanged: anything in between (the noise band);
 * - inconclusive: no before/after pair for any key signal.
 */
import type { Comparison } from '../model/command';
import type { SignalChange, Verdict } from '../codec/records';
import { fmt } from '../policies/signals';
import type { PendingVerification, ProbeTrack } from './types';

/** Floating-point slack so that exactly X% counts as X% (80 vs 100 is −20%, not −19.999…%). */
const EPS = 1e-12;

/**
 * (after − before) / |before|. A zero before has no scale: no move is 0, any move is
 * ±1 (a full step), so a signal leaving zero counts as a large relative change.
 */
export function relativeChange(before: number, after: number): number {
  if (before === 0) return after === 0 ? 0 : Math.sign(after);
  return (after - before) / Math.abs(before);
}

function holds(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/** The threshold in force for a track: its own, else X below its before value (null: unknown yet). */
export function effectiveThreshold(t: ProbeTrack, x: number): number | null {
  if (t.threshold !== null) return t.threshold;
  return t.before === null ? null : t.before * (1 - x);
}

/** Healthy = the unhealthy condition (`value <comparison> threshold`) no longer holds; null: cannot tell. */
export function isHealthy(t: ProbeTrack, value: number, x: number): boolean | null {
  const threshold = effectiveThreshold(t, x);
  if (threshold === null) return null;
  return !holds(value, t.threshold === null ? '>' : t.comparison, threshold);
}

export interface Judgement {
  verdict: Verdict;
  /** The track the verdict is based on, null when inconclusive. */
  primary: ProbeTrack | null;
  change: number | null;
  timeToRecoveryMs: number | null;
  /** Every key signal with a before and an after value, in probe order. */
  signals: SignalChange[];
  reason: string;
}

const usable = (t: ProbeTrack): t is ProbeTrack & { before: number; after: number } =>
  t.before !== null && t.after !== null;

/** The key signal to judge by: the first probe the command's evidence names, else the first with data. */
export function primaryTrack(v: PendingVerification): ProbeTrack | null {
  const ok = v.probes.filter(usable);
  return ok.find((t) => t.triggered) ?? ok[0] ?? null;
}

function pct(change: number): string {
  const p = change * 100;
  return `${p >= 0 ? '+' : ''}${fmt(p)}%`;
}

export function judge(v: PendingVerification, x: number): Judgement {
  const signals = v.probes.filter(usable).map((t) => ({ signal: t.signal, before: t.before, after: t.after }));
  const primary = primaryTrack(v);
  if (primary === null || primary.before === null || primary.after === null) {
    const why = v.probes.some((t) => t.before !== null)
      ? 'no value of any key signal in the verification window'
      : 'no value of any key signal before the command';
    return {
      verdict: 'inconclusive',
      primary: null,
      change: null,
      timeToRecoveryMs: null,
      signals,
      reason: `inconclusive: ${why} (${v.probes.map((t) => t.signal).join(', ')})`,
    };
  }
  const { before, after } = primary;
  const change = relativeChange(before, after);
  const recovered = isHealthy(primary, before, x) === false && isHealthy(primary, after, x) === true;
  const verdict: Verdict = change <= -x + EPS || recovered ? 'improved' : change >= x - EPS ? 'worsened' : 'unchanged';
  const timeToRecoveryMs = primary.firstHealthyAt === null ? null : primary.firstHealthyAt - v.issuedAt;
  const threshold = effectiveThreshold(primary, x);
  const band = `±${fmt(x * 100)}%`;
  const health =
    threshold === null
      ? ''
      : timeToRecoveryMs === null
        ? `; never healthy (${primary.threshold === null ? '<=' : negate(primary.comparison)} ${fmt(threshold)})`
        : `; healthy after ${timeToRecoveryMs} ms`;
  const why = verdict === 'improved' && change > -x + EPS ? ' (recovered past its threshold)' : '';
  const reason =
    `${verdict}${why}: ${primary.signal} ${fmt(before)} → ${fmt(after)} (${pct(change)}, band ${band}) over ${primary.samples} ` +
    `window(s)${health}`;
  return { verdict, primary, change, timeToRecoveryMs, signals, reason };
}

function negate(c: Comparison): string {
  const map: Record<Comparison, string> = { '>': '<=', '>=': '<', '<': '>=', '<=': '>', '==': '!=', '!=': '==' };
  return map[c];
}
