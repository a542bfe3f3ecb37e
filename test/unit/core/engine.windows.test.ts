import { createEngine, type EngineOutput } from '../../../src/core';
import { sketchFromBase64 } from '../../../src/signals';
import { dataFields, input, rec, reference, run, seriesKeyOf, signalsOf } from './helpers';

const base = { window: { sizeMs: 1000, graceMs: 0 }, allowedOutOfOrdernessMs: 0, zeroFillWindows: 0, scopes: [] };

describe('tumbling windows', () => {
  it('emits a window exactly when the watermark passes its end + grace, and only once', () => {
    const engine = createEngine({ ...base, window: { sizeMs: 1000, graceMs: 200 }, allowedOutOfOrdernessMs: 100 });
    const st = engine.init();
    const step = (ts: number, v: number): EngineOutput[] => [...engine.step(st, input(rec(0, ts, ts, v))).outputs];
    expect(step(100, 1)).toEqual([]);
    expect(step(900, 3)).toEqual([]);
    expect(step(1299, 5)).toEqual([]); // watermark 1199 < 1000 + 200
    const out = step(1300, 7); // watermark 1200: window [0, 1000) closes
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      kind: 'signal',
      signal: { windowStart: 0, windowEnd: 1000, count: 2, sum: 4, min: 1, max: 3, mean: 2 },
    });
    expect(step(1400, 1)).toEqual([]);
    const rest = signalsOf(engine.step(st, { kind: 'flush' }).outputs);
    expect(rest.map((s) => [s.windowStart, s.count])).toEqual([[1000, 3]]);
  });

  it('side-outputs a record whose window has closed as late, with partition and offset, and keeps counting', () => {
    const engine = createEngine(base);
    const r = run(engine, [input(rec(3, 0, 500, 1)), input(rec(3, 1, 2500, 1)), input(rec(3, 2, 999, 42))], {
      flush: false,
    });
    const late = r.outputs.filter((o) => o.kind === 'late');
    expect(late).toEqual([
      {
        kind: 'late',
        partition: 3,
        offset: 2,
        record: expect.objectContaining({ ts: 999, value: 42 }),
        watermark: 2500,
      },
    ]);
    expect(engine.counters(r.state)).toMatchObject({ consumed: 3, aggregated: 2, late: 1, rejected: 0 });
  });

  it('computes rate per second over the window length, and quantiles from the sketch', () => {
    const engine = createEngine({ ...base, window: { sizeMs: 2000, graceMs: 0 } });
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const r = run(
      engine,
      values.map((v, i) => input(rec(0, i, 10 * i, v))),
    );
    const [s] = r.signals;
    expect(s).toMatchObject({ count: 100, sum: 5050, min: 1, max: 100, ratePerSec: 2525 });
    expect(Math.abs(s.p50 - 50) / 50).toBeLessThanOrEqual(0.01);
    expect(Math.abs(s.p99 - 99) / 99).toBeLessThanOrEqual(0.01);
  });

  it('emits windows closing together sorted by (windowEnd, key)', () => {
    const engine = createEngine({ ...base, allowedOutOfOrdernessMs: 5000 });
    const r = run(
      engine,
      [
        input(rec(0, 0, 1500, 1, 'b')),
        input(rec(0, 1, 1600, 1, 'a')),
        input(rec(0, 2, 500, 1, 'c')),
        input(rec(0, 3, 400, 1, 'a')),
        { kind: 'tick', watermark: 10_000 },
      ],
      { flush: false },
    );
    expect(r.signals.map((s) => `${s.windowEnd}:${s.source}`)).toEqual(['1000:a', '1000:c', '2000:a', '2000:b']);
  });

  it('identifies a series by source, metric and the configured dimension tags only', () => {
    const engine = createEngine({ ...base, dimensionTags: ['tenant'] });
    const r = run(engine, [
      input(rec(0, 0, 10, 1, 'w|1', 'lat', { tenant: 'x', host: 'h1' })),
      input(rec(0, 1, 20, 2, 'w|1', 'lat', { tenant: 'x', host: 'h2' })),
      input(rec(0, 2, 30, 3, 'w|1', 'lat', { tenant: 'y' })),
      input(rec(0, 3, 40, 4, 'w|1', 'lat', {})),
    ]);
    expect(r.signals.map((s) => [s.key, s.count, s.tags])).toEqual([
      ['w%7C1|lat|', 1, {}],
      ['w%7C1|lat|tenant=x', 2, { tenant: 'x' }],
      ['w%7C1|lat|tenant=y', 1, { tenant: 'y' }],
    ]);
  });

  it('rejects non-finite values and timestamps as invalid_value (counted, not aggregated)', () => {
    const engine = createEngine(base);
    const r = run(engine, [input(rec(0, 0, 10, NaN)), input(rec(0, 1, Infinity, 1)), input(rec(0, 2, 10, 1))]);
    expect(r.outputs.filter((o) => o.kind === 'rejected').map((o) => (o.kind === 'rejected' ? o.reason : ''))).toEqual([
      'invalid_value',
      'invalid_value',
    ]);
    expect(engine.counters(r.state)).toMatchObject({ consumed: 3, aggregated: 1, rejected: 2 });
    expect(r.signals).toHaveLength(1);
  });
});

