/** Time-series helpers: per-second ground truth and final window signals → one point per window. */
import type { Point } from '../report';
import type { WindowSignal } from '../model/signal';

/** Simulated start of every run: 2026-01-01T00:00:00Z (fixed, so runs and reports are reproducible). */
export const SIM_START_MS = Date.UTC(2026, 0, 1);

/** Per-second counters of the simulated system, indexed by second since the start. */
export function perSecond(seconds: number): Float64Array {
  return new Float64Array(seconds);
}

/**
 * One point per window (x = window end): `combine` of the per-second values in it —
 * `rate` = sum / window seconds, `sum`, `mean`, `last`.
 */
export function windowed(
  values: Float64Array,
  startMs: number,
  windowMs: number,
  combine: 'rate' | 'sum' | 'mean' | 'last',
): Point[] {
  const per = Math.round(windowMs / 1000);
  const points: Point[] = [];
  for (let i = 0; i + per <= values.length; i += per) {
    let s = 0;
    for (let k = i; k < i + per; k++) s += values[k];
    const v =
      combine === 'rate'
        ? s / (windowMs / 1000)
        : combine === 'sum'
          ? s
          : combine === 'mean'
            ? s / per
            : values[i + per - 1];
    points.push([startMs + (i + per) * 1000, v]);
  }
  return points;
}

/** Ratio of two aligned point series (NaN where the denominator is 0). */
export function ratio(a: readonly Point[], b: readonly Point[]): Point[] {
  return a.map(([x, v], i) => [x, b[i] !== undefined && b[i][1] !== 0 ? v / b[i][1] : NaN] as const);
}

export type SignalStat = 'mean' | 'max' | 'p99' | 'ratePerSec' | 'sum' | 'count';

/**
 * Final signals matching `pick`, one point per window end: `combine` across the matching
 * signals of that window (e.g. the worst worker's queue: `max`; a fleet total: `sum`).
 * Zero-count (zero-fill) signals are skipped unless the stat is a rate or a count.
 */
export function signalSeries(
  finals: readonly WindowSignal[],
  pick: (s: WindowSignal) => boolean,
  stat: SignalStat,
  combine: 'max' | 'mean' | 'sum',
): Point[] {
  const byEnd = new Map<number, number[]>();
  for (const s of finals) {
    if (!pick(s)) continue;
    if (s.count === 0 && stat !== 'ratePerSec' && stat !== 'count' && stat !== 'sum') continue;
    const v = s[stat];
    if (!Number.isFinite(v)) continue;
    const list = byEnd.get(s.windowEnd);
    if (list) list.push(v);
    else byEnd.set(s.windowEnd, [v]);
  }
  return [...byEnd.keys()]
    .sort((a, b) => a - b)
    .map((x) => {
      const vs = byEnd.get(x) as number[];
      const v =
        combine === 'max'
          ? Math.max(...vs)
          : combine === 'sum'
            ? vs.reduce((a, b) => a + b, 0)
            : vs.reduce((a, b) => a + b, 0) / vs.length;
      return [x, v] as const;
    });
}

/** Mean of the points with x in (from, to]. */
export function meanBetween(points: readonly Point[], from: number, to: number): number {
  let s = 0;
  let n = 0;
  for (const [x, v] of points) {
    if (x > from && x <= to && Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}
