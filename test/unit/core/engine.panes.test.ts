/**
 * Hopping windows are assembled from panes grouped once (closer.ts, groupBatch in
 * batches.ts). The oracle below is the definition the engine had before panes were grouped:
 * a window holds, per series, every record that was aggregated (neither late nor rejected)
 * while the window was still open, its values taken pane by pane and in arrival order within
 * a pane — the order that fixes the floating-point sum. Values are fractions so that any
 * other order shows in `sum`; the inputs mix disorder beyond the allowed bound,
 * records late for every window, records late for some of their windows only, watermark
 * jumps (ticks) and event-time gaps. (Values are integers / 977: fractions that floating-point
 * addition rounds, unlike the dyadic and integer values fast-check's doubles favour.)
 */
import fc from 'fast-check';
import { createEngine, type EngineConfigInput, type EngineInput } from '../../../src/core';
import type { WindowSignal } from '../../../src/model/signal';
import { createSketch } from '../../../src/signals';
import {
  createHistory,
  DEFAULT_EWMA_ALPHA,
  DEFAULT_TREND_WINDOWS,
  recordMean,
  type SeriesHistory,
} from '../../../src/signals/history';
import { byWindow, dataFields, seriesKeyOf } from './helpers';

interface Held {
  pane: number;
  value: number;
}

type Step =
  | { kind: 'record'; ts: number; source: number; value: number; partition: number }
  | { kind: 'tick'; back: number }
  | { kind: 'jump'; by: number };

const windows = fc.constantFrom(
  { sizeMs: 1000, advanceMs: 200, graceMs: 0 },
  { sizeMs: 1000, advanceMs: 200, graceMs: 300 },
  { sizeMs: 900, advanceMs: 300, graceMs: 100 },
  { sizeMs: 600, advanceMs: 200, graceMs: 50 },
  { sizeMs: 500, advanceMs: 500, graceMs: 100 },
);

const steps = fc.array(
  fc.oneof(
    {
      weight: 20,
      arbitrary: fc.record({
        kind: fc.constant('record' as const),
        ts: fc.integer({ min: -1500, max: 60 }),
        source: fc.nat(4),
        value: fc.integer({ min: -1e6, max: 1e9 }).map((n) => n / 977),
        partition: fc.nat(2),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), back: fc.nat(800) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('jump' as const), by: fc.integer({ min: 200, max: 4000 }) }),
    },
  ),
  { maxLength: 250 },
);

/** Runs the engine step by step and builds, alongside, what each window must hold. */
function runWithOracle(
  config: EngineConfigInput & { window: { sizeMs: number; advanceMs: number; graceMs: number } },
  plan: readonly Step[],
) {
  const { sizeMs: size, advanceMs: adv, graceMs: grace } = config.window;
  const engine = createEngine(config);
  const state = engine.init();
  const signals: WindowSignal[] = [];
  const take = (inp: EngineInput): readonly string[] => {
    const out = engine.step(state, inp).outputs;
    const late: string[] = [];
    for (const o of out) {
      if (o.kind === 'signal') signals.push(o.signal);
      else if (o.kind === 'late' || o.kind === 'rejected') late.push(`${o.partition}:${o.offset}`);
    }
    return late;
  };
  take({ kind: 'assign', partitions: [0, 1, 2] });
  const expected = new Map<string, Held[]>();
  let clock = 1_000_000;
  let offset = 0;
  for (const s of plan) {
    if (s.kind === 'jump') clock += s.by;
    else if (s.kind === 'tick') take({ kind: 'tick', watermark: clock - s.back });
    else {
      clock += 20;
      const ts = clock + s.ts;
      // A source lives on one partition, as a Kafka key does.
      const record = { ts, source: `s${s.source}`, metric: 'm', value: s.value, tags: {} };
      const wm = engine.watermark(state);
      const at = offset++;
      const partition = s.source % 3;
      const dropped = take({ kind: 'record', partition, offset: at, record });
      if (dropped.includes(`${partition}:${at}`)) continue;
      const pane = Math.floor(ts / adv) * adv;
      for (let w = pane; w > ts - size; w -= adv) {
        if (w + size + grace <= wm) continue; // closed before the record came
        const id = `${seriesKeyOf(record)}@${w}`;
        const list = expected.get(id) ?? [];
        list.push({ pane, value: s.value });
        expected.set(id, list);
      }
    }
  }
  take({ kind: 'flush' });
  const want = new Map<string, Record<string, number>>();
  for (const [id, held] of expected) {
    const values = held
      .map((h, i) => ({ ...h, i }))
      .sort((a, b) => a.pane - b.pane || a.i - b.i)
      .map((h) => h.value);
    const sk = createSketch();
    for (const v of values) sk.add(v);
    const q = [0, 0, 0, 0];
    sk.quantiles([0.5, 0.9, 0.99, 0.999], q);
    want.set(id, {
      count: sk.count,
      sum: sk.sum,
      min: sk.min,
      max: sk.max,
      p50: q[0],
      p90: q[1],
      p99: q[2],
      p999: q[3],
    });
  }
  const got = new Map<string, Record<string, number>>();
  for (const [id, s] of byWindow(signals)) if (s.count > 0) got.set(id, dataFields(s));
  return { got, want, counters: engine.counters(state), signals };
}

