/**
 * Telemetry gaps in latency recordings, counted apart from a policy's actions. A latency of
 * exactly 0 ms is not a fast hour: no call completed (or none was measured) — a loss of the calls
 * or of their telemetry. An overload policy has nothing sensible to do about it (cutting a
 * timeout does not bring calls back), so it does not act, and a labelled window whose anomaly is
 * such an hour is out of its reach. The study says so separately instead of hiding it in the
 * acted share or scoring a drop as an action.
 *
 * The rule is causal (it could run live): an hour at exactly 0 after `lookback` windows all above
 * 0. A sparse backend, often at 0, never trips it. Pure: no I/O.
 */
import type { Telemetry } from '../model/telemetry';
import type { LabelledRecords } from './evaluate';
import type { SeriesOutcome } from './study';

/** Hours of trailing non-zero values an exact 0 must follow to count as a gap (a day of hourly points). */
export const GAP_LOOKBACK = 24;

/** Event times of the gaps of one series (records in time order). */
export function zeroGaps(records: readonly Telemetry[], lookback = GAP_LOOKBACK): number[] {
  const out: number[] = [];
  let nonZeroRun = 0;
  for (const r of records) {
    if (r.value === 0 && nonZeroRun >= lookback) out.push(r.ts);
    nonZeroRun = r.value > 0 ? nonZeroRun + 1 : 0;
  }
  return out;
}

export interface GapReport {
  /** Gap times per series (ISO), only series with one. */
  perSeries: Record<string, string[]>;
  /** Hours that are a gap in at least half of the series at once: the service lost its calls or its telemetry. */
  fleetWide: { at: string; series: number }[];
  /** Labelled windows holding a gap hour, of all labelled windows. */
  windowsWithGap: number;
  windows: number;
}

export function gapReport(series: readonly LabelledRecords[]): GapReport {
  const perSeries: Record<string, string[]> = {};
  const count = new Map<number, number>();
  let windowsWithGap = 0;
  let windows = 0;
  for (const s of series) {
    const gaps = zeroGaps(s.records);
    if (gaps.length > 0) perSeries[s.series] = gaps.map((t) => new Date(t).toISOString());
    for (const t of gaps) count.set(t, (count.get(t) ?? 0) + 1);
    windows += s.windows.length;
    windowsWithGap += s.windows.filter((w) => gaps.some((t) => t >= w.start && t <= w.end)).length;
  }
  const fleetWide = [...count.entries()]
    .filter(([, n]) => n * 2 >= series.length)
    .sort((a, b) => a[0] - b[0])
    .map(([t, n]) => ({ at: new Date(t).toISOString(), series: n }));
  return { perSeries, fleetWide, windowsWithGap, windows };
}

/** The outcomes without the labelled windows that hold a gap hour (actions unchanged: one in such a window counts as outside). */
export function withoutGapWindows(
  outcomes: readonly SeriesOutcome[],
  series: readonly LabelledRecords[],
): SeriesOutcome[] {
  const gapsOf = new Map(series.map((s) => [s.series, zeroGaps(s.records)]));
  return outcomes.map((o) => {
    const gaps = gapsOf.get(o.series) ?? [];
    return { ...o, windows: o.windows.filter((w) => !gaps.some((t) => t >= w.start && t <= w.end)) };
  });
}
