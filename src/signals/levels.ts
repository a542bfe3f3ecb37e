/**
 * Multi-level triggers: a severe deviation acts on one window, a moderate one only once it has
 * persisted. This is the SRE workbook's answer to the trade-off between detection time and
 * precision (Beyer et al., "The Site Reliability Workbook", ch. 5 "Alerting on SLOs",
 * "Multiwindow, Multi-Burn-Rate Alerts": a fast burn pages within minutes, a slow burn only after
 * hours), applied to baseline-relative thresholds: with hourly data a single "k windows over the
 * bar" cannot be both quick on a large step and quiet on a small wobble.
 *
 * A trigger is a plain threshold (trigger.ts: a number, a ratio or robust deviations) or
 * `{ levels: [...] }`, each level a relative threshold plus the consecutive windows it needs.
 * It fires when some level has been exceeded for its number of windows in a row. Per level the
 * count of consecutive windows over it is memory (`LevelRun`), plain JSON in the policy's state,
 * so a restarted process counts on exactly where the old one stopped.
 *
 * Pure: no clock, no I/O; never mutates what it is given.
 */
import type { BaselineSpec, BaselineState } from './baseline';
import {
  describeThreshold,
  resolveThreshold,
  type DeviationThreshold,
  type RatioThreshold,
  type Threshold,
} from './trigger';

/** One level: a relative threshold and the consecutive windows the value must stay above it. */
export type TriggerLevel = (RatioThreshold | DeviationThreshold) & { windows: number };

export interface LevelledTrigger {
  /** Fires when any level has been exceeded for its `windows` in a row. */
  levels: readonly TriggerLevel[];
}

/** What a policy's high watermark can be: a threshold, or levels of them. */
export type Trigger = Threshold | LevelledTrigger;

/** Consecutive windows over each level (same order as the levels), and the end of the last window counted. */
export interface LevelRun {
  readonly end: number;
  readonly runs: readonly number[];
}

export interface LevelVerdict {
  /** Some level has been exceeded for its number of windows. */
  over: boolean;
  /** The value is above at least one level this window (persistence building up, or firing). */
  exceeded: boolean;
  /** The bar to report: the lowest level that fired, else the level needing the fewest windows. */
  high: number;
  /** The lowest resolved level: the calm threshold is never above it. */
  lowest: number;
  /** "3rd window over median + 4 MADσ" when a level needing more than one window fired; else ''. */
  detail: string;
  run: LevelRun;
}

export const isLevelled = (t: Trigger | null): t is LevelledTrigger =>
  t !== null && typeof t === 'object' && 'levels' in t;

/** The thresholds a trigger compares with: the levels' own, or the one threshold. */
export const triggerThresholds = (t: Trigger): readonly Threshold[] => (isLevelled(t) ? t.levels : [t]);

/** For reasons and charts: "median + 8 MADσ ×1 | median + 4 MADσ ×3". */
export function describeTrigger(t: Trigger): string {
  if (!isLevelled(t)) return describeThreshold(t);
  return t.levels.map((l) => `${describeThreshold(l)} ×${l.windows}`).join(' | ');
}

const ordinal = (n: number): string => {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
};

/** A trigger as levels: a plain threshold is one level that fires on its own window. */
const levelsOf = (t: Trigger): readonly { bar: Threshold; windows: number }[] =>
  isLevelled(t) ? t.levels.map((l) => ({ bar: l, windows: l.windows })) : [{ bar: t, windows: 1 }];

/**
 * One window's verdict of a trigger on `value` (a plain threshold is judged as one level of one
 * window), or null while the baseline warms up (nothing counted then). A window that does not
 * follow the last one counted (a gap: the target was silent) starts every count over, as the
 * policies' own streaks do; an old or repeated window (`windowEnd` ≤ the last end) is judged
 * without moving the counts.
 */
export function judgeLevels(
  t: Trigger,
  value: number,
  baseline: BaselineState | undefined,
  spec: BaselineSpec,
  prev: LevelRun | undefined,
  win: { windowStart: number; windowEnd: number },
): LevelVerdict | null {
  const levels = levelsOf(t);
  const bars: number[] = [];
  for (const level of levels) {
    const bar = resolveThreshold(level.bar, baseline, spec);
    if (bar === null) return null;
    bars.push(bar);
  }
  const stale = prev !== undefined && win.windowEnd <= prev.end;
  const contiguous = prev !== undefined && win.windowStart <= prev.end;
  const runs = stale
    ? [...prev.runs]
    : bars.map((bar, i) => (value > bar ? (contiguous ? (prev.runs[i] ?? 0) : 0) + 1 : 0));
  let fired = -1;
  let quickest = 0;
  levels.forEach((level, i) => {
    if (runs[i] >= level.windows && (fired < 0 || bars[i] < bars[fired])) fired = i;
    if (level.windows < levels[quickest].windows) quickest = i;
  });
  const lowest = Math.min(...bars);
  const detail =
    fired >= 0 && levels[fired].windows > 1
      ? `${ordinal(runs[fired])} window over ${describeThreshold(levels[fired].bar)}`
      : '';
  return {
    over: fired >= 0,
    exceeded: value > lowest,
    high: fired >= 0 ? bars[fired] : bars[quickest],
    lowest,
    detail,
    run: stale ? prev : { end: win.windowEnd, runs },
  };
}
