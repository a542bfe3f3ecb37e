import fc from 'fast-check';
import {
  createEngine,
  createScopeMerger,
  type EngineConfigInput,
  type MergerOutput,
  type ScopeMerger,
} from '../../../src/core';
import type { WindowSignal } from '../../../src/model/signal';
import { createSketch, sketchToBase64 } from '../../../src/signals';
import { boundedDisorderPartition, byWindow, dataFields, input, interleave, reference, run, type Rec } from './helpers';

const P = 4;
const OOO = 300;
const scopes = [
  { name: 'tenant', metrics: ['m'], groupBy: ['tenant'] },
  { name: 'cluster', metrics: ['m'], groupBy: [] },
];
const engineConfig: EngineConfigInput = {
  window: { sizeMs: 1000, graceMs: 0 },
  allowedOutOfOrdernessMs: OOO,
  idleAfterMs: Infinity,
  scopes,
};

function partialsOf(owned: readonly number[], lists: readonly Rec[][], seed: number): WindowSignal[] {
  const r = run(createEngine(engineConfig), [
    { kind: 'assign', partitions: owned },
    ...interleave(
      owned.map((p) => lists[p]),
      seed,
    ).map(input),
  ]);
  return r.signals.filter((s) => s.partial);
}

function mergeAll(merger: ScopeMerger, partials: readonly WindowSignal[]): MergerOutput[] {
  const st = merger.init();
  const out: MergerOutput[] = [];
  for (const p of partials) out.push(...merger.step(st, { kind: 'partial', signal: p }).outputs);
  out.push(...merger.step(st, { kind: 'flush' }).outputs);
  return out;
}

const finals = (out: readonly MergerOutput[]): WindowSignal[] =>
  out.flatMap((o) => (o.kind === 'signal' ? [o.signal] : []));

describe('two-stage scope aggregates', () => {
  it('merging partials from any split of the partitions equals the single-stage aggregate', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          ...Array.from({ length: P }, (_, p) =>
            boundedDisorderPartition(p, { ooo: OOO, sources: 3, maxStep: 150, maxLength: 40 }),
          ),
        ),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: P, maxLength: P }),
        fc.integer(),
        (lists, owner, seed) => {
          const engines = [0, 1, 2]
            .map((e) => [0, 1, 2, 3].filter((p) => owner[p] === e))
            .filter((ps) => ps.length > 0);
          // Each engine's partials in the order it emitted them, the engines' streams interleaved at random.
          const shuffled = interleave(
            engines.map((owned, i) => partialsOf(owned, lists, seed + i)),
            seed,
          );
          const merger = createScopeMerger({ partitionCount: P, advanceMs: 1000, latenessMs: Infinity });
          const out = mergeAll(merger, shuffled);
          expect(out.filter((o) => o.kind === 'rejected')).toEqual([]);
          const got = byWindow(finals(out));

          const single = mergeAll(
            createScopeMerger({ partitionCount: P, advanceMs: 1000 }),
            partialsOf([0, 1, 2, 3], lists, seed),
          );
          const want = byWindow(finals(single));
          expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
          for (const [id, s] of got) {
            const w = want.get(id) as WindowSignal;
            expect({ ...s, partitions: [] }).toEqual({ ...w, partitions: [] });
            expect(w.partitions).toEqual([0, 1, 2, 3]);
            expect(s.partial).toBe(false);
          }
          // ... and the single-stage aggregate is the sketch of the union of the scope's records.
          const records = lists.flat();
          const refTenant = reference(
            records,
            { sizeMs: 1000, advanceMs: 1000 },
            (r) => `tenant|m|tenant=${r.tags.tenant}`,
          );
          const refCluster = reference(records, { sizeMs: 1000, advanceMs: 1000 }, () => 'cluster|m|');
          const ref = new Map([...refTenant, ...refCluster]);
          const dataWindows = new Map([...want].filter(([, s]) => s.count > 0).map(([id, s]) => [id, dataFields(s)]));
          expect(dataWindows).toEqual(ref);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('completes on the one partial when a single engine owns every partition', () => {
    const lists = [0, 1, 2, 3].map((p) => [
      {
        partition: p,
        offset: 0,
        record: { ts: 100 + p, source: `s${p}`, metric: 'm', value: p, tags: { tenant: 'a' } },
      },
    ]);
    const partials = partialsOf([0, 1, 2, 3], lists, 1);
    const merger = createScopeMerger({ partitionCount: P, advanceMs: 1000 });
    const st = merger.init();
    for (const p of partials) {
      const out = merger.step(st, { kind: 'partial', signal: p }).outputs;
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({
        kind: 'signal',
        signal: { key: p.key, partial: false, partitions: [0, 1, 2, 3], count: 4, sum: 6 },
      });
      expect(out[0].kind === 'signal' && out[0].signal.sketch).toBeUndefined();
    }
    expect(merger.counters(st)).toMatchObject({ finals: partials.length, finalsByCoverage: partials.length });
  });
});

