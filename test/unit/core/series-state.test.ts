/**
 * The per-series state the engine shares or packs to keep memory per series low (see
 * docs/benchmarks.md, memory): rows of numbers reused by id, scope memberships shared and
 * reference-counted, one `partitions` array per partition. Outputs must not show any of it.
 */
import fc from 'fast-check';
import { createEngine, DEFAULT_SCOPES, scopeKey, type EngineInput, type EngineOutput } from '../../../src/core';
import { NO_SCOPES, type ScopeList } from '../../../src/core/scope-memberships';
import { pickTags } from '../../../src/core/series-key';
import type { InternalState } from '../../../src/core/state';
import type { WindowSignal } from '../../../src/model/signal';
import { createHistory, recordMean, type SeriesHistory } from '../../../src/signals';
import { input, rec } from './helpers';

const internal = (st: unknown): InternalState => st as InternalState;
const METRICS = ['tenant.bytes_in', 'requests', 'queue.depth'];

/** Records over a few sources, metrics and tag values, rising in event time with some disorder. */
const records = (partitions: number): fc.Arbitrary<EngineInput[]> =>
  fc
    .array(
      fc.record({
        p: fc.integer({ min: 0, max: partitions - 1 }),
        step: fc.integer({ min: 0, max: 400 }),
        source: fc.integer({ min: 0, max: 5 }),
        metric: fc.constantFrom(...METRICS),
        tenant: fc.constantFrom('t0', 't1', 't|2'),
        service: fc.constantFrom('a', 'b'),
        value: fc.integer({ min: -20, max: 100 }),
      }),
      { maxLength: 150 },
    )
    .map((items) => {
      let t = 1_000_000;
      const offsets = new Array<number>(partitions).fill(0);
      return items.map((it) => {
        t += it.step;
        // A source lives on one partition (it is the Kafka key).
        const p = it.source % partitions;
        return input(
          rec(p, offsets[p]++, t, it.value, `s${it.source}`, it.metric, {
            tenant: it.tenant,
            service: it.service,
            host: `h${it.p}`,
          }),
        );
      });
    });

