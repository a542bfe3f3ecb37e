/**
 * Telemetry gaps: a series that reports exactly 0 after a run of non-zero windows. For a latency,
 * 0 ms is not a fast window — no call completed, or none was measured: a loss of the calls or of
 * their telemetry (for a rate, an outage of the traffic or of its reporting). An overload policy
 * has nothing sensible to do about it (a shorter timeout brings no call back), so it does not act,
 * and it must not be made to, to score; the report and the backtest count these windows apart
 * from the actions instead.
 *
 * The rule is causal (it could run live): a window at exactly 0 after `lookback` windows all
 * above 0 — a sparse series, often at 0 (a backend called a few hours a day), never trips it.
 * Pure: no I/O.
 */
import type { WindowSignal } from '../model/signal';

/** Windows of trailing non-zero values an exact 0 must follow to count as a gap (a day of hourly points). */
export const GAP_LOOKBACK = 24;

/** Times of the gaps of one series (points in time order). */
export function zeroGaps(points: readonly { ts: number; value: number }[], lookback = GAP_LOOKBACK): number[] {
  const out: number[] = [];
  let nonZeroRun = 0;
  for (const p of points) {
    if (p.value === 0 && nonZeroRun >= lookback) out.push(p.ts);
    nonZeroRun = p.value > 0 ? nonZeroRun + 1 : 0;
  }
  return out;
}

export interface SeriesGaps {
  key: string;
  source: string;
  metric: string;
  /** Window starts of the gaps. */
  at: number[];
}

/** The gaps of every series in final signals (a window's largest value is 0: every sample was 0). */
export function signalGaps(signals: readonly WindowSignal[], lookback = GAP_LOOKBACK): SeriesGaps[] {
  const bySeries = new Map<string, WindowSignal[]>();
  for (const s of signals) {
    if (s.scope !== 'series' || s.partial || s.count <= 0) continue;
    const list = bySeries.get(s.key) ?? [];
    list.push(s);
    bySeries.set(s.key, list);
  }
  const out: SeriesGaps[] = [];
  for (const [key, list] of bySeries) {
    const points = [...list]
      .sort((a, b) => a.windowStart - b.windowStart)
      .map((s) => ({ ts: s.windowStart, value: s.max }));
    const at = zeroGaps(points, lookback);
    if (at.length > 0) out.push({ key, source: list[0].source, metric: list[0].metric, at });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
