/**
 * Telemetry gaps (src/replay/gaps.ts: an exact 0 after a run of non-zero windows) of the
 * backtest's labelled series, counted apart from the policy's actions: how many, at once across
 * the series, in which labelled windows, and the outcomes without those windows. Pure: no I/O.
 */
import { zeroGaps } from '../replay/gaps';
import type { LabelledRecords } from './evaluate';
import type { SeriesOutcome } from './study';

export { zeroGaps };

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