describe('series numbers: one row per series id, reused after the series is gone', () => {
  it('EWMA and trend of every signal follow the windows of that series since it was (re)created, whichever ids are reused', () => {
    fc.assert(
      fc.property(
        records(2),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 0, max: 2 }),
        (inputs, maxSeries, trendWindows, zeroFillWindows) => {
          const advance = 1000;
          const engine = createEngine({
            window: { sizeMs: advance, graceMs: 0 },
            allowedOutOfOrdernessMs: 200,
            maxSeries,
            trendWindows,
            zeroFillWindows,
            scopes: [],
            idleAfterMs: Infinity,
            ewmaAlpha: 0.4,
          });
          const st = engine.init();
          const outputs: EngineOutput[] = [];
          for (const i of [...inputs, { kind: 'flush' } as const]) outputs.push(...engine.step(st, i).outputs);
          // Reference: one history object per key, forgotten when the series is evicted.
          const histories = new Map<string, SeriesHistory>();
          let checked = 0;
          for (const o of outputs) {
            if (o.kind === 'evicted') histories.delete(o.key);
            if (o.kind !== 'signal') continue;
            const s: WindowSignal = o.signal;
            let h = histories.get(s.key);
            if (h === undefined) {
              h = createHistory(trendWindows);
              histories.set(s.key, h);
            }
            if (s.count > 0) recordMean(h, s.windowStart / advance, s.sum / s.count, 0.4);
            expect([s.key, s.windowStart, s.ewma, s.trend]).toEqual([
              s.key,
              s.windowStart,
              Number.isNaN(h.ewma) ? 0 : h.ewma,
              h.trend,
            ]);
            checked += 1;
          }
          expect(checked).toBe(engine.counters(st).signals);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('scope memberships: shared by the series of a group, counted, dropped with the last one', () => {
  const check = (st: InternalState): void => {
    const held = new Map<ScopeList, number>();
    for (const se of st.seriesById) {
      if (se === undefined) continue;
      // Each series holds exactly the memberships its own metric and tags give.
      const defs = DEFAULT_SCOPES.filter((s) => s.metrics.includes(se.metric));
      expect(se.scopes.members.map((m) => [m.scope, m.key, m.metric, m.tags])).toEqual(
        defs.map((s) => {
          const groupBy = [...s.groupBy].sort();
          const tags = pickTags(se.tags, groupBy);
          return [s.name, scopeKey(s.name, se.metric, tags, groupBy), se.metric, tags];
        }),
      );
      if (se.scopes !== NO_SCOPES) held.set(se.scopes, (held.get(se.scopes) ?? 0) + 1);
    }
    // The table holds the lists of live series and nothing else, each counted once per holder.
    expect(new Set(st.scopeLists.values())).toEqual(new Set(held.keys()));
    for (const [list, n] of held) {
      expect(list.refs).toBe(n);
      expect(st.scopeLists.get(list.key)).toBe(list);
    }
  };

  it('after every step, with evictions and revoked partitions', () => {
    fc.assert(
      fc.property(
        records(3),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 3 }),
        (inputs, maxSeries, revokeAt) => {
          const engine = createEngine({
            window: { sizeMs: 1000, graceMs: 0 },
            allowedOutOfOrdernessMs: 200,
            maxSeries,
            idleAfterMs: Infinity,
          });
          const st = engine.init();
          engine.step(st, { kind: 'assign', partitions: [0, 1, 2] });
          inputs.forEach((i, k) => {
            engine.step(st, i);
            if (revokeAt.includes(k)) engine.step(st, { kind: 'revoke', partitions: [k % 3] });
            check(internal(st));
          });
          engine.step(st, { kind: 'revoke', partitions: [0, 1, 2] });
          check(internal(st));
          expect(internal(st).scopeLists.size).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('one list object for all the series of the same groups', () => {
    const engine = createEngine({ window: { sizeMs: 1000, graceMs: 0 } });
    const st = engine.init();
    const tags = { tenant: 'acme', service: 'api' };
    ['w1', 'w2', 'w3'].forEach((source, i) =>
      engine.step(st, input(rec(0, i, 100, 1, source, 'tenant.bytes_in', { ...tags }))),
    );
    engine.step(st, input(rec(0, 3, 100, 1, 'w1', 'tenant.bytes_in', { tenant: 'other', service: 'api' })));
    const lists = internal(st).seriesById.map((se) => se!.scopes);
    expect(lists[0]).toBe(lists[1]);
    expect(lists[1]).toBe(lists[2]);
    expect(lists[3]).not.toBe(lists[0]);
    expect(lists[0].refs).toBe(3);
    expect(lists[0].members.map((m) => m.key)).toEqual([
      'tenant|tenant.bytes_in|tenant=acme',
      'cluster|tenant.bytes_in|',
    ]);
    // The cluster group is the same for both, but lists are per combination of groups.
    expect(lists[3].members.map((m) => m.key)).toEqual([
      'tenant|tenant.bytes_in|tenant=other',
      'cluster|tenant.bytes_in|',
    ]);
  });
});

describe('partitions of series signals', () => {
  it('one frozen [p] per partition, shared by its series and their signals', () => {
    const engine = createEngine({ window: { sizeMs: 1000, graceMs: 0 }, allowedOutOfOrdernessMs: 0, scopes: [] });
    const st = engine.init();
    engine.step(st, { kind: 'assign', partitions: [0, 1] });
    const inputs = [
      input(rec(0, 0, 100, 1, 'a')),
      input(rec(0, 1, 100, 1, 'b')),
      input(rec(1, 0, 100, 1, 'c')),
      { kind: 'flush' } as const,
    ];
    const signals = inputs.flatMap((i) =>
      engine.step(st, i).outputs.flatMap((o) => (o.kind === 'signal' ? [o.signal] : [])),
    );
    expect(signals.map((s) => [s.source, s.partitions])).toEqual([
      ['a', [0]],
      ['b', [0]],
      ['c', [1]],
    ]);
    expect(signals[0].partitions).toBe(signals[1].partitions);
    expect(Object.isFrozen(signals[2].partitions)).toBe(true);
  });
});
