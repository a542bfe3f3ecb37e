import * as path from 'node:path';
import { evaluatePoint } from '../../../src/backtest/evaluate';
import { applyPoint, expandGrid, parseGridFile } from '../../../src/backtest/grid';
import { loadBacktestSeries } from '../../../src/backtest/load';
import { runGrid } from '../../../src/backtest/run';
import {
  choosePoint,
  DEFAULT_AIMS,
  figures,
  makeSplit,
  markPareto,
  studyPoint,
  type SeriesOutcome,
} from '../../../src/backtest/study';
import { loadConfig } from '../../../src/config/homeostat-config';
import { backtestReport } from '../../../src/backtest/output';
import { renderReport } from '../../../src/report';

const H = 3_600_000;

describe('grid', () => {
  it('expands the cartesian product in a fixed order and applies a point to a copy', () => {
    const points = expandGrid({ 'parameters.a': [1, 2], 'guardrails.b.c': ['x', 'y', 'z'] });
    expect(points).toHaveLength(6);
    expect(points[1]).toEqual({ 'parameters.a': 1, 'guardrails.b.c': 'y' });
    const entry = { name: 'p', parameters: { a: 0, keep: true } };
    expect(applyPoint(entry, points[5])).toEqual({
      name: 'p',
      parameters: { a: 2, keep: true },
      guardrails: { b: { c: 'z' } },
    });
    expect(entry.parameters.a).toBe(0);
  });

  it('refuses a grid that is not a map of paths to lists, naming the key', () => {
    expect(() => parseGridFile({ grid: { 'parameters.a': 3 } })).toThrow(/grid\.grid\.parameters\.a/);
    expect(() => parseGridFile({ grid: { 'a..b': [1] } })).toThrow(/dotted path/);
  });
});

describe('study', () => {
  const o = (series: string, windows: [number, number][], actions: number[]): SeriesOutcome => ({
    series,
    windows: windows.map(([start, end]) => ({ start, end })),
    actions,
  });

  it('counts windows acted on, outside actions, delay and lead in windows of the step', () => {
    const f = figures(
      [
        o(
          'a',
          [
            [0, 2 * H],
            [10 * H, 11 * H],
          ],
          [2 * H, 5 * H],
        ),
      ],
      H,
      DEFAULT_AIMS,
    );
    expect(f).toMatchObject({
      windows: 2,
      windowsActedOn: 1,
      actedShare: 0.5,
      actions: 2,
      actionsOutside: 1,
      outsideShare: 0.5,
      meanDelayWindows: 2,
      meanLeadWindows: 0,
      meetsAims: false,
    });
  });

  it('splits series alternately and time at the cut, keeping a straddling window with its actions', () => {
    const outs = [o('a', [[0, H]], [H]), o('b', [[5 * H, 7 * H]], [7 * H]), o('c', [], [3 * H])];
    const bySeries = makeSplit('series');
    expect(outs.map((x, i) => bySeries.choose(x, i)?.series ?? null)).toEqual(['a', null, 'c']);
    const byTime = makeSplit('time', 6 * H);
    expect(byTime.choose(outs[1], 1)).toEqual(outs[1]); // the window starts before the cut: its action comes along
    expect(byTime.score(outs[1], 1)?.actions).toEqual([]);
  });

  it('chooses on the choose part only: aims first, then acted share, outside share, delay, index', () => {
    const mk = (index: number, acted: number, outside: number, scoreActed: number) => {
      const windows: [number, number][] = [0, 1, 2, 3].map((k) => [k * 10 * H, k * 10 * H + 2 * H]);
      const hits = windows.slice(0, acted).map(([s]) => s + 2 * H);
      const noise = Array.from({ length: outside }, (_, k) => 5 * H + k);
      const scoreHits = windows.slice(0, scoreActed).map(([s]) => s + 2 * H);
      return studyPoint(
        index,
        { i: index },
        [o('a', windows, [...hits, ...noise]), o('b', windows, scoreHits)],
        makeSplit('series'),
        H,
        DEFAULT_AIMS,
      );
    };
    const points = markPareto([mk(0, 2, 0, 4), mk(1, 4, 1, 0), mk(2, 4, 0, 0), mk(3, 3, 3, 4)]);
    expect(points.map((p) => p.pareto)).toEqual([false, false, true, false]);
    expect(choosePoint(points).index).toBe(2); // meets the aims on the choose part, whatever the score part says
  });
});

describe('backtest through the replay core', () => {
  const DATA = path.resolve(process.cwd(), 'data/ms-cloud-monitoring/middle-tier-api-dependency-latency');

  it('is deterministic and independent of the worker count, and the point changes the outcome', async () => {
    const config = loadConfig({ file: path.resolve(process.cwd(), 'examples/ms-latency.yaml'), env: {} });
    const series = await loadBacktestSeries('ms', [`${DATA}/outbound-05.csv`, `${DATA}/outbound-01.csv`], {
      metric: 'query.latency_ms',
      tags: {},
    });
    expect(series.map((s) => s.series)).toEqual(['outbound-01', 'outbound-05']);
    const points = expandGrid({ 'parameters.high.latencyMs.ratio': [1.5, 10] });
    const a = await runGrid({ config, policyIndex: 0, series, points, workers: 1 });
    const again = evaluatePoint({ config, policyIndex: 0, point: points[0], series });
    expect(JSON.stringify(again)).toBe(JSON.stringify(a[0]));
    const threads = await runGrid({ config, policyIndex: 0, series, points, workers: 2 });
    expect(JSON.stringify(threads)).toBe(JSON.stringify(a));
    expect(a[0].flatMap((x) => x.actions).length).toBeGreaterThan(a[1].flatMap((x) => x.actions).length);
  }, 120_000); // worker threads load the TypeScript sources through tsx: slow to start on a busy machine
});

describe('the study page', () => {
  it('draws the trade-off on a numeric x axis, without the time crosshair', () => {
    const w: [number, number][] = [[0, 2 * H]];
    const points = markPareto(
      [0, 1, 2].map((k) =>
        studyPoint(
          k,
          { k },
          [
            {
              series: 'a',
              windows: w.map(([start, end]) => ({ start, end })),
              actions: k === 0 ? [] : [H, ...Array.from({ length: k }, (_, j) => 9 * H + j)],
            },
          ],
          makeSplit('none'),
          H,
          DEFAULT_AIMS,
        ),
      ),
    );
    const html = renderReport(backtestReport(points, choosePoint(points), 'study', 'test'));
    expect(html).toContain('<svg');
    expect(html).toContain('Trade-off');
    expect(html).not.toContain('class="cd"');
    expect(html).not.toMatch(/1970-01-01/);
  });
});
