/**
 * The efficacy study's method on a small plan (one training seed, one held-out seed, two
 * variants and three static points per family), run in process: the bench spreads the same
 * cells over worker threads. Checks the method, not the verdict (the verdict is the bench's).
 */
import { renderReport } from '../../../src/report';
import {
  betterRatio,
  FAMILIES,
  runCell,
  runCellResult,
  studyReport,
  type FamilySpec,
  type StudyPlan,
} from '../../../src/sim/study';
import { runStudy, type StudyResult } from '../../../src/sim/study/index';

const OFF_LIKE: Readonly<Record<string, string>> = {
  'overloaded-workers': 'timeout 2000 ms',
  'overloaded-workers-deadline': 'timeout 2000 ms',
  'noisy-tenant': 'no quotas',
};

const plan: StudyPlan = {
  training: [1],
  heldOut: [2],
  families: FAMILIES.map((f): FamilySpec => ({
    ...f,
    variants: [f.variants.find((v) => !v.noAction), f.variants.find((v) => v.noAction)].filter(
      (v): v is FamilySpec['variants'][number] => v !== undefined,
    ),
    // The off-like point, and the two ends of the sweep.
    statics: [
      ...new Set([
        f.statics[0],
        f.statics[f.statics.length - 1],
        ...f.statics.filter((s) => s.name === OFF_LIKE[f.family]),
      ]),
    ],
  })),
};

let study: StudyResult;
beforeAll(async () => {
  study = await runStudy(plan, (tasks) => Promise.resolve(tasks.map(runCell)));
}, 300_000);

test('each workers family holds one kind of worker timeout, so its one static point is a setting for that kind', () => {
  const workers = FAMILIES.filter((f) => f.scenario === 'overloaded-workers');
  const kinds = workers.map((f) => [
    ...new Set(f.variants.map((v) => (v.params as { timeoutFrom?: string }).timeoutFrom)),
  ]);
  // Every variant says its kind, each family has exactly one, and both kinds are studied.
  for (const k of kinds) expect(k).toHaveLength(1);
  expect(kinds.flat().sort()).toEqual(['arrival', 'start']);
  // Both sweep the same timeouts, so the two static points are comparable.
  expect(workers[0].statics.map((s) => s.name)).toEqual(workers[1].statics.map((s) => s.name));
});

test('every variant has the four arms and the reference on the held-out seed, with finite headline figures', () => {
  for (const f of study.families) {
    for (const v of f.variants) {
      for (const arm of ['off', 'static', 'hindsight', 'on', 'staticOn'] as const)
        expect(Number.isFinite(v.heldOut[arm][f.headline.key].seeds['2'])).toBe(true);
      for (const arm of ['off', 'static', 'on', 'staticOn'] as const)
        expect(Object.keys(v.allSeeds[arm][f.headline.key].seeds)).toEqual(['1', '2']);
    }
  }
});

test('static + on at a static point equal to the system’s own default is exactly on (the loop adds nothing of its own)', () => {
  for (const [family, point] of Object.entries(OFF_LIKE)) {
    const v = study.families.find((x) => x.family === family)?.variants[0];
    expect(v).toBeDefined();
    const on = runCell({ family: family as never, variant: v!.name, arm: 'on', seed: 2 });
    const onTop = runCell({ family: family as never, variant: v!.name, arm: `static+on:${point}`, seed: 2 });
    expect(onTop.figures).toEqual(on.figures);
    expect(onTop.actions).toBe(on.actions);
  }
});

test('static + on escalates from the static retry policy: herd-control’s level 0 is what the clients run', () => {
  const point = 'decorrelated jitter, 5 attempts, budget off';
  const r = runCellResult({ family: 'thundering-herd', variant: 'outage-15s', arm: `static+on:${point}`, seed: 2 });
  const sets = r.executor.filter((e) => e.kind === 'set' || e.kind === 'tighten');
  expect(sets.length).toBeGreaterThan(0);
  for (const e of sets) expect(e.params).toMatchObject({ retryStrategy: 'decorrelated', retryMaxAttempts: 5 });
  // Level 1 delays: base × 8, and the clients' own budget (none) left as it is.
  expect(sets[0].params).toMatchObject({ retryBaseMs: 800, retryBudgetRatio: null, extra: { level: '1' } });
});

