/**
 * The `records` input (the samples of one Kafka record as one arrival): every sample is judged
 * against the watermark as it stood before the record, which then advances once. Grouping a
 * partition's records into arrivals never makes more of them late than stepping them one by
 * one, and where one by one loses none (disorder within the allowed bound) the windows are the same.
 */
import fc from 'fast-check';
import { createEngine, type EngineConfigInput, type EngineInput } from '../../../src/core';
import { boundedDisorderPartition, byWindow, input, run, type Rec } from './helpers';

const OOO = 300;
const window = { sizeMs: 1000, advanceMs: 250, graceMs: 50 };

/** Consecutive records cut into arrivals at the given sizes (1..8), each arrival at its first record's offset. */
function arrivals(recs: readonly Rec[], sizes: readonly number[]): EngineInput[] {
  const out: EngineInput[] = [];
  for (let i = 0, k = 0; i < recs.length; k++) {
    const n = sizes[k % sizes.length];
    const group = recs.slice(i, i + n);
    out.push({
      kind: 'records',
      partition: group[0].partition,
      offset: group[0].offset,
      records: group.map((r) => r.record),
    });
    i += n;
  }
  return out;
}

const sizes = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 10 });
const late = (r: ReturnType<typeof run>): number => r.outputs.filter((o) => o.kind === 'late').length;

describe('records of one arrival', () => {
  it('within the allowed disorder, give the windows of stepping them one by one', () => {
    fc.assert(
      fc.property(
        boundedDisorderPartition(0, { ooo: OOO, sources: 3, maxStep: 120, maxLength: 80 }),
        sizes,
        (recs, cut) => {
          const config: EngineConfigInput = { window, allowedOutOfOrdernessMs: OOO, scopes: [] };
          const one = run(createEngine(config), recs.map(input), { assign: [0] });
          const grouped = run(createEngine(config), arrivals(recs, cut), { assign: [0] });
          expect(late(grouped)).toBe(0);
          expect(byWindow(grouped.signals)).toEqual(byWindow(one.signals));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('beyond it, are never late more often than one by one, and every sample is accounted for', () => {
    fc.assert(
      fc.property(
        boundedDisorderPartition(0, { ooo: 4 * OOO, sources: 3, maxStep: 120, maxLength: 80 }),
        sizes,
        (recs, cut) => {
          const config: EngineConfigInput = { window, allowedOutOfOrdernessMs: OOO, scopes: [] };
          const engineA = createEngine(config);
          const one = run(engineA, recs.map(input), { assign: [0], flush: false });
          const engineB = createEngine(config);
          const grouped = run(engineB, arrivals(recs, cut), { assign: [0], flush: false });
          expect(late(grouped)).toBeLessThanOrEqual(late(one));
          const c = engineB.counters(grouped.state);
          expect(c.consumed).toBe(recs.length);
          expect(c.consumed).toBe(c.aggregated + c.late + c.rejected);
          // The watermark ends where one by one leaves it: the arrival only defers the advance.
          expect(engineB.watermark(grouped.state)).toBe(engineA.watermark(one.state));
        },
      ),
      { numRuns: 150 },
    );
  });
});
