import fc from 'fast-check';
import { createEngine, type EngineOutput } from '../../../src/core';
import { createSeriesTable } from '../../../src/core/series-table';
import type { Telemetry } from '../../../src/model/telemetry';

/**
 * The index's table (src/core/series-table.ts): every record reaches the series of its own
 * (source, metric, dimension values) — with a third dimension tag, tags that are missing or not
 * strings, ids freed by eviction and reused, and probe limits so small that many series are
 * left out of the table and found by key instead. Checked against the definition: each
 * signal's count is the number of records of its key, and no key has two signals a window.
 */
const TAGS = ['a', 'b', 'c'] as const;
const valueArb = fc.constantFrom<unknown>('x', 'y', 'z', undefined, 7);
const recordArb = fc.record({
  source: fc.constantFrom('s0', 's1'),
  metric: fc.constantFrom('m0', 'm1'),
  a: valueArb,
  b: valueArb,
  c: valueArb,
  dt: fc.integer({ min: 0, max: 400 }),
});

function keyOf(r: Telemetry): string {
  const dims = TAGS.filter((t) => typeof r.tags[t] === 'string').map((t) => `${t}=${r.tags[t]}`);
  return `${r.source}|${r.metric}|${dims.join(',')}`;
}

function signalKey(s: { source: string; metric: string; tags: Record<string, string> }): string {
  const dims = TAGS.filter((t) => s.tags[t] !== undefined).map((t) => `${t}=${s.tags[t]}`);
  return `${s.source}|${s.metric}|${dims.join(',')}`;
}

describe('series index table', () => {
  it('routes every record to the series of its own dimension values, through collisions, probe limits and evictions', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 3, max: 60 }),
        fc.constantFrom(1, 2, 32),
        (rs, maxSeries, probeLimit) => {
          const engine = createEngine({
            window: { sizeMs: 1000, advanceMs: 1000, graceMs: 0 },
            allowedOutOfOrdernessMs: 0,
            idleAfterMs: Infinity,
            maxSeries,
            dimensionTags: [...TAGS],
            scopes: [],
            zeroFillWindows: 0,
          });
          const st = engine.init();
          (st as unknown as { table: unknown }).table = createSeriesTable(probeLimit);
          engine.step(st, { kind: 'assign', partitions: [0] });
          const outputs: EngineOutput[] = [];
          const sent = new Map<string, number>();
          let ts = 0;
          rs.forEach((r, offset) => {
            ts += r.dt;
            const tags = { a: r.a, b: r.b, c: r.c } as unknown as Record<string, string>;
            const record: Telemetry = { ts, source: r.source, metric: r.metric, value: 1, tags };
            const out = engine.step(st, { kind: 'record', partition: 0, offset, record }).outputs;
            outputs.push(...out);
            const refused = out.some((o) => o.kind === 'rejected' || o.kind === 'late');
            if (!refused)
              sent.set(
                `${Math.floor(ts / 1000)}|${keyOf(record)}`,
                (sent.get(`${Math.floor(ts / 1000)}|${keyOf(record)}`) ?? 0) + 1,
              );
          });
          outputs.push(...engine.step(st, { kind: 'flush' }).outputs);
          const got = new Map<string, number>();
          for (const o of outputs) {
            if (o.kind !== 'signal' || o.signal.count === 0) continue;
            const id = `${o.signal.windowStart / 1000}|${signalKey(o.signal)}`;
            expect(got.has(id)).toBe(false);
            got.set(id, o.signal.count);
          }
          expect(got).toEqual(sent);
        },
      ),
      { numRuns: 300 },
    );
  });
});