describe('scope merger, partial by partial', () => {
  const partial = (over: Partial<WindowSignal> & { values: number[] }): WindowSignal => {
    const sk = createSketch();
    for (const v of over.values) sk.add(v);
    const { values: _values, ...rest } = over;
    return {
      scope: 'cluster',
      key: 'cluster|m|',
      source: '*',
      metric: 'm',
      tags: {},
      windowStart: 0,
      windowEnd: 1000,
      count: sk.count,
      sum: sk.sum,
      min: sk.min,
      max: sk.max,
      mean: 0,
      ratePerSec: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      ewma: 0,
      trend: 0,
      partial: true,
      partitions: [0],
      sketch: sketchToBase64(sk),
      ...rest,
    };
  };
  const setup = (opts: { latenessMs?: number; maxKeys?: number } = {}) => {
    const merger = createScopeMerger({
      partitionCount: 2,
      advanceMs: 1000,
      latenessMs: opts.latenessMs ?? 5000,
      maxKeys: opts.maxKeys,
    });
    const st = merger.init();
    return { merger, st, send: (s: WindowSignal) => merger.step(st, { kind: 'partial', signal: s }).outputs };
  };

  it('waits for every partition, then emits the merged final', () => {
    const { send } = setup();
    expect(send(partial({ partitions: [1], values: [1, 2] }))).toEqual([]);
    const out = send(partial({ partitions: [0], values: [10] }));
    expect(out).toEqual([
      {
        kind: 'signal',
        signal: expect.objectContaining({ count: 3, sum: 13, min: 1, max: 10, partitions: [0, 1], partial: false }),
      },
    ]);
  });

  it('rejects a redelivered partial (duplicate), an overlapping one, and one for a final window (late)', () => {
    const { send, merger, st } = setup();
    send(partial({ partitions: [0], values: [1] }));
    expect(send(partial({ partitions: [0], values: [1] }))).toEqual([
      expect.objectContaining({ kind: 'rejected', reason: 'duplicate' }),
    ]);
    expect(send(partial({ partitions: [0, 1], values: [5] }))).toEqual([
      expect.objectContaining({ kind: 'rejected', reason: 'overlap' }),
    ]);
    send(partial({ partitions: [1], values: [2] }));
    expect(send(partial({ partitions: [1], values: [2] }))).toEqual([
      expect.objectContaining({ kind: 'rejected', reason: 'late' }),
    ]);
    expect(merger.counters(st)).toMatchObject({ partials: 5, merged: 2, rejected: 3, finals: 1 });
  });

  it('falls back to its watermark when a partition never reports (max windowEnd − lateness passes end + grace)', () => {
    const { send } = setup({ latenessMs: 2500 });
    send(partial({ partitions: [0], values: [1] })); // window [0, 1000), partition 1 silent
    expect(send(partial({ windowStart: 2000, windowEnd: 3000, partitions: [0], values: [1] }))).toEqual([]); // watermark 500: not yet
    const out = send(partial({ windowStart: 2000, windowEnd: 3000, partitions: [1], values: [3] }));
    // the second completes [2000, 3000) by coverage, but it waits for [0, 1000) ...
    expect(out).toEqual([]);
    const later = send(partial({ windowStart: 3000, windowEnd: 4000, partitions: [0], values: [1] })); // watermark 1500 ≥ 1000
    expect(
      later.map((o) => (o.kind === 'signal' ? [o.signal.windowStart, o.signal.count, o.signal.partitions] : o.kind)),
    ).toEqual([
      [0, 1, [0]],
      [2000, 2, [0, 1]],
    ]);
  });

  it('keeps EWMA and trend per scope key across its finals, in window order', () => {
    const { send } = setup();
    send(partial({ partitions: [0], values: [2] })); // [0, 1000): partition 1 has nothing
    expect(send(partial({ windowStart: 1000, windowEnd: 2000, partitions: [0, 1], values: [4] }))).toEqual([]); // complete, held
    const out = send(partial({ windowStart: 9000, windowEnd: 10_000, partitions: [0], values: [1] })); // watermark 5000
    expect(out.map((o) => (o.kind === 'signal' ? [o.signal.windowStart, o.signal.ewma, o.signal.trend] : []))).toEqual([
      [0, 2, 0],
      [1000, expect.closeTo(2.6, 12), expect.closeTo(2, 12)],
    ]);
  });

  it('rejects what it cannot merge: not a partial, an unreadable sketch, a partition outside the topic', () => {
    const { send } = setup();
    expect(send(partial({ partial: false, values: [1] }))[0]).toMatchObject({ kind: 'rejected', reason: 'invalid' });
    expect(send(partial({ sketch: 'AAAA', values: [1] }))[0]).toMatchObject({ kind: 'rejected', reason: 'invalid' });
    expect(send(partial({ partitions: [7], values: [1] }))[0]).toMatchObject({ kind: 'rejected', reason: 'invalid' });
  });

  it('bounds the keys it remembers', () => {
    const { send } = setup({ maxKeys: 1 });
    send(partial({ partitions: [0], values: [1] }));
    expect(send(partial({ key: 'cluster|other|', partitions: [0], values: [1] }))[0]).toMatchObject({
      kind: 'rejected',
      reason: 'key_limit',
    });
  });

  it('refuses a configuration without the topic partition count', () => {
    expect(() => createScopeMerger({ partitionCount: 0 })).toThrow(
      /partitionCount must be the input topic's partition count/,
    );
  });
});
