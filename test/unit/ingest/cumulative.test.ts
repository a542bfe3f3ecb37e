import fc from 'fast-check';
import { createCumulativeTracker, diffExponential } from '../../../src/ingest/cumulative';
import type { ExpHistogramPoint, HistogramPoint } from '../../../src/ingest/otlp-model';

const T0 = 1_714_564_800_000;

function hist(startMs: number, timeMs: number, counts: number[], sum?: number): HistogramPoint {
  return {
    attributes: [],
    startMs,
    timeMs,
    flags: 0,
    count: counts.reduce((a, b) => a + b, 0),
    sum,
    bucketCounts: counts,
    explicitBounds: counts.slice(1).map((_, i) => (i + 1) * 10),
    min: 1,
    max: 99,
  };
}

describe('cumulative → delta', () => {
  it('emits increases, treats a new start time or a decrease as a reset, and skips duplicates', () => {
    const t = createCumulativeTracker({ freshStreamMs: 120_000, maxStreams: 10 });
    expect(t.sum('k', T0, T0 + 10_000, 5)).toEqual({ emit: 5 }); // fresh stream: whole
    expect(t.sum('k', T0, T0 + 20_000, 12)).toEqual({ emit: 7 });
    expect(t.sum('k', T0, T0 + 20_000, 12)).toEqual({ skip: 'duplicate' });
    expect(t.sum('k', T0, T0 + 30_000, 2)).toEqual({ emit: 2 }); // went down: a reset without a new start
    expect(t.sum('k', T0 + 40_000, T0 + 50_000, 4)).toEqual({ emit: 4 }); // new start: whole
  });

  it('uses a stream’s first point as a baseline when it covers more than freshStreamMs', () => {
    const t = createCumulativeTracker({ freshStreamMs: 60_000, maxStreams: 10 });
    expect(t.sum('k', T0, T0 + 3_600_000, 1000)).toEqual({ skip: 'baseline' });
    expect(t.sum('k', T0, T0 + 3_610_000, 1010)).toEqual({ emit: 10 });
  });

  it('sums of deltas equal the last total minus the baseline (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 50 }), (increments) => {
        const t = createCumulativeTracker({ freshStreamMs: 0, maxStreams: 10 });
        let total = 1_000;
        t.sum('k', T0, T0 + 1_000_000, total); // baseline
        let emitted = 0;
        increments.forEach((inc, i) => {
          total += inc;
          const r = t.sum('k', T0, T0 + 1_000_000 + (i + 1) * 1000, total);
          if ('emit' in r) emitted += r.emit;
        });
        expect(emitted).toBe(total - 1_000);
      }),
    );
  });

  it('differences explicit histograms bucket by bucket, dropping cumulative min/max', () => {
    const t = createCumulativeTracker({ freshStreamMs: 120_000, maxStreams: 10 });
    t.histogram('h', hist(T0, T0 + 10_000, [1, 2, 3], 60));
    const r = t.histogram('h', hist(T0, T0 + 20_000, [1, 5, 4], 100));
    expect('emit' in r && r.emit).toMatchObject({
      count: 4,
      bucketCounts: [0, 3, 1],
      sum: 40,
      min: undefined,
      max: undefined,
      startMs: T0 + 10_000,
    });
    // A changed layout is a reset: the point is emitted whole.
    const changed = hist(T0, T0 + 30_000, [2, 2, 6, 1]);
    expect(t.histogram('h', changed)).toEqual({ emit: changed });
  });

  it('differences exponential histograms across a scale change (downscaling the older point)', () => {
    const prev: ExpHistogramPoint = {
      attributes: [],
      startMs: T0,
      timeMs: T0 + 1,
      flags: 0,
      count: 4,
      sum: 10,
      scale: 2,
      zeroCount: 1,
      zeroThreshold: 0,
      positive: { offset: 4, counts: [1, 1, 1] },
      negative: { offset: 0, counts: [] },
      min: undefined,
      max: undefined,
    };
    // At scale 1, indexes 4,5 → 2 and 6 → 3. cur adds one observation in index 3 and one zero.
    const cur: ExpHistogramPoint = {
      ...prev,
      timeMs: T0 + 2,
      count: 6,
      sum: 15,
      scale: 1,
      zeroCount: 2,
      positive: { offset: 2, counts: [2, 2] },
    };
    const d = diffExponential(prev, cur)!;
    expect(d.scale).toBe(1);
    expect(d.zeroCount).toBe(1);
    expect(d.positive.offset).toBe(2);
    expect(d.positive.counts).toEqual([0, 1]);
    expect(d.count).toBe(2);
    // A finer scale than before cannot come from the same cumulative stream: reset.
    expect(diffExponential(cur, { ...prev, timeMs: T0 + 3 })).toBeUndefined();
  });

  it('bounds its memory (LRU) and forgets the streams of revoked partitions', () => {
    const t = createCumulativeTracker({ freshStreamMs: 120_000, maxStreams: 3 });
    for (let i = 0; i < 5; i++) t.sum(`${i % 2}\u0000s${i}`, T0, T0 + 1000, 1);
    expect(t.size()).toBe(3);
    t.forgetPartitions([0]);
    expect(t.size()).toBe(1);
    // The oldest stream was evicted: it starts over (here fresh, so emitted whole).
    expect(t.sum('0\u0000s0', T0, T0 + 2000, 3)).toEqual({ emit: 3 });
  });
});
