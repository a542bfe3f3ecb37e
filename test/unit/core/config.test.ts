import { DEFAULT_ENGINE_CONFIG, engineConfigIssues, resolveEngineConfig, type EngineConfig } from '../../../src/core';

describe('engine config', () => {
  it('has valid defaults', () => {
    expect(engineConfigIssues(DEFAULT_ENGINE_CONFIG)).toEqual([]);
  });

  it('makes windows tumbling when only the size is given', () => {
    expect(resolveEngineConfig({ window: { sizeMs: 60_000 } }).window).toEqual({
      sizeMs: 60_000,
      advanceMs: 60_000,
      graceMs: 1000,
    });
    expect(resolveEngineConfig({ window: { sizeMs: 60_000, advanceMs: 15_000 } }).window.advanceMs).toBe(15_000);
  });

  const cases: [string, Partial<EngineConfig>, RegExp][] = [
    [
      'size not a multiple of advance',
      { window: { sizeMs: 1000, advanceMs: 400, graceMs: 0 } },
      /must be a multiple of window.advanceMs/,
    ],
    [
      'advance above size',
      { window: { sizeMs: 1000, advanceMs: 2000, graceMs: 0 } },
      /advanceMs must be a positive integer ≤ window.sizeMs/,
    ],
    ['negative grace', { window: { sizeMs: 1000, advanceMs: 1000, graceMs: -1 } }, /graceMs must be an integer ≥ 0/],
    ['negative out-of-orderness', { allowedOutOfOrdernessMs: -5 }, /allowedOutOfOrdernessMs/],
    ['zero idleness', { idleAfterMs: 0 }, /idleAfterMs must be > 0/],
    ['fractional maxSeries', { maxSeries: 1.5 }, /maxSeries must be a positive integer/],
    ['repeated dimension tag', { dimensionTags: ['a', 'a'], scopes: [] }, /dimensionTags must not repeat/],
    ['trend over one window', { trendWindows: 1 }, /trendWindows must be an integer ≥ 2/],
    ['accuracy of 1', { sketch: { relativeAccuracy: 1, maxBins: 2048 } }, /relativeAccuracy must be in \(0, 1\)/],
    [
      'scope named series',
      { scopes: [{ name: 'series', metrics: ['m'], groupBy: [] }] },
      /name must be non-empty, not "series"/,
    ],
    [
      'duplicate scope',
      {
        scopes: [
          { name: 'x', metrics: ['m'], groupBy: [] },
          { name: 'x', metrics: ['n'], groupBy: [] },
        ],
      },
      /used by another scope/,
    ],
    ['scope without metrics', { scopes: [{ name: 'x', metrics: [], groupBy: [] }] }, /at least one metric/],
  ];
  it.each(cases)('reports %s, naming the key', (_name, override, message) => {
    const issues = engineConfigIssues({ ...DEFAULT_ENGINE_CONFIG, ...override });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(message);
  });
});
