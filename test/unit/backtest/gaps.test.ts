import { gapReport, withoutGapWindows, zeroGaps } from '../../../src/backtest/gaps';
import type { Telemetry } from '../../../src/model/telemetry';

const H = 3_600_000;
const rec = (i: number, value: number): Telemetry => ({
  ts: i * H,
  source: 's',
  metric: 'query.latency_ms',
  value,
  tags: {},
});
const series = (values: number[]) => values.map((v, i) => rec(i, v));

describe('telemetry gaps', () => {
  it('an exact 0 after a run of non-zero hours is a gap; a sparse series at 0 is not', () => {
    const steady = series([...Array<number>(30).fill(40), 0, 40, 0]);
    expect(zeroGaps(steady, 24)).toEqual([30 * H]); // the second 0 follows one hour only
    const sparse = series(Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 0 : 700)));
    expect(zeroGaps(sparse, 24)).toEqual([]);
    expect(zeroGaps(series([...Array<number>(10).fill(40), 0]), 24)).toEqual([]); // not a day of history yet
  });

  it('counts gaps at once across series and the labelled windows that hold one, and drops those windows', () => {
    const values = [...Array<number>(30).fill(40), 0, 40];
    const labelled = [
      {
        series: 'a',
        records: series(values),
        windows: [
          { start: 29 * H, end: 31 * H },
          { start: 5 * H, end: 6 * H },
        ],
      },
      { series: 'b', records: series(values), windows: [] },
      { series: 'c', records: series(values.map((v) => v + 1)), windows: [] },
    ];
    const report = gapReport(labelled);
    expect(report.perSeries).toEqual({ a: [new Date(30 * H).toISOString()], b: [new Date(30 * H).toISOString()] });
    expect(report.fleetWide).toEqual([{ at: new Date(30 * H).toISOString(), series: 2 }]);
    expect([report.windowsWithGap, report.windows]).toEqual([1, 2]);
    const outcomes = labelled.map((s) => ({ series: s.series, windows: s.windows, actions: [31 * H] }));
    const kept = withoutGapWindows(outcomes, labelled);
    expect(kept[0].windows).toEqual([{ start: 5 * H, end: 6 * H }]);
    expect(kept[0].actions).toEqual([31 * H]);
  });
});
