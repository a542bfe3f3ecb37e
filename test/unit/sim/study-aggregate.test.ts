/**
 * How the study aggregates ratios: geometrically, so that a static point with a few huge
 * wins and one catastrophic loss does not beat one that is modestly better everywhere.
 */
import { Cells, chooseStatic, meanAndWorst } from '../../../src/sim/study/analyse';
import { FAMILIES, geometricMean, type FamilySpec } from '../../../src/sim/study';
import type { CellResult } from '../../../src/sim/study/run';

test('the geometric mean treats ×k and ÷k alike, and a total loss drags it to the floor', () => {
  expect(geometricMean([10, 0.1])).toBeCloseTo(1, 12);
  expect(geometricMean([2, 8])).toBeCloseTo(4, 12);
  expect(geometricMean([5, 5, 0])).toBeLessThan(0.01);
  expect(geometricMean([])).toBeNaN();
});

test('the summary’s mean ratio over variants is geometric and names the worst', () => {
  const r = meanAndWorst(
    [
      { n: 'a', r: 4 },
      { n: 'b', r: 0.25 },
      { n: 'c', r: 1 },
    ],
    (x) => x.r,
    (x) => x.n,
  );
  expect(r.mean).toBeCloseTo(1, 12);
  expect(r.worst).toBe(0.25);
  expect(r.worstAt).toBe('b');
});

test('the static point chosen is the steady one, not the one whose huge wins hide a catastrophic loss', () => {
  const base = FAMILIES[0];
  const spec: FamilySpec = {
    ...base,
    variants: base.variants.slice(0, 3),
    statics: base.statics.slice(0, 2),
  };
  const [gamble, steady] = spec.statics.map((s) => s.name);
  const up = spec.headline.better === 'higher';
  // Headline relative to off (= 100): the gamble wins 10× twice and loses 50× once; the steady point is 1.5× better everywhere.
  const rel: Record<string, number[]> = { [gamble]: [10, 10, 1 / 50], [steady]: [1.5, 1.5, 1.5] };
  const results: CellResult[] = [];
  spec.variants.forEach((v, i) => {
    const cell = (arm: string, ratio: number): CellResult =>
      ({
        family: spec.family,
        variant: v.name,
        arm,
        seed: 1,
        figures: { [spec.headline.key]: up ? 100 * ratio : 100 / ratio },
      }) as unknown as CellResult;
    results.push(cell('off', 1), cell(`static:${gamble}`, rel[gamble][i]), cell(`static:${steady}`, rel[steady][i]));
  });
  const choice = chooseStatic(spec, new Cells(results), [1]);
  // The arithmetic mean would score the gamble 6.7 and pick it.
  expect(choice.scores[gamble]).toBeCloseTo(geometricMean(rel[gamble]), 9);
  expect(choice.chosen).toBe(steady);
});
