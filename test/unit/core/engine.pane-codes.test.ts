/**
 * Scope groups bin their values from bucket codes computed once per pane (DDSketch.codeValues,
 * codeBatch in batches.ts) instead of taking a log per value in every window and group
 * (DDSketch.mergeRaw). Nothing may move with it: a group's partial is still the key-ordered
 * merge of its series' window sketches, built from their values pane by pane in arrival order
 * — here with late records that reach panes already grouped and coded (the pane is regrouped,
 * its codes must follow), a revoked partition whose entries leave the panes, a pane compacted
 * into sketches, and values at the sketch's edges: ±0, subnormals, ±1e300, negatives.
 */
import fc from 'fast-check';
import { createEngine, type EngineInput } from '../../../src/core';
import type { WindowSignal } from '../../../src/model/signal';
import { createSketch, DDSketch, encodeSketch, sketchToBase64, SIGNAL_QUANTILES } from '../../../src/signals';

const WINDOW = { sizeMs: 1000, advanceMs: 200, graceMs: 100 };
const SCOPES = [
  { name: 'tenant', metrics: ['m'], groupBy: ['tenant'] },
  { name: 'all', metrics: ['m'], groupBy: [] },
];
const SOURCES = ['s9', 's10', 's2', 's0', 's11', 's1'];
const tenantOf = (source: string): string => `t${source.length}`;

/** Values a sketch treats specially, and ordinary ones of both signs. */
const edgy = fc.oneof(
  fc.constantFrom(0, -0, 5e-324, -5e-324, 2.2250738585072014e-308, -2.3e-308, 1e300, -1e300, 1, -1),
  fc.integer({ min: -1e6, max: 1e9 }).map((n) => n / 977),
);

interface Step {
  source: number;
  /** Event-time step of the clock; a record may lag it by `lag` ms (late for some of its windows). */
  dt: number;
  lag: number;
  value: number;
}

const plans = fc.array(
  fc.record({
    // Source 0 takes most records: its groups' windows hold hundreds of values (binned).
    source: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat(SOURCES.length - 1) }),
    dt: fc.nat(4),
    lag: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(1500) }),
    value: edgy,
  }),
  { minLength: 1, maxLength: 2500, size: 'max' },
);

interface Entry {
  pane: number;
  value: number;
}

/** A series' window values as its sketch takes them: pane by pane, in arrival order within a pane. */
const inPaneOrder = (entries: readonly Entry[] = []): number[] =>
  [...entries].sort((a, b) => a.pane - b.pane).map((e) => e.value);

interface Run {
  signals: WindowSignal[];
  /** Values of each series and window start, with their panes, in arrival order, as the definition includes them. */
  values: Map<string, Entry[]>;
}

/** Source s lives on partition s % 2; partition 1 is revoked after `revokeAt` records (never when -1). */
function runEngine(plan: readonly Step[], revokeAt: number): Run {
  const engine = createEngine({
    window: WINDOW,
    allowedOutOfOrdernessMs: 0,
    idleAfterMs: Infinity,
    dimensionTags: ['tenant'],
    scopes: SCOPES,
  });
  const state = engine.init();
  const signals: WindowSignal[] = [];
  // Windows close in start order, and the clock series has data in every one: the highest
  // start seen closed is the bound below which a record joins no window.
  let closedThrough = -Infinity;
  const take = (i: EngineInput): void => {
    for (const o of engine.step(state, i).outputs) {
      if (o.kind !== 'signal') continue;
      signals.push(o.signal);
      if (o.signal.windowStart > closedThrough) closedThrough = o.signal.windowStart;
    }
  };
  const values = new Map<string, Entry[]>();
  const include = (source: string, ts: number, value: number): void => {
    const pane = Math.floor(ts / WINDOW.advanceMs) * WINDOW.advanceMs;
    for (let w = pane; w > ts - WINDOW.sizeMs; w -= WINDOW.advanceMs) {
      if (w <= closedThrough) break;
      const id = `${source}@${w}`;
      const list = values.get(id);
      if (list === undefined) values.set(id, [{ pane, value }]);
      else list.push({ pane, value });
    }
  };
  take({ kind: 'assign', partitions: [0, 1] });
  const offsets = [0, 0];
  let revoked = false;
  let ts = 1_000_000;
  plan.forEach((p, i) => {
    if (i === revokeAt) {
      take({ kind: 'revoke', partitions: [1] });
      revoked = true;
      // The revoked series' entries leave the open windows: the definition drops them too.
      for (const key of [...values.keys()]) {
        const [src, w] = key.split('@');
        if (SOURCES.indexOf(src) % 2 === 1 && Number(w) > closedThrough) values.delete(key);
      }
    }
    ts += p.dt;
    // The clock: every window has data, on the partition that stays.
    include('clk', ts, 0.5);
    take({
      kind: 'record',
      partition: 0,
      offset: offsets[0]++,
      record: { ts, source: 'clk', metric: 'c', value: 0.5, tags: {} },
    });
    const partition = p.source % 2;
    if (revoked && partition === 1) return;
    const source = SOURCES[p.source];
    const at = ts - p.lag;
    include(source, at, p.value);
    const record = { ts: at, source, metric: 'm', value: p.value, tags: { tenant: tenantOf(source) } };
    take({ kind: 'record', partition, offset: offsets[partition]++, record });
  });
  take({ kind: 'flush' });
  return { signals, values };
}