test('the family’s static point is the one with the best mean ratio to off on the training seed; ratios are held-out', () => {
  for (const f of study.families) {
    const best = Math.max(...Object.values(f.choice.scores));
    expect(f.choice.scores[f.choice.chosen]).toBe(best);
    for (const v of f.variants) {
      const h = f.headline;
      const mean = (arm: keyof typeof v.heldOut) => v.heldOut[arm][h.key].mean;
      const pairs = [
        [v.ratios.onVsOff, 'on', 'off'],
        [v.ratios.onVsStatic, 'on', 'static'],
        [v.staticOnRatios.vsStatic, 'staticOn', 'static'],
        [v.staticOnRatios.vsOn, 'staticOn', 'on'],
      ] as const;
      for (const [ratio, a, b] of pairs) expect(ratio).toBeCloseTo(betterRatio(mean(a), mean(b), h.better), 12);
      expect(f.sweep.points).toContain(v.hindsightPoint);
    }
  }
});

test('a static point equal to the system’s own default gives exactly off (the open-loop runs are deterministic)', () => {
  for (const [family, point] of Object.entries(OFF_LIKE)) {
    const f = study.families.find((x) => x.family === family);
    const v = f?.variants[0];
    expect(v).toBeDefined();
    const off = runCell({ family: family as never, variant: v!.name, arm: 'off', seed: 2 });
    const fixed = runCell({ family: family as never, variant: v!.name, arm: `static:${point}`, seed: 2 });
    expect(fixed.figures).toEqual(off.figures);
  }
});

test('the summary counts what the variants say', () => {
  const all = study.families.flatMap((f) => f.variants);
  expect(study.summary.variants).toBe(all.length);
  expect(study.summary.onAtLeastOff).toBe(all.filter((v) => v.ratios.onVsOff >= 1).length);
  expect(study.summary.onAtLeastStatic).toBe(all.filter((v) => v.ratios.onVsStatic >= 1).length);
  const calm = all.filter((v) => v.noAction);
  expect(study.summary.noAction.variants).toBe(calm.length);
  expect(study.summary.noAction.actions).toBe(calm.reduce((a, v) => a + (v.noActionCheck?.actions ?? 0), 0));
  expect(study.summary.aims.onAtLeastOffEverywhere).toBe(study.summary.onAtLeastOff === all.length);
  const so = study.staticOnSummary;
  expect(so.variants).toBe(all.length);
  expect(so.atLeastStatic).toBe(all.filter((v) => v.staticOnRatios.vsStatic >= 1).length);
  expect(so.atLeastOn).toBe(all.filter((v) => v.staticOnRatios.vsOn >= 1).length);
  expect(so.noAction.variants).toBe(calm.length);
  expect(so.noAction.actions).toBe(calm.reduce((a, v) => a + (v.staticOnCheck?.actions ?? 0), 0));
});

test('the study’s report page: static + on, then a section per family with its table and a chart of the four arms', () => {
  const report = studyReport(study, 'test');
  const [staticOn, ...families] = report.sections;
  expect(staticOn.table?.rows).toHaveLength(study.families.length + 1);
  expect(families.map((s) => s.title)).toEqual(study.families.map((f) => f.title));
  for (const [i, s] of families.entries()) {
    expect(s.table?.rows).toHaveLength(study.families[i].variants.length);
    expect(s.charts).toHaveLength(1);
    expect(s.charts[0].series.map((x) => x.points.length)).toEqual([2, 2, 2, 2]);
  }
  const html = renderReport(report);
  expect(html).toContain('<svg');
  expect(html).toContain(study.families[0].choice.chosen);
});
