import fc from 'fast-check';
import { createEngine, type EngineConfigInput, type EngineInput } from '../../../src/core';
import type { WindowSignal } from '../../../src/model/signal';
import {
  boundedDisorderPartition,
  byWindow,
  dataFields,
  input,
  interleave,
  prng,
  rec,
  reference,
  run,
  seriesKeyOf,
  type Rec,
} from './helpers';

const OOO = 300;
const windowConfigs = fc.constantFrom(
  { sizeMs: 1000, advanceMs: 1000, graceMs: 0 },
  { sizeMs: 1000, advanceMs: 1000, graceMs: 150 },
  { sizeMs: 1000, advanceMs: 250, graceMs: 50 },
);
const partitionsArb = (n: number, maxLength = 60): fc.Arbitrary<Rec[][]> =>
  fc.tuple(
    ...Array.from({ length: n }, (_, p) =>
      boundedDisorderPartition(p, { ooo: OOO, sources: 3, maxStep: 120, maxLength }),
    ),
  );

const assignAll = (n: number): EngineInput => ({ kind: 'assign', partitions: Array.from({ length: n }, (_, i) => i) });

function expectMatchesReference(
  signals: readonly WindowSignal[],
  records: readonly Rec[],
  w: { sizeMs: number; advanceMs: number },
): void {
  const ref = reference(records, w, seriesKeyOf);
  const got = new Map<string, Record<string, number>>();
  for (const [id, s] of byWindow(signals)) if (s.count > 0) got.set(id, dataFields(s));
  expect(got).toEqual(ref);
}

describe('event-time windows: order independence', () => {
  it('any interleaving across partitions (and any disorder within the allowed bound) gives identical results', () => {
    fc.assert(
      fc.property(partitionsArb(3), windowConfigs, fc.integer(), fc.integer(), (lists, window, seedA, seedB) => {
        const config: EngineConfigInput = { window, allowedOutOfOrdernessMs: OOO, idleAfterMs: Infinity, scopes: [] };
        const a = run(createEngine(config), [assignAll(3), ...interleave(lists, seedA).map(input)]);
        const b = run(createEngine(config), [assignAll(3), ...interleave(lists, seedB).map(input)]);
        expect(a.outputs.filter((o) => o.kind !== 'signal')).toEqual([]);
        expect(byWindow(a.signals)).toEqual(byWindow(b.signals)); // every field, EWMA, trend and zero windows too
        expectMatchesReference(a.signals, lists.flat(), window);
      }),
      { numRuns: 120 },
    );
  });

  it('any reordering of a partition within the allowed out-of-orderness gives identical results', () => {
    const sorted = fc.array(
      fc.record({ gap: fc.integer({ min: 0, max: 200 }), v: fc.integer({ min: 0, max: 100 }), s: fc.nat(2) }),
      { maxLength: 80, size: 'max' },
    );
    fc.assert(
      fc.property(sorted, windowConfigs, fc.integer(), fc.integer(), (items, window, seedA, seedB) => {
        let ts = 10_000;
        const base = items.map((it) => ({ ts: (ts += it.gap), v: it.v, source: `s${it.s}` }));
        // Deliver in order of ts + u, u uniform in [0, OOO]: each record is at most OOO behind the max before it.
        const reorder = (seed: number): EngineInput[] => {
          const rnd = prng(seed);
          return base
            .map((r) => ({ r, key: r.ts + rnd() * OOO }))
            .sort((x, y) => x.key - y.key)
            .map(({ r }, i) => input(rec(0, i, r.ts, r.v, r.source, 'm', { tenant: 't' })));
        };
        const config: EngineConfigInput = { window, allowedOutOfOrdernessMs: OOO, scopes: [] };
        const a = run(createEngine(config), reorder(seedA));
        const b = run(createEngine(config), reorder(seedB));
        expect(byWindow(a.signals)).toEqual(byWindow(b.signals));
        expect(a.outputs.length).toBe(a.signals.length);
      }),
      { numRuns: 120 },
    );
  });
});