/**
 * EWMA and trend, the inputs the policies read besides the window's data: per series, in
 * emission order, each window with data records its mean at its position (start / advance);
 * a zero-filled window carries the history unchanged.
 */
function expectHistories(signals: readonly WindowSignal[], advanceMs: number): void {
  const histories = new Map<string, SeriesHistory>();
  for (const s of signals) {
    if (s.partial) continue;
    let h = histories.get(s.key);
    if (h === undefined) {
      h = createHistory(DEFAULT_TREND_WINDOWS);
      histories.set(s.key, h);
    }
    if (s.count > 0) recordMean(h, s.windowStart / advanceMs, s.sum / s.count, DEFAULT_EWMA_ALPHA);
    expect([s.key, s.windowStart, s.ewma, s.trend]).toEqual([s.key, s.windowStart, h.ewma, h.trend]);
  }
}

describe('hopping windows from grouped panes', () => {
  it('every window holds exactly the records aggregated while it was open, summed pane by pane in arrival order', () => {
    fc.assert(
      fc.property(windows, steps, fc.nat(600), fc.nat(2), (window, plan, ooo, zeroFill) => {
        const { got, want, counters, signals } = runWithOracle(
          { window, allowedOutOfOrdernessMs: ooo, zeroFillWindows: zeroFill, idleAfterMs: Infinity, scopes: [] },
          plan,
        );
        expect(counters.consumed).toBe(counters.aggregated + counters.late + counters.rejected);
        expect(got).toEqual(want);
        expectHistories(signals, window.advanceMs);
      }),
      { numRuns: 300 },
    );
  });

  it('a pane that receives records after its first window closed is regrouped: later windows see them, earlier ones do not', () => {
    const window = { sizeMs: 1000, advanceMs: 200, graceMs: 0 };
    const T = 1_000_000; // a pane boundary
    // Hand-made: records in pane [T+800, T+1000), then the watermark closes window [T, T+1000),
    // then more records arrive in the same pane (partially late), then everything closes.
    const engine = createEngine({ window, allowedOutOfOrdernessMs: 0, idleAfterMs: Infinity, scopes: [] });
    const st = engine.init();
    const out: WindowSignal[] = [];
    const step = (i: EngineInput): void => {
      for (const o of engine.step(st, i).outputs) if (o.kind === 'signal') out.push(o.signal);
    };
    step({ kind: 'assign', partitions: [0] });
    const r = (offset: number, ts: number, value: number): EngineInput => ({
      kind: 'record',
      partition: 0,
      offset,
      record: { ts, source: 's', metric: 'm', value, tags: {} },
    });
    step(r(0, T + 850, 0.1));
    step(r(1, T + 900, 0.2));
    step({ kind: 'tick', watermark: T + 1000 }); // closes [T, T+1000) only
    step(r(2, T + 950, 0.3)); // same pane, after its first window closed
    step({ kind: 'flush' });
    const w = byWindow(out);
    const sum = (...xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    expect(w.get(`s|m|@${T}`)?.sum).toBe(sum(0.1, 0.2));
    expect(w.get(`s|m|@${T + 200}`)?.sum).toBe(sum(0.1, 0.2, 0.3));
    expect(w.get(`s|m|@${T + 800}`)?.count).toBe(3);
    expect(engine.counters(st).partiallyLate).toBe(1);
  });
});
