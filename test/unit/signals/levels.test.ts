import { emptyBaseline, stepBaseline, type BaselineSpec } from '../../../src/signals/baseline';
import { describeTrigger, judgeLevels, type LevelRun, type LevelledTrigger } from '../../../src/signals/levels';
import { resolveThreshold } from '../../../src/signals/trigger';

const spec: BaselineSpec = { windows: 8, warmupWindows: 4, alpha: 0.5, maxFrozenWindows: 4 };
const baseline = [10, 10, 10, 10].reduce((b, v) => stepBaseline(b, v, false, spec), emptyBaseline());
const HOUR = 3_600_000;
const win = (i: number) => ({ windowStart: i * HOUR, windowEnd: (i + 1) * HOUR });

/** Severe: 5× the median acts at once; moderate: 1.5× must hold for 3 windows in a row. */
const trigger: LevelledTrigger = {
  levels: [
    { ratio: 5, of: 'median', atLeast: 0, windows: 1 },
    { ratio: 1.5, of: 'median', atLeast: 0, windows: 3 },
  ],
};

/** Verdicts of a run of values, one window each from window `from`, the run carried along. */
function judgeAll(values: number[], from = 0, start?: LevelRun) {
  let run = start;
  return values.map((v, k) => {
    const verdict = judgeLevels(trigger, v, baseline, spec, run, win(from + k));
    if (verdict === null) throw new Error('warming up');
    run = verdict.run;
    return verdict;
  });
}

describe('levelled triggers', () => {
  it('a severe value fires on its own window; a moderate one only on its third window in a row', () => {
    expect(judgeAll([60]).map((v) => v.over)).toEqual([true]);
    const moderate = judgeAll([16, 16, 16, 16]);
    expect(moderate.map((v) => v.over)).toEqual([false, false, true, true]);
    expect(moderate.map((v) => v.exceeded)).toEqual([true, true, true, true]);
    expect(moderate[2].high).toBe(15); // the bar that fired: the moderate level
    expect(moderate[2].detail).toBe('3rd window over 1.5× median baseline');
    expect(moderate[0].high).toBe(50); // none fired yet: the one-window bar
  });

  it('a dip under the level, or a silent window, starts the count over', () => {
    expect(judgeAll([16, 16, 12, 16, 16]).map((v) => v.over)).toEqual([false, false, false, false, false]);
    const first = judgeAll([16, 16]);
    // Window 3 follows window 1: window 2 had no data, so the count restarts.
    const after = judgeAll([16, 16, 16], 3, first[1].run);
    expect(after.map((v) => v.over)).toEqual([false, false, true]);
  });

  it('judges an old or repeated window without moving the counts', () => {
    const [, second] = judgeAll([16, 16]);
    const again = judgeLevels(trigger, 16, baseline, spec, second.run, win(1));
    expect(again?.run).toBe(second.run);
  });

  it('has no verdict while the baseline warms up, and says what it is', () => {
    expect(judgeLevels(trigger, 100, emptyBaseline(), spec, undefined, win(0))).toBeNull();
    expect(describeTrigger(trigger)).toBe('5× median baseline ×1 | 1.5× median baseline ×3');
  });
});

describe('robust deviation on a sparse series', () => {
  // Mostly hours without a call (0), a few at 60: the median and the MAD are 0.
  const sparse = [0, 0, 60, 0, 0, 0, 60, 0].reduce((b, v) => stepBaseline(b, v, false, spec), emptyBaseline());
  it('the median gives no spread floor at all; an upper quantile keeps one', () => {
    const t = { deviations: 10, spread: 'mad' as const, minSpreadRatio: 0.2, atLeast: 0 };
    expect(resolveThreshold(t, sparse, spec)).toBe(0); // any call over 0 ms would fire
    const p90 = resolveThreshold({ ...t, minSpreadOf: 'p90' }, sparse, spec) ?? NaN;
    expect(p90).toBeGreaterThan(60); // a usual call is not an outlier
    expect(p90).toBeCloseTo(10 * 0.2 * 60);
  });
});