describe('event-time windows: exactly once, late side-output, accounting', () => {
  // Timestamps on a 50 ms grid, so that records land exactly on window and watermark boundaries.
  const grid = fc.integer({ min: 0, max: 160 }).map((k) => k * 50);
  const wild = fc.array(fc.record({ p: fc.nat(2), ts: grid, v: fc.integer({ min: 0, max: 9 }), s: fc.nat(3) }), {
    maxLength: 120,
    size: 'max',
  });

  it('emits each window once, side-outputs only records whose windows have all closed, and the counts add up', () => {
    fc.assert(
      fc.property(wild, windowConfigs, (items, window) => {
        const offsets = [0, 0, 0];
        const records = items.map((it) => rec(it.p, offsets[it.p]++, it.ts, it.v, `s${it.s}`));
        const engine = createEngine({ window, allowedOutOfOrdernessMs: OOO, scopes: [], zeroFillWindows: 0 });
        const r = run(engine, records.map(input));
        const c = engine.counters(r.state);
        expect(c.consumed).toBe(records.length);
        expect(c.consumed).toBe(c.aggregated + c.late + c.rejected);
        const windows = byWindow(r.signals); // throws if any window is emitted twice
        // Every aggregated record is in each of its size/advance windows unless it was partially late.
        const perRecord = window.sizeMs / window.advanceMs;
        const counted = [...windows.values()].reduce((n, s) => n + s.count, 0);
        expect(counted).toBeLessThanOrEqual(c.aggregated * perRecord);
        if (perRecord === 1) {
          // Tumbling: the windows hold exactly the records that were not late.
          const late = new Set(r.outputs.flatMap((o) => (o.kind === 'late' ? [`${o.partition}/${o.offset}`] : [])));
          expectMatchesReference(
            r.signals,
            records.filter((x) => !late.has(`${x.partition}/${x.offset}`)),
            window,
          );
        }
        // A late record came after its last window had closed: that window is never emitted after it.
        let lateSeen = 0;
        r.outputs.forEach((o, i) => {
          if (o.kind !== 'late') return;
          lateSeen += 1;
          const lastStart = Math.floor(o.record.ts / window.advanceMs) * window.advanceMs;
          expect(lastStart + window.sizeMs + window.graceMs).toBeLessThanOrEqual(o.watermark);
          const id = `${seriesKeyOf(o.record)}@${lastStart}`;
          const later = r.outputs
            .slice(i + 1)
            .some((x) => x.kind === 'signal' && `${x.signal.key}@${x.signal.windowStart}` === id);
          expect(later).toBe(false);
        });
        expect(lateSeen).toBe(c.late);
        expect(engine.openPanes(r.state)).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('outputs of every step are sorted by (windowEnd, key), and closed panes are freed as it goes', () => {
    fc.assert(
      fc.property(wild, windowConfigs, (items, window) => {
        const engine = createEngine({ window, allowedOutOfOrdernessMs: OOO });
        const st = engine.init();
        const steps = items.map((it, i) =>
          input(
            rec(it.p, i, it.ts, it.v, `s${it.s}`, it.s % 2 === 0 ? 'tenant.bytes_in' : 'm', { tenant: `t${it.v % 2}` }),
          ),
        );
        let maxTs = -Infinity;
        for (const step of [...steps, { kind: 'flush' } as const]) {
          const sig = engine.step(st, step).outputs.flatMap((o) => (o.kind === 'signal' ? [o.signal] : []));
          const sorted = [...sig].sort(
            (x, y) => x.windowEnd - y.windowEnd || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0),
          );
          expect(sig).toEqual(sorted);
          if (step.kind === 'record') maxTs = Math.max(maxTs, step.record.ts);
          const w = engine.watermark(st);
          // Open panes lie between the first open window and the newest record.
          if (w > -Infinity)
            expect(engine.openPanes(st)).toBeLessThanOrEqual(
              Math.max(0, maxTs - w + window.sizeMs + window.graceMs) / window.advanceMs + 2,
            );
        }
        expect(engine.openPanes(st)).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});

describe('idle partitions', () => {
  const idleAfter3s = () =>
    createEngine({ window: { sizeMs: 1000, graceMs: 0 }, allowedOutOfOrdernessMs: 0, idleAfterMs: 3000, scopes: [] });

  it('a partition that stops does not hold the watermark back after idleAfterMs of event time', () => {
    const config = { window: { sizeMs: 1000, graceMs: 0 }, allowedOutOfOrdernessMs: 0, scopes: [] };
    const inputs: EngineInput[] = [assignAll(2), input(rec(1, 0, 500, 1, 'quiet'))];
    for (let t = 0; t <= 20_000; t += 250) inputs.push(input(rec(0, t, t, 1, 'busy')));
    const idle = run(createEngine({ ...config, idleAfterMs: 5000 }), inputs, { flush: false });
    const stuck = run(createEngine({ ...config, idleAfterMs: Infinity }), inputs, { flush: false });
    expect(idle.signals.filter((s) => s.source === 'busy')).toHaveLength(20);
    expect(stuck.signals).toHaveLength(0); // held at partition 1's 500 ms
  });

  it('a partition assigned but silent is idle after twice idleAfterMs of the one other partition moving', () => {
    const engine = idleAfter3s();
    const st = engine.init();
    engine.step(st, assignAll(2));
    engine.step(st, input(rec(0, 0, 10_000, 1)));
    engine.step(st, input(rec(0, 1, 13_001, 1)));
    // One partition alone cannot make another idle within idleAfterMs (it may be running ahead).
    expect(engine.watermark(st)).toBe(-Infinity);
    engine.step(st, input(rec(0, 2, 16_000, 1)));
    expect(engine.watermark(st)).toBe(-Infinity);
    engine.step(st, input(rec(0, 3, 16_001, 1)));
    expect(engine.watermark(st)).toBe(16_001);
  });

  it('a silent partition is idle after idleAfterMs once two other partitions have passed it', () => {
    const engine = idleAfter3s();
    const st = engine.init();
    engine.step(st, assignAll(3));
    engine.step(st, input(rec(0, 0, 10_000, 1)));
    engine.step(st, input(rec(1, 0, 10_000, 1)));
    engine.step(st, input(rec(0, 1, 13_001, 1)));
    expect(engine.watermark(st)).toBe(-Infinity);
    engine.step(st, input(rec(1, 1, 13_001, 1)));
    expect(engine.watermark(st)).toBe(13_001);
  });

  it('one partition running ahead never makes the others idle: their signals are those of a run without it', () => {
    // Two honest partitions whose producers deliver 29 s after their event time, beside one
    // whose event time is current plus the 2 s limits.maxAheadOfLogTimeMs allows (and jumps
    // within it): its lead over them is 31 s, past idleAfterMs (30 s). Judged against the
    // leader, both honest partitions were idle and every honest record LATE.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer(), (jump, seed) => {
        const rnd = prng(seed);
        const config: EngineConfigInput = {
          window: { sizeMs: 10_000, graceMs: 0 },
          allowedOutOfOrdernessMs: 2000,
          idleAfterMs: 30_000,
          scopes: [],
        };
        const honest: EngineInput[] = [];
        const attacked: EngineInput[] = [];
        const offsets = [0, 0, 0];
        for (let now = 100_000; now <= 400_000; now += 1000) {
          for (const p of [0, 1]) {
            const r = input(rec(p, offsets[p]++, now - 29_000 + Math.floor(rnd() * 500), 1 + p, `honest-${p}`));
            honest.push(r);
            attacked.push(r);
          }
          const ahead = now + (rnd() < 0.2 ? jump : 2000);
          attacked.push(input(rec(2, offsets[2]++, ahead, 9, 'racer')));
        }
        const without = run(createEngine(config), [assignAll(3), ...honest]);
        const withRacer = run(createEngine(config), [assignAll(3), ...attacked]);
        // Up to the honest event time (the final flush zero-fills the windows up to the racer's).
        const honestOf = (r: { signals: WindowSignal[] }) =>
          r.signals.filter((s) => s.source.startsWith('honest') && s.windowEnd <= 370_000);
        expect(createEngine(config).counters(withRacer.state).late).toBe(0);
        expect(byWindow(honestOf(withRacer))).toEqual(byWindow(honestOf(without)));
        expect(honestOf(without).length).toBeGreaterThan(50);
      }),
      { numRuns: 20 },
    );
  });

  it('with idle partitions the watermark keeps up, and the result is the same whatever the interleaving', () => {
    const idleAfterMs = 800;
    fc.assert(
      fc.property(
        fc.tuple(
          ...[0, 1, 2].map((p) =>
            boundedDisorderPartition(p, { ooo: 0, sources: 2, maxStep: 150, minLength: 1, maxLength: 50 }),
          ),
        ),
        fc.integer(),
        fc.integer(),
        (lists, seedA, seedB) => {
          const records = lists.flat();
          // Deliver by ts + u (u in [0, OOO]): partitions advance together up to the allowed disorder,
          // whatever else the order — and partitions stop at different times (their lists end).
          const deliver = (seed: number): EngineInput[] => {
            const rnd = prng(seed);
            const offsets = [0, 0, 0];
            return records
              .map((r) => ({ r, key: r.record.ts + rnd() * OOO }))
              .sort((x, y) => x.key - y.key)
              .map(({ r }) => input({ ...r, offset: offsets[r.partition]++ }));
          };
          const config: EngineConfigInput = {
            window: { sizeMs: 1000, graceMs: 0 },
            allowedOutOfOrdernessMs: OOO,
            idleAfterMs,
            scopes: [],
          };
          const engine = createEngine(config);
          const a = run(engine, [assignAll(3), ...deliver(seedA)], { flush: false });
          // Every partition not idle is within idleAfterMs of the reference: the second-highest
          // partition's event time, or the highest less idleAfterMs when one leads alone.
          const lasts = [0, 1, 2]
            .map((p) => Math.max(...records.filter((r) => r.partition === p).map((r) => r.record.ts)))
            .sort((x, y) => y - x);
          const reference = Math.max(lasts[1], lasts[0] - idleAfterMs);
          expect(engine.watermark(a.state)).toBeGreaterThanOrEqual(reference - idleAfterMs - OOO);
          a.outputs.push(...engine.step(a.state, { kind: 'flush' }).outputs);
          const b = run(createEngine(config), [assignAll(3), ...deliver(seedB)]);
          expect(engine.counters(a.state).late).toBe(0);
          expect(byWindow(a.outputs.flatMap((o) => (o.kind === 'signal' ? [o.signal] : [])))).toEqual(
            byWindow(b.signals),
          );
          expectMatchesReference(b.signals, records, { sizeMs: 1000, advanceMs: 1000 });
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('series cap', () => {
  it('evicts dormant series or rejects, never exceeds maxSeries, and the identity still holds', () => {
    fc.assert(
      fc.property(partitionsArb(2, 80), fc.integer({ min: 1, max: 4 }), fc.integer(), (lists, maxSeries, seed) => {
        const records = interleave(
          lists.map((l) =>
            l.map((r) => ({ ...r, record: { ...r.record, source: `${r.record.source}-${r.record.value % 5}` } })),
          ),
          seed,
        );
        const engine = createEngine({
          window: { sizeMs: 1000, graceMs: 0 },
          allowedOutOfOrdernessMs: OOO,
          maxSeries,
          scopes: [],
          idleAfterMs: Infinity,
        });
        const st = engine.init();
        engine.step(st, assignAll(2));
        const outputs = [];
        for (const r of records) {
          outputs.push(...engine.step(st, input(r)).outputs);
          expect(engine.seriesCount(st)).toBeLessThanOrEqual(maxSeries);
        }
        outputs.push(...engine.step(st, { kind: 'flush' }).outputs);
        const c = engine.counters(st);
        expect(c.consumed).toBe(c.aggregated + c.late + c.rejected);
        expect(outputs.filter((o) => o.kind === 'evicted')).toHaveLength(c.evicted);
        expect(outputs.filter((o) => o.kind === 'rejected' && o.reason === 'series_limit')).toHaveLength(c.rejected);
        const signals = outputs.flatMap((o) => (o.kind === 'signal' ? [o.signal] : []));
        expect(signals.reduce((n, s) => n + s.count, 0)).toBe(c.aggregated); // nothing aggregated is lost
        byWindow(signals); // and no window is emitted twice, even for a series evicted and re-created
      }),
      { numRuns: 150 },
    );
  });

  it('evicts the series that went dormant first (oldest latest event time)', () => {
    const engine = createEngine({
      window: { sizeMs: 1000, graceMs: 0 },
      allowedOutOfOrdernessMs: 0,
      maxSeries: 2,
      scopes: [],
      zeroFillWindows: 0,
    });
    const r = run(
      engine,
      [
        input(rec(0, 0, 100, 1, 'old')),
        input(rec(0, 1, 1100, 1, 'newer')),
        input(rec(0, 2, 2100, 1, 'newer')),
        input(rec(0, 3, 2200, 1, 'third')),
      ],
      { flush: false },
    );
    expect(r.outputs.filter((o) => o.kind === 'evicted')).toEqual([
      { kind: 'evicted', key: 'old|m|', partition: 0, latestEventTime: 100 },
    ]);
  });

  it('rejects a new series when every live series has an open window', () => {
    const engine = createEngine({
      window: { sizeMs: 1000, graceMs: 0 },
      allowedOutOfOrdernessMs: 0,
      maxSeries: 1,
      scopes: [],
    });
    const r = run(engine, [input(rec(0, 0, 100, 1, 'a')), input(rec(0, 1, 200, 1, 'b'))]);
    expect(r.outputs.filter((o) => o.kind === 'rejected')).toEqual([
      {
        kind: 'rejected',
        reason: 'series_limit',
        partition: 0,
        offset: 1,
        record: expect.objectContaining({ source: 'b' }),
      },
    ]);
  });
});
