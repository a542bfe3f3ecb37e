import { signalGaps } from '../../../src/replay/gaps';
import { buildReplayReport } from '../../../src/replay/report-model';
import { sig, win } from '../policies/fixtures';

// Two backends: 'steady' reports 40 ms every window but window 30 (0 ms: no call completed);
// 'sparse' is called every third window only (0 otherwise), which is its normal.
const signals = Array.from({ length: 40 }, (_, i) => [
  sig({ metric: 'query.latency_ms', source: 'steady', i, value: i === 30 ? 0 : 40 }),
  sig({ metric: 'query.latency_ms', source: 'sparse', i, value: i % 3 === 0 ? 700 : 0 }),
]).flat();

describe('telemetry gaps in the replay report', () => {
  it('finds an exact 0 after a run of non-zero windows, never the zeros of a sparse series', () => {
    const gaps = signalGaps(signals);
    expect(gaps.map((g) => [g.source, g.at])).toEqual([['steady', [win(30).windowStart]]]);
  });

  it('lists them in their own section, with the labelled windows that hold one', () => {
    const built = buildReplayReport({
      generatedFrom: 'test',
      policies: [],
      signals,
      commands: [],
      decisions: [],
      labels: [
        { name: 'steady.csv', target: 'steady', windows: [{ start: win(29).windowStart, end: win(31).windowStart }] },
        { name: 'sparse.csv', target: 'sparse', windows: [{ start: win(29).windowStart, end: win(31).windowStart }] },
      ],
    });
    const section = built.report.sections.find((s) => s.title === 'Telemetry gaps');
    expect(section?.description).toMatch(/^1 window\(s\) .* 1 of 2 labelled windows hold one\.$/);
    expect(section?.table?.rows).toHaveLength(1);
    expect(built.gaps).toHaveLength(1);
    // No gap, no section.
    const none = buildReplayReport({
      generatedFrom: 'test',
      policies: [],
      signals: signals.slice(0, 40),
      commands: [],
      decisions: [],
    });
    expect(none.report.sections.map((s) => s.title)).not.toContain('Telemetry gaps');
  });
});
