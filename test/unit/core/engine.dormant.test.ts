import { createEngine, type EngineOutput } from '../../../src/core';

/**
 * A dormant series (its newest pane freed) that gets a record again is no longer dormant: at
 * the cap it must not be evicted while its new data is in an open window
 * (src/core/engine.ts aggregate, series-numbers.ts `dormant`).
 */
/** 1 s tumbling windows, no lateness, nothing idle: only the series cap evicts. */
function cappedEngine(maxSeries: number) {
  return createEngine({
    window: { sizeMs: 1000, advanceMs: 1000, graceMs: 0 },
    allowedOutOfOrdernessMs: 0,
    idleAfterMs: Infinity,
    maxSeries,
    scopes: [],
    zeroFillWindows: 0,
  });
}

describe('dormant series', () => {
  const engine = cappedEngine(2);

  function feed(records: [number, string][], e = engine): EngineOutput[] {
    const st = e.init();
    e.step(st, { kind: 'assign', partitions: [0] });
    const out: EngineOutput[] = [];
    records.forEach(([ts, source], offset) => {
      const record = { ts, source, metric: 'm', value: 1, tags: {} };
      out.push(...e.step(st, { kind: 'record', partition: 0, offset, record }).outputs);
    });
    out.push(...e.step(st, { kind: 'flush' }).outputs);
    return out;
  }

  it('a series revived by a new record is not evicted; the new series is rejected instead', () => {
    // a@0 closes window 0 at b@1500: a turns dormant; a@1600 revives it; c@1700 finds no dormant series.
    const out = feed([
      [0, 'a'],
      [1500, 'b'],
      [1600, 'a'],
      [1700, 'c'],
    ]);
    expect(out.filter((o) => o.kind === 'evicted')).toEqual([]);
    expect(out.filter((o) => o.kind === 'rejected').map((o) => o.kind === 'rejected' && o.reason)).toEqual([
      'series_limit',
    ]);
    const counts = out.flatMap((o) =>
      o.kind === 'signal' ? [`${o.signal.source}@${o.signal.windowStart}:${o.signal.count}`] : [],
    );
    expect(counts).toEqual(['a@0:1', 'a@1000:1', 'b@1000:1']);
  });

  it('a series that stays dormant is evicted for the new one', () => {
    const out = feed([
      [0, 'a'],
      [1500, 'b'],
      [1700, 'c'],
    ]);
    expect(out.flatMap((o) => (o.kind === 'evicted' ? [o.key] : []))).toHaveLength(1);
    expect(out.filter((o) => o.kind === 'rejected')).toEqual([]);
  });

  it('evicts in the order series went dormant: by window, then key; a revived series goes to the back', () => {
    const roomy = cappedEngine(4);
    // Window 0 holds d and b: both dormant when it closes (at c), b first (key order); d is
    // revived in window 1 with c and a, which all go dormant when it closes (at e): a, c, d.
    // Each new series at the cap evicts the series that went dormant first — e evicts b (the
    // look-up comes before e's record closes window 1), and e itself is dormant by i.
    const out = feed(
      [
        [0, 'd'],
        [10, 'b'],
        [1000, 'c'],
        [1010, 'a'],
        [1020, 'd'],
        [2000, 'e'],
        [3000, 'f'],
        [3010, 'g'],
        [3020, 'h'],
        [3030, 'i'],
      ],
      roomy,
    );
    expect(out.flatMap((o) => (o.kind === 'evicted' ? [o.key.split('|')[0]] : []))).toEqual(['b', 'a', 'c', 'd', 'e']);
  });
});