describe('hopping windows', () => {
  it('counts a record in every window that covers it', () => {
    const engine = createEngine({ ...base, window: { sizeMs: 3000, advanceMs: 1000, graceMs: 0 } });
    const r = run(engine, [input(rec(0, 0, 2500, 7))]);
    expect(r.signals.map((s) => [s.windowStart, s.windowEnd, s.count, s.sum])).toEqual([
      [0, 3000, 1, 7],
      [1000, 4000, 1, 7],
      [2000, 5000, 1, 7],
    ]);
  });

  it('adds a record that missed its earliest windows to the open ones only, counted as partially late', () => {
    const engine = createEngine({ ...base, window: { sizeMs: 3000, advanceMs: 1000, graceMs: 0 } });
    // watermark 3500 closes [0, 3000) only; a record at 2500 still fits [1000, 4000) and [2000, 5000)
    const r = run(engine, [input(rec(0, 0, 100, 1)), input(rec(0, 1, 3500, 1)), input(rec(0, 2, 2500, 5))]);
    const counts = new Map(r.signals.map((s) => [s.windowStart, s.count]));
    expect(counts.get(0)).toBe(1); // closed before the record at 2500 arrived
    expect(counts.get(1000)).toBe(2); // 2500 and 3500
    expect(counts.get(2000)).toBe(2);
    expect(engine.counters(r.state)).toMatchObject({ aggregated: 3, late: 0, partiallyLate: 1 });
  });
});

describe('zero-fill, EWMA and trend', () => {
  it('emits zero-count windows for a few windows after a series stops, then falls silent', () => {
    const engine = createEngine({ ...base, zeroFillWindows: 2 });
    const r = run(engine, [
      input(rec(0, 0, 100, 5, 'stops')),
      input(rec(0, 1, 150, 5, 'keeps')),
      ...[1, 2, 3, 4, 5].map((k) => input(rec(0, 1 + k, k * 1000 + 100, 1, 'keeps'))),
    ]);
    const stops = r.signals.filter((s) => s.source === 'stops').map((s) => [s.windowStart, s.count, s.ratePerSec]);
    expect(stops).toEqual([
      [0, 1, 5],
      [1000, 0, 0],
      [2000, 0, 0],
    ]);
    expect(engine.counters(r.state).zeroSignals).toBe(2);
  });

  it('does not invent zero windows after the last data at flush', () => {
    const engine = createEngine({ ...base, zeroFillWindows: 3 });
    const r = run(engine, [input(rec(0, 0, 100, 1)), input(rec(0, 1, 2100, 1))]);
    expect(r.signals.map((s) => [s.windowStart, s.count])).toEqual([
      [0, 1],
      [1000, 0],
      [2000, 1],
    ]);
  });

  it('carries EWMA and trend of the window mean across windows (empty windows carry them over)', () => {
    const engine = createEngine({ ...base, zeroFillWindows: 1, ewmaAlpha: 0.5 });
    const r = run(engine, [input(rec(0, 0, 100, 2)), input(rec(0, 1, 1100, 4)), input(rec(0, 2, 3100, 8))]);
    expect(r.signals.map((s) => [s.windowStart, s.count, s.ewma, s.trend])).toEqual([
      [0, 1, 2, 0],
      [1000, 1, 3, 2],
      [2000, 0, 3, 2],
      [3000, 1, 5.5, expect.closeTo(2, 12)],
    ]);
  });
});