/** Each (scope group, window)'s partial by the definition: its series' window sketches merged in key order. */
function expectedPartials(signals: readonly WindowSignal[], values: Map<string, Entry[]>): Map<string, DDSketch> {
  const series = signals.filter((s) => !s.partial && s.count > 0 && s.source !== 'clk');
  series.sort((a, b) => a.windowStart - b.windowStart || (a.key < b.key ? -1 : 1));
  const groups = new Map<string, DDSketch>();
  for (const s of series) {
    const sk = createSketch();
    for (const v of inPaneOrder(values.get(`${s.source}@${s.windowStart}`))) sk.add(v);
    for (const id of [`tenant|${s.tags.tenant}@${s.windowStart}`, `all|@${s.windowStart}`]) {
      const g = groups.get(id) ?? createSketch();
      g.merge(sk);
      groups.set(id, g);
    }
  }
  return groups;
}

const partialId = (s: WindowSignal): string => `${s.scope}|${s.tags.tenant ?? ''}@${s.windowStart}`;
const quantilesOf = (s: WindowSignal): number[] => [s.p50, s.p90, s.p99, s.p999];

function checkPartials(run: Run): void {
  const { signals, values } = run;
  // The series themselves hold exactly the values the definition gives them (late ones included).
  for (const s of signals.filter((x) => !x.partial && x.count > 0)) {
    expect([s.key, s.windowStart, s.count]).toEqual([
      s.key,
      s.windowStart,
      values.get(`${s.source}@${s.windowStart}`)?.length,
    ]);
  }
  const want = expectedPartials(signals, values);
  const got = signals.filter((s) => s.partial && s.count > 0);
  expect(got.map(partialId).sort()).toEqual([...want.keys()].sort());
  for (const p of got) {
    const g = want.get(partialId(p)) as DDSketch;
    const q: number[] = [];
    g.quantiles(SIGNAL_QUANTILES, q);
    expect([partialId(p), p.count, p.sum, p.min, p.max, p.sketch, ...quantilesOf(p)]).toEqual([
      partialId(p),
      g.count,
      g.sum,
      g.min,
      g.max,
      sketchToBase64(g),
      ...q,
    ]);
  }
}

describe('scope groups binned from pane codes', () => {
  it('give the definition’s partials with late records, a revoked partition and edge values', () => {
    fc.assert(
      fc.property(plans, fc.nat(3000), (plan, at) => {
        checkPartials(runEngine(plan, at < 2500 ? at : -1));
      }),
      { numRuns: 30 },
    );
  });

  it('give the definition’s partials when a pane is compacted into sketches mid-way', () => {
    // 70 000 records in one pane (compaction at 64 Ki entries), then a few late ones into it.
    const plan: Step[] = [];
    for (let i = 0; i < 70_000; i++) {
      plan.push({
        source: i % SOURCES.length,
        dt: i % 40 === 0 ? 1 : 0,
        lag: 0,
        value: ((i * 7919) % 10007) / 13 - 300,
      });
    }
    for (let i = 0; i < 3000; i++) plan.push({ source: i % 3, dt: 1, lag: i % 7 === 0 ? 1200 : 0, value: i - 1500 });
    checkPartials(runEngine(plan, -1));
  });
});

describe('DDSketch.mergeCoded', () => {
  const lists = fc.array(edgy, { maxLength: 700 });
  it('leaves the sketch as mergeRaw does, from a raw or a binned start', () => {
    fc.assert(
      fc.property(lists, lists, fc.boolean(), (mine, theirs, binFirst) => {
        const a = createSketch();
        const b = createSketch();
        for (const v of mine) {
          a.add(v);
          b.add(v);
        }
        if (binFirst) {
          a.flush();
          b.flush();
        }
        const other = createSketch();
        for (const v of theirs) other.add(v);
        const values = Float64Array.from(theirs);
        const codes = new Int32Array(values.length);
        b.codeValues(values, codes, 0, values.length);
        a.mergeRaw(values, 0, values.length, other.sum, other.min, other.max);
        b.mergeCoded(values, codes, 0, values.length, other.sum, other.min, other.max);
        const qa: number[] = [];
        const qb: number[] = [];
        a.quantiles(SIGNAL_QUANTILES, qa);
        b.quantiles(SIGNAL_QUANTILES, qb);
        expect([b.count, b.sum, b.min, b.max, b.isRaw(), ...qb]).toEqual([
          a.count,
          a.sum,
          a.min,
          a.max,
          a.isRaw(),
          ...qa,
        ]);
        expect(encodeSketch(b)).toEqual(encodeSketch(a));
      }),
      { numRuns: 300 },
    );
  });

  it('is not used where a code would not fit an Int32', () => {
    expect(createSketch().codesFit()).toBe(true);
    expect(createSketch({ relativeAccuracy: 1e-9, maxBins: 2048 }).codesFit()).toBe(false);
  });
});
