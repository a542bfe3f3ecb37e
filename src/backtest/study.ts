/**
 * From per-series scores of every grid point to the study: each point's figures on the part it
 * may be chosen on and on the part it is only scored on, the Pareto front, and the chosen point.
 * Pure arithmetic, no I/O.
 *
 * Splits: `series` alternates the series in name order (1st, 3rd, … choose; 2nd, 4th, … score),
 * so both parts hold unlike series; `time` chooses on the first half of every series' labelled
 * time range and scores on the second (windows and actions by their time).
 *
 * Choice: among the points that meet every aim on the choose part, the one acting on the most
 * windows, then with the fewest outside actions, then the shortest delay, then the lowest index;
 * when none meets the aims, the best balance acted share × (1 − outside share) — recall times
 * precision — with the same tie-breaks. The score part never enters the choice.
 */
import { combineScores, scoreActions, type IncidentWindow, type Score } from '../replay/score';

export interface SeriesOutcome {
  series: string;
  windows: readonly IncidentWindow[];
  /** Times of the policy's actions on this series' target. */
  actions: readonly number[];
}

export interface Aims {
  minActedShare: number;
  maxOutsideShare: number;
  maxDelayWindows: number;
}

export const DEFAULT_AIMS: Aims = { minActedShare: 0.8, maxOutsideShare: 0.25, maxDelayWindows: 2 };

export interface PartFigures {
  series: number;
  windows: number;
  windowsActedOn: number;
  /** windowsActedOn / windows (0 with no window). */
  actedShare: number;
  actions: number;
  actionsOutside: number;
  /** actionsOutside / actions (0 with no action). */
  outsideShare: number;
  /** Mean over the windows acted on, in windows of the data step; null when none was. */
  meanDelayWindows: number | null;
  meanLeadWindows: number | null;
  meetsAims: boolean;
  balance: number;
}

export type SplitKind = 'series' | 'time' | 'none';

export interface Split {
  choose: (o: SeriesOutcome, index: number) => SeriesOutcome | null;
  score: (o: SeriesOutcome, index: number) => SeriesOutcome | null;
}

/**
 * The part of a series on one side of `cutAt`: a window belongs to the side of its start, and an
 * action to the side of the window it falls in (else of its own time), so a window straddling
 * the cut keeps its actions.
 */
function sideOf(o: SeriesOutcome, cutAt: number, early: boolean): SeriesOutcome {
  const before = (w: IncidentWindow) => w.start < cutAt;
  const actionEarly = (t: number) =>
    o.windows.some((w) => before(w) && t >= w.start && t <= w.end) ||
    (t < cutAt && !o.windows.some((w) => !before(w) && t >= w.start && t <= w.end));
  return {
    series: o.series,
    windows: o.windows.filter((w) => before(w) === early),
    actions: o.actions.filter((t) => actionEarly(t) === early),
  };
}

/** The split over series sorted by name; `time` cuts at `cutAt` (epoch ms, from the labelled range of every series). */
export function makeSplit(kind: SplitKind, cutAt = 0): Split {
  if (kind === 'series')
    return { choose: (o, i) => (i % 2 === 0 ? o : null), score: (o, i) => (i % 2 === 1 ? o : null) };
  if (kind === 'time') return { choose: (o) => sideOf(o, cutAt, true), score: (o) => sideOf(o, cutAt, false) };
  return { choose: (o) => o, score: (o) => o };
}

export function figures(outcomes: readonly SeriesOutcome[], windowMs: number, aims: Aims): PartFigures {
  const scores: Score[] = outcomes.map((o) =>
    scoreActions(
      o.windows,
      o.actions.map((time) => ({ time })),
    ),
  );
  const s = combineScores(scores);
  const actedShare = s.windows === 0 ? 0 : s.windowsActedOn / s.windows;
  const outsideShare = s.actions === 0 ? 0 : s.actionsOutsideWindows / s.actions;
  const meanDelayWindows = s.meanDelayMs === undefined ? null : s.meanDelayMs / windowMs;
  const meanLeadWindows = s.meanLeadMs === undefined ? null : s.meanLeadMs / windowMs;
  return {
    series: outcomes.length,
    windows: s.windows,
    windowsActedOn: s.windowsActedOn,
    actedShare,
    actions: s.actions,
    actionsOutside: s.actionsOutsideWindows,
    outsideShare,
    meanDelayWindows,
    meanLeadWindows,
    meetsAims:
      actedShare >= aims.minActedShare &&
      outsideShare <= aims.maxOutsideShare &&
      meanDelayWindows !== null &&
      meanDelayWindows <= aims.maxDelayWindows,
    balance: actedShare * (1 - outsideShare),
  };
}

export interface PointStudy {
  index: number;
  point: Readonly<Record<string, unknown>>;
  choose: PartFigures;
  score: PartFigures;
  all: PartFigures;
  pareto: boolean;
}

/** Figures of one point on each part. `outcomes` must be sorted by series name. */
export function studyPoint(
  index: number,
  point: Readonly<Record<string, unknown>>,
  outcomes: readonly SeriesOutcome[],
  split: Split,
  windowMs: number,
  aims: Aims,
): PointStudy {
  const pick = (f: Split['choose']) => outcomes.map((o, i) => f(o, i)).filter((o): o is SeriesOutcome => o !== null);
  return {
    index,
    point,
    choose: figures(pick(split.choose), windowMs, aims),
    score: figures(pick(split.score), windowMs, aims),
    all: figures(outcomes, windowMs, aims),
    pareto: false,
  };
}

/** Marks the points no other point beats on the choose part in both acted share (higher) and outside share (lower). */
export function markPareto(points: readonly PointStudy[]): PointStudy[] {
  return points.map((p) => {
    const dominated = points.some(
      (q) =>
        q.choose.actedShare >= p.choose.actedShare &&
        q.choose.outsideShare <= p.choose.outsideShare &&
        (q.choose.actedShare > p.choose.actedShare || q.choose.outsideShare < p.choose.outsideShare),
    );
    return { ...p, pareto: !dominated };
  });
}

function better(a: PartFigures, b: PartFigures): number {
  if (a.meetsAims !== b.meetsAims) return a.meetsAims ? -1 : 1;
  if (!a.meetsAims && a.balance !== b.balance) return b.balance - a.balance;
  if (a.actedShare !== b.actedShare) return b.actedShare - a.actedShare;
  if (a.outsideShare !== b.outsideShare) return a.outsideShare - b.outsideShare;
  return (a.meanDelayWindows ?? Infinity) - (b.meanDelayWindows ?? Infinity);
}

/** The chosen point, judged on the choose part only (ties: lowest index). */
export function choosePoint(points: readonly PointStudy[]): PointStudy {
  if (points.length === 0) throw new RangeError('no grid point to choose from');
  return [...points].sort((a, b) => better(a.choose, b.choose) || a.index - b.index)[0];
}