describe('partitions, offsets, flush', () => {
  it('reports the earliest offset still held in an open window, per partition', () => {
    const engine = createEngine({ ...base, allowedOutOfOrdernessMs: 0 });
    const st = engine.init();
    engine.step(st, { kind: 'assign', partitions: [0, 1] });
    engine.step(st, input(rec(0, 10, 100, 1)));
    engine.step(st, input(rec(0, 11, 1100, 1)));
    engine.step(st, input(rec(1, 70, 150, 1)));
    expect(engine.pendingOffset(st, 0)).toBe(10);
    engine.step(st, input(rec(1, 71, 1200, 1))); // both partitions past 1000: window [0, 1000) closes
    expect(engine.pendingOffset(st, 0)).toBe(11);
    expect(engine.pendingOffset(st, 1)).toBe(71);
    engine.step(st, { kind: 'flush' });
    expect(engine.pendingOffset(st, 0)).toBeUndefined();
    expect(engine.openPanes(st)).toBe(0);
  });

  it('drops the series of a revoked partition and stops waiting for it', () => {
    const engine = createEngine({ ...base, idleAfterMs: Infinity });
    const r = run(
      engine,
      [
        { kind: 'assign', partitions: [0, 1] },
        input(rec(0, 0, 100, 1, 'zero')),
        input(rec(1, 0, 100, 1, 'one')),
        input(rec(0, 1, 5000, 1, 'zero')), // partition 1 holds the watermark at 100
        { kind: 'revoke', partitions: [1] },
      ],
      { flush: false },
    );
    expect(r.signals.map((s) => s.source)).toEqual(['zero']);
    expect(engine.counters(r.state).revokedSeries).toBe(1);
    expect(engine.watermark(r.state)).toBe(5000);
  });

  it('emits stage-one scope partials covering the owned partitions, with a mergeable sketch', () => {
    const engine = createEngine({ ...base, scopes: [{ name: 'tenant', metrics: ['bytes'], groupBy: ['tenant'] }] });
    const r = run(engine, [
      { kind: 'assign', partitions: [2, 0] },
      input(rec(0, 0, 100, 10, 'a', 'bytes', { tenant: 't1' })),
      input(rec(2, 0, 200, 30, 'b', 'bytes', { tenant: 't1' })),
      input(rec(2, 1, 300, 5, 'c', 'bytes', { tenant: 't2' })),
    ]);
    const partials = r.signals.filter((s) => s.partial);
    expect(partials.map((s) => [s.scope, s.key, s.count, s.sum, s.partitions])).toEqual([
      ['tenant', 'tenant|bytes|tenant=t1', 2, 40, [0, 2]],
      ['tenant', 'tenant|bytes|tenant=t2', 1, 5, [0, 2]],
    ]);
    expect(sketchFromBase64(partials[0].sketch ?? '').count).toBe(2);
    expect(engine.counters(r.state).partials).toBe(2);
  });

  it('refuses an invalid configuration with a message naming the key and the fix', () => {
    expect(() => createEngine({ window: { sizeMs: 1000, advanceMs: 300 } })).toThrow(
      /window.sizeMs \(1000\) must be a multiple of window.advanceMs/,
    );
    expect(() => createEngine({ scopes: [{ name: 'x', metrics: ['m'], groupBy: ['host'] }] })).toThrow(
      /groupBy tag "host" is not in dimensionTags/,
    );
    expect(() => createEngine({ ewmaAlpha: 0 })).toThrow(/ewmaAlpha must be in \(0, 1\]/);
  });
});

describe('large panes', () => {
  it('folds a pane past its compaction size into per-series sketches with the same result', () => {
    const n = 150_000; // several compactions of the pane's columns
    const records = Array.from({ length: n }, (_, i) =>
      rec(0, i, 1000 + (i % 997), ((i * 7919) % 1000) - 100, `s${i % 3}`),
    );
    const engine = createEngine({ ...base, window: { sizeMs: 10_000, graceMs: 0 } });
    const state = engine.init();
    const outputs: EngineOutput[] = [];
    for (const r of records) outputs.push(...engine.step(state, input(r)).outputs);
    outputs.push(...engine.step(state, { kind: 'flush' }).outputs);
    const got = new Map(signalsOf(outputs).map((s) => [s.key, dataFields(s)]));
    expect(got).toEqual(
      new Map(
        [...reference(records, { sizeMs: 10_000, advanceMs: 10_000 }, seriesKeyOf)].map(([id, v]) => [
          id.split('@')[0],
          v,
        ]),
      ),
    );
  });
});
