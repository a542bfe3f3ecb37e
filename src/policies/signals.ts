/** Small readers over a target's final signals, shared by the built-in policies. */
import type { WindowSignal } from '../model/signal';

export type SignalStat = 'mean' | 'max' | 'min' | 'p50' | 'p90' | 'p99' | 'p999' | 'ratePerSec' | 'sum' | 'ewma';

/**
 * The worst (largest) `stat` among the target's signals of `metric`, or null when there
 * is none with samples. A worker may have several series of one metric (one per
 * dimension tag value); overload in any of them is overload of the worker.
 */
export function worst(signals: readonly WindowSignal[], metric: string, stat: SignalStat): number | null {
  let out: number | null = null;
  for (const s of signals) {
    if (s.metric !== metric || s.count <= 0) continue;
    const v = s[stat];
    if (Number.isFinite(v) && (out === null || v > out)) out = v;
  }
  return out;
}

/**
 * The total `stat` of `metric` over a target: if two-stage scope aggregates (scope other
 * than `series`) are present they already span every partition and are used alone;
 * otherwise the per-source series are summed. Null when there is no signal.
 */
export function total(signals: readonly WindowSignal[], metric: string, stat: SignalStat): number | null {
  const matching = signals.filter((s) => s.metric === metric && !s.partial);
  if (matching.length === 0) return null;
  const scoped = matching.filter((s) => s.scope !== 'series');
  const use = scoped.length > 0 ? scoped : matching;
  let sum = 0;
  for (const s of use) if (Number.isFinite(s[stat])) sum += s[stat];
  return sum;
}

/** Rounds for human-readable reasons (evidence keeps full precision). */
export function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}
