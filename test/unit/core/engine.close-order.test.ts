/**
 * A close builds its series' signals in series-id order and puts the results in key order
 * afterwards (closer.ts, close-order.ts). What must not move with it: each scope group's
 * sketch takes its series in key order — its sum is a fold over the series' sums — either
 * from the series' gathered values (DDSketch.mergeRaw) or, when a series' window was binned
 * (over 256 values) or had compacted parts, from a copy of its sketch. The oracles below are
 * the definition: a group is the merge, in key order, of each series' window sketch, built
 * from its values pane by pane in arrival order. Series are created in an order unlike key
 * order (s9 before s10 before s2), so that id order and key order differ.
 */
import fc from 'fast-check';
import { createEngine, type EngineInput } from '../../../src/core';
import type { WindowSignal } from '../../../src/model/signal';
import { createSketch, DDSketch, encodeSketch, sketchToBase64 } from '../../../src/signals';

const WINDOW = { sizeMs: 1000, advanceMs: 200, graceMs: 0 };
const SCOPES = [
  { name: 'tenant', metrics: ['m'], groupBy: ['tenant'] },
  { name: 'all', metrics: ['m'], groupBy: [] },
];
const SOURCES = ['s9', 's10', 's2', 's0', 's11', 's1', 's3', 's12'];
const tenantOf = (source: string): string => `t${source.length + (source.charCodeAt(1) % 2)}`;

interface Sample {
  source: number;
  dt: number;
  value: number;
}

const samples = fc.array(
  fc.record({
    // Source 0 takes most records: its windows hold hundreds of values (binned), the others few.
    source: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat(SOURCES.length - 1) }),
    dt: fc.nat(3),
    value: fc.integer({ min: -1e6, max: 1e9 }).map((n) => n / 977),
  }),
  { minLength: 1, maxLength: 2500, size: 'max' },
);

function runEngine(plan: readonly Sample[]): { signals: WindowSignal[]; values: Map<string, number[]> } {
  const engine = createEngine({
    window: WINDOW,
    allowedOutOfOrdernessMs: 0,
    idleAfterMs: Infinity,
    dimensionTags: ['tenant'],
    scopes: SCOPES,
  });
  const state = engine.init();
  const signals: WindowSignal[] = [];
  const take = (i: EngineInput): void => {
    for (const o of engine.step(state, i).outputs) if (o.kind === 'signal') signals.push(o.signal);
  };
  take({ kind: 'assign', partitions: [0] });
  // Values of each series and window start, in arrival order (records are in event-time order: none is late).
  const values = new Map<string, number[]>();
  let ts = 1_000_000;
  plan.forEach((p, offset) => {
    ts += p.dt;
    const source = SOURCES[p.source];
    const record = { ts, source, metric: 'm', value: p.value, tags: { tenant: tenantOf(source) } };
    take({ kind: 'record', partition: 0, offset, record });
    const pane = Math.floor(ts / WINDOW.advanceMs) * WINDOW.advanceMs;
    for (let w = pane; w > ts - WINDOW.sizeMs; w -= WINDOW.advanceMs) {
      const id = `${source}@${w}`;
      const list = values.get(id) ?? [];
      list.push(p.value);
      values.set(id, list);
    }
  });
  take({ kind: 'flush' });
  return { signals, values };
}

/** The partial of every (scope group, window) as the definition gives it. */
function expectedPartials(signals: readonly WindowSignal[], values: Map<string, number[]>): Map<string, DDSketch> {
  const series = signals.filter((s) => !s.partial && s.count > 0).sort((a, b) => (a.key < b.key ? -1 : 1));
  const byWindow = new Map<number, WindowSignal[]>();
  for (const s of series) byWindow.set(s.windowStart, [...(byWindow.get(s.windowStart) ?? []), s]);
  const groups = new Map<string, DDSketch>();
  for (const [start, list] of byWindow) {
    for (const s of list) {
      const sk = createSketch();
      for (const v of values.get(`${s.source}@${start}`) ?? []) sk.add(v);
      for (const id of [`tenant|${s.tags.tenant}@${start}`, `all|@${start}`]) {
        const g = groups.get(id) ?? createSketch();
        g.merge(sk);
        groups.set(id, g);
      }
    }
  }
  return groups;
}

const partialId = (s: WindowSignal): string => `${s.scope}|${s.tags.tenant ?? ''}@${s.windowStart}`;

