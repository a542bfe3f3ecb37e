/**
 * SLO burn rate with multi-window, multi-burn-rate pairs, as the Google SRE workbook alerts
 * ("Alerting on SLOs", https://sre.google/workbook/alerting-on-slos/, recommendation 6): the
 * error budget is 1 − objective; the burn rate over a span is (bad / total) / budget; a pair
 * fires when both its long and its short span burn at least `factor` — the long span makes it
 * significant, the short one makes it stop soon after the incident does. The workbook's pairs
 * for a 30-day SLO are 1 h / 5 min at 14.4× and 6 h / 30 min at 6×; here spans are counted in
 * windows, so the same pairs read `{ long: 12, short: 1, factor: 14.4 }` with 5-minute windows.
 *
 * Pure: no clock, no I/O; the state is plain JSON and never mutated.
 */

export interface BurnPair {
  /** Long span, windows. */
  long: number;
  /** Short span, windows (≤ long). */
  short: number;
  /** Burn rate both spans must reach. */
  factor: number;
}

export interface BurnSpec {
  /** e.g. 0.999: the budget is 0.001 of requests. */
  objective: number;
  pairs: readonly BurnPair[];
}

export interface BurnState {
  /** Per window, newest last: [bad, total]; at most the longest span. */
  readonly windows: readonly (readonly [number, number])[];
}

export const emptyBurn = (): BurnState => ({ windows: [] });

const longest = (spec: BurnSpec): number => spec.pairs.reduce((m, p) => Math.max(m, p.long), 1);

/** The state after one more window with `bad` of `total` requests bad. Non-finite or negative input is ignored. */
export function stepBurn(s: BurnState | undefined, bad: number, total: number, spec: BurnSpec): BurnState {
  const prev = s ?? emptyBurn();
  if (!(Number.isFinite(bad) && Number.isFinite(total) && bad >= 0 && total >= 0)) return prev;
  const keep = longest(spec);
  const windows = [...prev.windows, [Math.min(bad, total), total] as const];
  return { windows: windows.length > keep ? windows.slice(windows.length - keep) : windows };
}

/** Burn rate over the newest `span` windows; null until `span` windows were seen or with no requests. */
export function burnRate(s: BurnState, span: number, objective: number): number | null {
  if (s.windows.length < span) return null;
  let bad = 0;
  let total = 0;
  for (let i = s.windows.length - span; i < s.windows.length; i++) {
    bad += s.windows[i][0];
    total += s.windows[i][1];
  }
  if (total <= 0) return null;
  return bad / total / (1 - objective);
}

export interface BurnVerdict {
  /** Some pair has both spans at or above its factor. */
  firing: boolean;
  /** The highest burn rate of a firing pair's short span (else of any short span), for evidence. */
  rate: number;
  /** The pair's factor (for evidence). */
  factor: number;
  /** Every short span burns under 1: the budget is no longer being eaten faster than it accrues. */
  calm: boolean;
}

export function judgeBurn(s: BurnState, spec: BurnSpec): BurnVerdict {
  let firing = false;
  let rate = 0;
  let factor = spec.pairs[0]?.factor ?? 1;
  let calm = true;
  for (const p of spec.pairs) {
    const long = burnRate(s, p.long, spec.objective);
    const short = burnRate(s, p.short, spec.objective);
    if (short !== null && short >= 1) calm = false;
    if (short === null) calm = false;
    if (long !== null && short !== null && long >= p.factor && short >= p.factor) {
      if (!firing || short > rate) {
        rate = short;
        factor = p.factor;
      }
      firing = true;
    } else if (!firing && short !== null && short > rate) {
      rate = short;
      factor = p.factor;
    }
  }
  return { firing, rate, factor, calm };
}

/**
 * The share of a window's requests above `targetMs`, estimated from its quantiles (the window
 * keeps a sketch, the signal only its quantiles): the quantile level of targetMs, interpolated
 * linearly between (min, 0), (p50, .5), (p90, .9), (p99, .99), (p999, .999), (max, 1).
 */
export function shareOver(
  targetMs: number,
  q: { min: number; p50: number; p90: number; p99: number; p999: number; max: number },
): number {
  const pts: [number, number][] = [
    [q.min, 0],
    [q.p50, 0.5],
    [q.p90, 0.9],
    [q.p99, 0.99],
    [q.p999, 0.999],
    [q.max, 1],
  ];
  if (targetMs < pts[0][0]) return 1;
  if (targetMs >= pts[pts.length - 1][0]) return 0;
  for (let i = 1; i < pts.length; i++) {
    const [x1, l1] = pts[i];
    const [x0, l0] = pts[i - 1];
    if (targetMs < x1) return 1 - (x1 === x0 ? l1 : l0 + ((targetMs - x0) / (x1 - x0)) * (l1 - l0));
  }
  return 0;
}
