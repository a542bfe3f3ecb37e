/**
 * Scoring a policy's actions against labelled incident windows (NAB's combined_windows.json,
 * runs of Microsoft `Label=1` points): which windows it acted in, how soon, and how much it did
 * outside every window. Pure arithmetic on numbers, no I/O.
 *
 * Rules (the same as the report's scoring table states):
 * - windows are inclusive `[start, end]`, like NAB's (Lavin & Ahmad, "Evaluating Real-time
 *   Anomaly Detection Algorithms — the Numenta Anomaly Benchmark", ICMLA 2015,
 *   https://arxiv.org/abs/1510.03336); `earlyMs` optionally widens each window backwards so an
 *   action shortly before a labelled start counts for it (with a negative delay);
 * - a window is acted on when at least one action falls in it; its delay is first action −
 *   start, its lead is end − first action (how much of the incident was still ahead);
 * - an action in no window is "outside" (a candidate false positive); an action in two
 *   overlapping windows counts for both, and is not outside;
 * - means are over the windows acted on (undefined when none was).
 *
 * NAB itself scores with a sigmoid of the position in the window; here the raw delay and lead
 * are reported instead, because for remediation the question is how much of the incident the
 * action still covered, in time units an operator reads.
 */
import type { ScoringSummary } from '../report';

export interface IncidentWindow {
  start: number;
  end: number;
}

export interface TimedAction {
  time: number;
}

export interface WindowScore {
  start: number;
  end: number;
  /** Actions that fell in the (possibly widened) window. */
  actions: number;
  firstActionAt: number | null;
  /** firstActionAt − start (negative only with earlyMs). */
  delayMs: number | null;
  /** end − firstActionAt. */
  leadMs: number | null;
}

export interface Score extends ScoringSummary {
  actions: number;
  /** Actions inside at least one window. */
  actionsInWindows: number;
  perWindow: WindowScore[];
  /** Times of the actions outside every window, ascending. */
  outsideAt: number[];
}

export interface ScoreOptions {
  /** Count actions up to this long before a window's start for that window. Default 0. */
  earlyMs?: number;
}

function mean(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** The figures derived from the windows alone: how many, how many acted on, and the mean delay and lead. */
function windowFigures(
  perWindow: readonly WindowScore[],
): Pick<Score, 'windows' | 'windowsActedOn' | 'meanDelayMs' | 'meanLeadMs'> {
  const acted = perWindow.filter((w) => w.firstActionAt !== null);
  return {
    windows: perWindow.length,
    windowsActedOn: acted.length,
    meanDelayMs: mean(acted.map((w) => w.delayMs as number)),
    meanLeadMs: mean(acted.map((w) => w.leadMs as number)),
  };
}

/** Scores `actions` against `windows` (any order; output windows sorted by start, then end). */
export function scoreActions(
  windows: readonly IncidentWindow[],
  actions: readonly TimedAction[],
  options: ScoreOptions = {},
): Score {
  const early = options.earlyMs ?? 0;
  if (!(Number.isFinite(early) && early >= 0))
    throw new RangeError(`earlyMs must be a finite number ≥ 0 (got ${early})`);
  const ws = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
  const times = actions.map((a) => a.time).sort((a, b) => a - b);
  const perWindow: WindowScore[] = ws.map((w) => ({
    start: w.start,
    end: w.end,
    actions: 0,
    firstActionAt: null,
    delayMs: null,
    leadMs: null,
  }));
  const outsideAt: number[] = [];
  let inside = 0;
  for (const t of times) {
    let hit = false;
    for (const w of perWindow) {
      if (w.start - early > t) break; // sorted by start: no later window can hold t
      if (t > w.end) continue;
      hit = true;
      w.actions++;
      if (w.firstActionAt === null) {
        w.firstActionAt = t;
        w.delayMs = t - w.start;
        w.leadMs = w.end - t;
      }
    }
    if (hit) inside++;
    else outsideAt.push(t);
  }
  return {
    ...windowFigures(perWindow),
    actionsOutsideWindows: outsideAt.length,
    actions: times.length,
    actionsInWindows: inside,
    perWindow,
    outsideAt,
  };
}

/** Adds up several scores (e.g. one per labelled series) into one summary; means weighted by windows acted on. */
export function combineScores(scores: readonly Score[]): Score {
  const perWindow = scores.flatMap((s) => s.perWindow);
  return {
    ...windowFigures(perWindow),
    actionsOutsideWindows: scores.reduce((n, s) => n + s.actionsOutsideWindows, 0),
    actions: scores.reduce((n, s) => n + s.actions, 0),
    actionsInWindows: scores.reduce((n, s) => n + s.actionsInWindows, 0),
    perWindow,
    outsideAt: scores.flatMap((s) => s.outsideAt).sort((a, b) => a - b),
  };
}
