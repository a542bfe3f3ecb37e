/**
 * What a backtest prints and writes: the Pareto table (stdout), the study as JSON, and an HTML
 * page (src/report) with the trade-off chart — acted share against outside share for every
 * point, on the part it was chosen on and on the part it was only scored on.
 */
import type { Chart, Report, Table, TableCell } from '../report';
import type { GapReport } from './gaps';
import { describePoint } from './grid';
import type { PartFigures, PointStudy } from './study';

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const win = (x: number | null): string => (x === null ? '—' : x.toFixed(2));
const part = (f: PartFigures): string =>
  `${f.windowsActedOn}/${f.windows} ${pct(f.actedShare)}  out ${f.actionsOutside}/${f.actions} ${pct(f.outsideShare)}  delay ` +
  `${win(f.meanDelayWindows)} lead ${win(f.meanLeadWindows)}`;

/** The Pareto front of the choose part (plus the chosen point), one line each, for stdout. */
export function paretoTable(points: readonly PointStudy[], chosen: PointStudy): string {
  const rows = points
    .filter((p) => p.pareto || p.index === chosen.index)
    .sort(
      (a, b) =>
        b.choose.actedShare - a.choose.actedShare || a.choose.outsideShare - b.choose.outsideShare || a.index - b.index,
    );
  const lines = [
    '   #  | choose part: windows acted on, actions outside, delay/lead (windows) | score part: the same | point',
  ];
  for (const p of rows) {
    lines.push(
      `${p.index === chosen.index ? '*' : ' '}${String(p.index).padStart(4)}  | ${part(p.choose)} | ${part(p.score)} | ` +
        `${describePoint(p.point)}`,
    );
  }
  return lines.join('\n');
}

export function summaryLines(chosen: PointStudy, kind: string): string[] {
  return [
    `chosen point #${chosen.index} (split: ${kind}): ${describePoint(chosen.point)}`,
    `  choose part: ${part(chosen.choose)}${chosen.choose.meetsAims ? ' — meets the aims' : ' — misses the aims'}`,
    `  score part:  ${part(chosen.score)}${chosen.score.meetsAims ? ' — meets the aims' : ' — misses the aims'}`,
    `  all series:  ${part(chosen.all)}${chosen.all.meetsAims ? ' — meets the aims' : ' — misses the aims'}`,
    `  gap (acted share, choose − score): ${((chosen.choose.actedShare - chosen.score.actedShare) * 100).toFixed(1)} points`,
  ];
}

/** The telemetry gaps, apart from the actions, and the chosen point scored on the windows that hold none. */
export function gapLines(gaps: GapReport, withoutGaps: PointStudy): string[] {
  const hours = Object.values(gaps.perSeries).reduce((n, at) => n + at.length, 0);
  const fleet = gaps.fleetWide.map((g) => `${g.at} in ${g.series} series`).join(', ');
  return [
    `telemetry gaps (an hour at exactly 0 after a day of non-zero hours: no call completed — not an overload, no action):`,
    `  ${hours} hour(s) in ${Object.keys(gaps.perSeries).length} series${fleet === '' ? '' : `; at once: ${fleet}`}; ` +
      `${gaps.windowsWithGap} of ${gaps.windows} labelled windows hold one`,
    `  chosen point on the other windows — choose part: ${part(withoutGaps.choose)}`,
    `                                      score part:  ${part(withoutGaps.score)}`,
    `                                      all series:  ${part(withoutGaps.all)}`,
    `  gap without them (acted share, choose − score): ` +
      `${((withoutGaps.choose.actedShare - withoutGaps.score.actedShare) * 100).toFixed(1)} points`,
  ];
}

function figureCells(f: PartFigures): TableCell[] {
  return [
    `${f.windowsActedOn}/${f.windows}`,
    f.actedShare,
    f.actionsOutside,
    f.outsideShare,
    f.meanDelayWindows,
    f.meanLeadWindows,
  ];
}

/** The HTML page of the study: a trade-off chart and the table of the Pareto front. */
export function backtestReport(
  points: readonly PointStudy[],
  chosen: PointStudy,
  title: string,
  generatedFrom: string,
  /** More summary lines (the telemetry gaps). */
  notes: readonly string[] = [],
): Report {
  const front = points
    .filter((p) => p.pareto)
    .sort((a, b) => a.choose.outsideShare - b.choose.outsideShare || a.choose.actedShare - b.choose.actedShare);
  const chart: Chart = {
    title: 'Trade-off: windows acted on against actions outside every window (Pareto front of the choose part)',
    yLabel: 'share of labelled windows acted on',
    xType: 'linear',
    yMin: 0,
    yMax: 1,
    series: [
      {
        name: 'choose part (front)',
        points: front.map((p) => [p.choose.outsideShare, p.choose.actedShare] as const),
        style: 'line',
      },
      {
        name: 'same points, score part',
        points: front.map((p) => [p.score.outsideShare, p.score.actedShare] as const),
        style: 'line',
      },
      { name: 'chosen: choose part', points: [[chosen.choose.outsideShare, chosen.choose.actedShare]], style: 'line' },
      { name: 'chosen: score part', points: [[chosen.score.outsideShare, chosen.score.actedShare]], style: 'line' },
    ],
  };
  const table: Table = {
    columns: [
      '#',
      'point',
      'choose: acted',
      'share',
      'outside',
      'share',
      'delay (w)',
      'lead (w)',
      'score: acted',
      'share',
      'outside',
      'share',
      'delay (w)',
      'lead (w)',
    ],
    rows: [...front]
      .reverse()
      .map((p) => [
        `${p.index === chosen.index ? '* ' : ''}${p.index}`,
        describePoint(p.point),
        ...figureCells(p.choose),
        ...figureCells(p.score),
      ]),
    notes: [
      'x: share of actions outside every labelled window; y: share of labelled windows acted on. ' +
        '* = the chosen point (chosen on the choose part only).',
    ],
  };
  return {
    title,
    generatedFrom,
    summary: { columns: ['', 'value'], rows: [...summaryLines(chosen, ''), ...notes].map((l) => ['', l.trim()]) },
    sections: [
      {
        title: 'Trade-off',
        description: `${points.length} grid points; ${front.length} on the Pareto front of the choose part.`,
        table,
        charts: [chart],
      },
    ],
  };
}