describe('a close in id order', () => {
  it('scope partials are the key-ordered merges of their series’ window sketches, raw and binned alike', () => {
    fc.assert(
      fc.property(samples, (plan) => {
        const { signals, values } = runEngine(plan);
        const want = expectedPartials(signals, values);
        const got = signals.filter((s) => s.partial && s.count > 0);
        expect(got.map(partialId).sort()).toEqual([...want.keys()].sort());
        for (const p of got) {
          const g = want.get(partialId(p)) as DDSketch;
          expect([p.count, p.sum, p.min, p.max, p.sketch]).toEqual([g.count, g.sum, g.min, g.max, sketchToBase64(g)]);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('outputs stay in (window end, key) order when ids and keys disagree', () => {
    const { signals } = runEngine(SOURCES.map((_, source) => ({ source, dt: 50, value: source / 977 })));
    const order = signals.map((s) => [s.windowEnd, s.key] as const);
    const sorted = [...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    expect(order).toEqual(sorted);
    expect(new Set(signals.map((s) => s.source))).toEqual(new Set([...SOURCES, '*']));
  });
});

describe('a close listing few of many series', () => {
  it('sorts the few ids instead of passing over all of them, and emits each with its own values', () => {
    const engine = createEngine({ window: WINDOW, allowedOutOfOrdernessMs: 0, idleAfterMs: Infinity, scopes: [] });
    const state = engine.init();
    const signals: WindowSignal[] = [];
    const take = (i: EngineInput): void => {
      for (const o of engine.step(state, i).outputs) if (o.kind === 'signal') signals.push(o.signal);
    };
    take({ kind: 'assign', partitions: [0] });
    const sums = new Map<string, number>();
    let offset = 0;
    const record = (ts: number, source: string, value: number): void => {
      take({ kind: 'record', partition: 0, offset: offset++, record: { ts, source, metric: 'm', value, tags: {} } });
      const pane = Math.floor(ts / WINDOW.advanceMs) * WINDOW.advanceMs;
      for (let w = pane; w > ts - WINDOW.sizeMs; w -= WINDOW.advanceMs) {
        sums.set(`${source}@${w}`, (sums.get(`${source}@${w}`) ?? 0) + value);
      }
    };
    // 300 series created in one window (ids in an order unlike key order), then three of them for ten windows.
    for (let i = 0; i < 300; i++) record(1_000_000 + i, `s${(i * 7) % 300}`, i / 977);
    for (let t = 1_001_000; t < 1_011_000; t += 50) {
      for (const src of ['s250', 's3', 's100']) record(t, src, t / 977);
      // Two more that stop early: zero-filled in windows that list only a few of the 305 ids.
      if (t >= 1_003_000 && t < 1_004_000) for (const src of ['q1', 'q0']) record(t, src, t / 977);
    }
    take({ kind: 'flush' });
    const withData = signals.filter((x) => x.count > 0);
    const got = new Map(withData.map((x) => [`${x.source}@${x.windowStart}`, x.sum]));
    expect(got).toEqual(sums);
    // Each of the 297 quiet series: its record's five windows, then three zero-filled ones (zeroFillWindows).
    const perSource = new Map<string, number>();
    for (const x of signals) perSource.set(x.source, (perSource.get(x.source) ?? 0) + 1);
    for (const src of ['q1', 'q0']) expect(signals.filter((x) => x.source === src && x.count === 0)).toHaveLength(3);
    const quiet = [...perSource].filter(([src]) => !['s250', 's3', 's100', 'q1', 'q0'].includes(src));
    expect(quiet).toHaveLength(297);
    expect(new Set(quiet.map(([, n]) => n))).toEqual(new Set([8]));
    const order = signals.map((x) => [x.windowEnd, x.key] as const);
    const sorted = [...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    expect(order).toEqual(sorted);
  });
});

describe('DDSketch.mergeRaw', () => {
  const values = fc.array(
    fc.integer({ min: -1e6, max: 1e9 }).map((n) => n / 977),
    { maxLength: 300 },
  );
  it('does what merge does with a raw sketch of the same values', () => {
    fc.assert(
      fc.property(
        values,
        fc.array(
          fc.integer({ min: -1e6, max: 1e9 }).map((n) => n / 977),
          { maxLength: 256 },
        ),
        (mine, theirs) => {
          const a = createSketch();
          const b = createSketch();
          for (const v of mine) {
            a.add(v);
            b.add(v);
          }
          const other = createSketch();
          for (const v of theirs) other.add(v);
          expect(other.isRaw()).toBe(true);
          a.merge(other);
          b.mergeRaw(Float64Array.from(theirs), 0, theirs.length, other.sum, other.min, other.max);
          expect([b.count, b.sum, b.min, b.max, b.isRaw()]).toEqual([a.count, a.sum, a.min, a.max, a.isRaw()]);
          expect(encodeSketch(b)).toEqual(encodeSketch(a));
        },
      ),
      { numRuns: 300 },
    );
  });
});
