/**
 * Per-series, per-window breakdown of one config over labelled files: which windows each series'
 * target was acted on in (with the delay), which actions fell outside every window, and what the
 * labelled window looks like (the first labelled hour, the largest and smallest value in it,
 * relative to the hour before), so a gap between two halves of a study can be traced to series
 * and windows. Also counts, separately from the actions, the hours a series reported exactly 0
 * after non-zero hours: telemetry gaps (no call completed), which an overload policy cannot act on.
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
    // Telemetry gaps: an hour at exactly 0 after a non-zero hour, on a series that is rarely 0.
    const vs = series[i].records.map((r) => r.value);
    const zeroShare = vs.filter((v) => v === 0).length / vs.length;
    const gaps =
      zeroShare < 0.05
        ? series[i].records
            .filter((r, k) => r.value === 0 && k > 0 && vs[k - 1] > 0)
            .map((r) => new Date(r.ts).toISOString())
        : [];
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
  const summary = {
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
  if (json !== undefined) writeFileSync(json, JSON.stringify({ ...summary, perSeries, windows: rows }, null, 2) + '\n');
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
