/**
 * Per-series, per-window breakdown of one config over labelled files: which windows each series'
 * target was acted on in (with the delay), which actions fell outside every window, and what the
 * labelled window looks like (the first labelled hour, the largest and smallest value in it,
 * relative to the hour before: 'zero-hour' when it holds an exact 0 and never rises half again
 * above that hour, 'drop' when it never rises above it, else 'rise' — an analyst's reading of the
 * labels, never fed to a policy), so a gap between two halves of a study can be traced to series
 * and windows. Also lists, apart from the actions, the telemetry gaps of each series (an hour at
 * exactly 0 after a day of non-zero hours, src/backtest/gaps.ts), which an overload policy cannot act on.
 *
 *   npx tsx bench/backtest/breakdown.ts -c examples/ms-latency.yaml --json bench/results/x.json data/…/outbound-0*.csv
 *
 * Uses only the labelled files and the config: nothing here feeds back into a policy.
 */
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/homeostat-config';
import { evaluatePoint } from '../../src/backtest/evaluate';
import { loadBacktestSeries } from '../../src/backtest/load';
import { figures, DEFAULT_AIMS, type SeriesOutcome } from '../../src/backtest/study';
import { zeroGaps } from '../../src/backtest/gaps';
import { scoreActions } from '../../src/replay/score';

const HOUR = 3_600_000;

interface WindowRow {
  series: string;
  start: string;
  hours: number;
  /** The labelled run's shape: 'zero-hour' when the series drops to exactly 0 in it, 'drop' when its peak is below the hour before it, else 'rise'. */
  shape: 'zero-hour' | 'drop' | 'rise';
  before: number | null;
  peak: number;
  actedAfterHours: number | null;
}

function shapeOf(
  values: Map<number, number>,
  start: number,
  end: number,
): Omit<WindowRow, 'series' | 'start' | 'hours' | 'actedAfterHours'> {
  const inside: number[] = [];
  for (let t = start; t <= end; t += HOUR) inside.push(values.get(t) ?? NaN);
  const before = values.get(start - HOUR) ?? null;
  const peak = Math.max(...inside.filter(Number.isFinite));
  const level = before ?? inside[0];
  const zeroHour = level > 0 && inside.some((v) => v === 0) && peak <= level * 1.5;
  return { shape: zeroHour ? 'zero-hour' : peak <= level * 1.1 ? 'drop' : 'rise', before, peak };
}

async function main(argv: string[]): Promise<void> {
  let configFile = 'examples/ms-latency.yaml';
  let json: string | undefined;
  let dropZeros = false;
  const files: string[] = [];
  const point: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-c') configFile = argv[++i];
    else if (argv[i] === '--set') {
      // --set parameters.high.latencyMs='{"ratio":2}': a path into the policy entry, as a grid's, and a JSON value.
      const [key, value] = argv[++i].split(/=(.*)/s);
      point[key] = JSON.parse(value) as unknown;
    } else if (argv[i] === '--json') json = argv[++i];
    else if (argv[i] === '--drop-zeros') dropZeros = true;
    else files.push(argv[i]);
  }
  const config = loadConfig({ file: configFile, env: {} });
  const loaded = await loadBacktestSeries('ms', files, { metric: 'query.latency_ms', tags: {} });
  const series = dropZeros ? loaded.map((s) => ({ ...s, records: s.records.filter((r) => r.value !== 0) })) : loaded;
  const outcomes: SeriesOutcome[] = evaluatePoint({ config, policyIndex: 0, point, series });
  const rows: WindowRow[] = [];
  const perSeries = [];
  for (const [i, o] of outcomes.entries()) {
    const values = new Map(series[i].records.map((r) => [r.ts, r.value]));
    const score = scoreActions(
      o.windows,
      o.actions.map((time) => ({ time })),
    );
    for (const w of score.perWindow) {
      rows.push({
        series: o.series,
        start: new Date(w.start).toISOString(),
        hours: (w.end - w.start) / HOUR + 1,
        ...shapeOf(values, w.start, w.end),
        actedAfterHours: w.delayMs === null ? null : w.delayMs / HOUR,
      });
    }
    // Telemetry gaps by the backtest's causal rule (src/backtest/gaps.ts).
    const gaps = zeroGaps(series[i].records).map((t) => new Date(t).toISOString());
    perSeries.push({
      series: o.series,
      windows: score.windows,
      actedOn: score.windowsActedOn,
      actions: score.actions,
      outside: score.actionsOutsideWindows,
      outsideAt: score.outsideAt.map((t) => new Date(t).toISOString()),
      zeroHours: gaps,
    });
  }
  const all = figures(outcomes, HOUR, DEFAULT_AIMS);
  const reachable = rows.filter((r) => r.shape === 'rise');
  // The series split of `homeostat backtest` (series sorted by name, 1st/3rd/… choose): each part's windows by shape.
  const names = outcomes.map((o) => o.series);
  const partOf = (r: WindowRow) => (names.indexOf(r.series) % 2 === 0 ? 'choose' : 'score');
  const bySplit = Object.fromEntries(
    (['choose', 'score'] as const).map((p) => {
      const rs = rows.filter((r) => partOf(r) === p);
      const count = (shape: WindowRow['shape']) => rs.filter((r) => r.shape === shape).length;
      const acted = (shape: WindowRow['shape']) =>
        rs.filter((r) => r.shape === shape && r.actedAfterHours !== null).length;
      return [
        p,
        {
          windows: rs.length,
          actedOn: rs.filter((r) => r.actedAfterHours !== null).length,
          rise: count('rise'),
          riseActedOn: acted('rise'),
          zeroHour: count('zero-hour'),
          drop: count('drop'),
        },
      ];
    }),
  );
  const summary = {
    splitBySeries: bySplit,
    config: configFile,
    point,
    all,
    shapes: {
      rise: reachable.length,
      zeroHour: rows.filter((r) => r.shape === 'zero-hour').length,
      drop: rows.filter((r) => r.shape === 'drop').length,
    },
    riseActedOn: reachable.filter((r) => r.actedAfterHours !== null).length,
  };
  for (const s of perSeries)
    console.log(
      `${s.series}: ${s.actedOn}/${s.windows} windows, ${s.outside}/${s.actions} actions outside ${s.outsideAt.join(' ')}${s.zeroHours.length ? `; zero hours ${s.zeroHours.join(' ')}` : ''}`,
    );
  for (const r of rows)
    console.log(
      `  ${r.series} ${r.start} ${r.hours}h ${r.shape.padEnd(9)} before ${r.before?.toFixed(1) ?? '—'} peak ${r.peak.toFixed(1)} → ${r.actedAfterHours === null ? 'missed' : `acted after ${r.actedAfterHours} h`}`,
    );
  console.log(
    `all: ${all.windowsActedOn}/${all.windows} acted, ${all.actionsOutside}/${all.actions} outside (${(100 * all.outsideShare).toFixed(1)}%), delay ${all.meanDelayWindows?.toFixed(2) ?? '—'}; rises ${summary.riseActedOn}/${summary.shapes.rise}, zero-hour ${summary.shapes.zeroHour}, drop ${summary.shapes.drop}`,
  );
  for (const [p, f] of Object.entries(bySplit))
    console.log(
      `${p} part: ${f.actedOn}/${f.windows} acted; rises ${f.riseActedOn}/${f.rise}, zero-hour ${f.zeroHour}, drop ${f.drop}`,
    );
  if (json !== undefined) writeFileSync(json, JSON.stringify({ ...summary, perSeries, windows: rows }, null, 2) + '\n');
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
