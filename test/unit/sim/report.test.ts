import { renderReport } from '../../../src/report';
import { runAllScenarios, scenarioReport, SCENARIOS, HEADLINE } from '../../../src/sim';
import { mergedLeases } from '../../../src/sim/report';
import { workersPolicyParams } from '../../../src/sim/policies';
import { HomeostatError } from '../../../src/errors';

const all = runAllScenarios({ seed: 1 });

describe('simulation report', () => {
  it('runs every scenario off and on and builds one section each, with a summary of the headline figures', () => {
    expect(all.results.map((r) => r.scenario)).toEqual(SCENARIOS);
    for (const r of all.results) expect([r.off.remediation, r.on.remediation]).toEqual([false, true]);
    expect(all.report.sections).toHaveLength(3);
    const summary = all.report.summary!;
    expect(summary.rows).toHaveLength(SCENARIOS.reduce((n, s) => n + HEADLINE[s].length, 0));
    expect(summary.compare).toMatchObject({ baseline: 2, candidate: 3 });
  });

  it('each section compares every figure off vs on with the direction that is better', () => {
    all.results.forEach((r, i) => {
      const t = all.report.sections[i].table!;
      expect(t.columns).toEqual(['figure', 'homeostat off', 'homeostat on']);
      expect(t.rows.map((row) => row[0])).toEqual(r.on.figures.map((f) => f.label));
      expect(t.compare?.better).toEqual(r.on.figures.map((f) => f.better));
    });
  });

  it('charts draw off and on, the policy’s watermarks, the commands as markers and the disturbance and leases as spans', () => {
    const [workers] = all.report.sections;
    const queue = workers.charts[0];
    expect(queue.series.slice(0, 2).map((s) => s.name.split(' — ')[0])).toEqual(['off', 'on']);
    for (const s of queue.series) expect(s.points.length).toBeGreaterThan(100);
    const p = workersPolicyParams();
    expect(queue.thresholds?.map((t) => t.value)).toEqual([p.high.queueDepth, p.low.queueDepth]);
    expect(queue.markers?.some((m) => m.kind === 'set')).toBe(true);
    expect(queue.spans?.map((s) => s.kind)).toEqual(expect.arrayContaining(['incident', 'lease']));
    const herdLoad = all.report.sections[1].charts[0];
    expect(herdLoad.spans?.[0].kind).toBe('outage');
    expect(herdLoad.thresholds?.[0]).toMatchObject({ name: 'capacity', value: 300 });
  });

  it('is plain data: a JSON round trip renders to the same bytes', () => {
    const a = renderReport(all.report);
    expect(renderReport(JSON.parse(JSON.stringify(all.report)) as typeof all.report)).toBe(a);
    expect(a).toContain('Thundering herd');
    expect(a.length).toBeGreaterThan(50_000);
  });

  it('refuses to compare two runs that are not the same scenario off and on', () => {
    const [w, h] = all.results;
    expect(() => scenarioReport(w.off, h.on)).toThrow(HomeostatError);
    expect(() => scenarioReport(w.on, w.off)).toThrow(/without and with remediation/);
  });

  it('merges overlapping lease spans into one band per overlap', () => {
    const spans = mergedLeases([
      { start: 0, end: 10, label: 'a', kind: 'lease' },
      { start: 5, end: 20, label: 'b', kind: 'lease' },
      { start: 30, end: 40, label: 'a', kind: 'lease' },
    ]);
    expect(spans).toEqual([
      { start: 0, end: 20, label: 'leases on 2 targets', kind: 'lease' },
      { start: 30, end: 40, label: 'a', kind: 'lease' },
    ]);
  });
});
