/**
 * Finding 2, the rest of it: idleness was judged against the highest event time on any
 * partition, so one producer could make the others idle. The bound on event time ahead of the
 * log (2 s) keeps it from jumping far; but a producer whose event time is current — or at the
 * 2 s bound, continuously or in jumps — beside honest producers that deliver late (an exporter
 * that batches, a collector's queue) still led them by more than idleAfterMs: their partitions
 * were judged idle, the watermark followed the racer, and every honest record was LATE. Now a
 * partition is idle only when two others have passed it (or the leader alone by twice
 * idleAfterMs), so the honest signals are those of a run without the racer.
 */
import { createEngine, type EngineConfigInput, type EngineInput } from '../../src/core';
import type { WindowSignal } from '../../src/model/signal';
import { byWindow, input, rec, run } from '../unit/core/helpers';

const config: EngineConfigInput = {
  window: { sizeMs: 10_000, graceMs: 0 },
  allowedOutOfOrdernessMs: 2_000,
  idleAfterMs: 30_000,
  scopes: [],
};
const assign: EngineInput = { kind: 'assign', partitions: [0, 1, 2, 3] };

/**
 * Arrival order, one step a second for ten minutes: three honest partitions whose producers
 * deliver each sample 29–33 s after it was taken, and partition 3, whose producer stamps its
 * records `lead(now)` ms ahead of the clock.
 */
function arrivals(lead?: (now: number) => number): EngineInput[] {
  const out: EngineInput[] = [assign];
  const offsets = [0, 0, 0, 0];
  for (let now = 1_000_000; now <= 1_600_000; now += 1000) {
    for (const p of [0, 1, 2]) {
      const delay = 29_000 + ((now / 1000 + p * 7) % 5) * 1000;
      out.push(input(rec(p, offsets[p]++, now - delay, 10 + p, `worker-${p}`)));
    }
    if (lead) out.push(input(rec(3, offsets[3]++, now + lead(now), 99, 'racer')));
  }
  return out;
}

const honest = (signals: WindowSignal[]) =>
  byWindow(signals.filter((s) => s.source.startsWith('worker-') && s.windowEnd <= 1_570_000));

describe('one partition ahead of the others', () => {
  const baseline = run(createEngine(config), arrivals());

  it.each([
    ['at the 2 s bound, continuously', () => 2_000],
    ['current, continuously', () => 0],
    ['jumping to the bound every 13 s', (now: number) => ((now / 1000) % 13 === 0 ? 2_000 : -5_000)],
  ])('%s: no honest record is late and the honest signals are those of a run without it', (_name, lead) => {
    const engine = createEngine(config);
    const attacked = run(engine, arrivals(lead));
    expect(engine.counters(attacked.state).late).toBe(0);
    expect(honest(attacked.signals)).toEqual(honest(baseline.signals));
    expect(honest(baseline.signals).size).toBeGreaterThan(150);
  });

  it('a partition that truly falls silent is still released, and the watermark moves on', () => {
    const engine = createEngine(config);
    const inputs = arrivals(() => 0).filter(
      (i) => !(i.kind === 'record' && i.partition === 2 && i.record.ts > 1_300_000),
    );
    const r = run(engine, inputs, { flush: false });
    // Partitions 0, 1 and 3 move on: partition 2 is idle, the watermark is held by 0 and 1.
    expect(engine.watermark(r.state)).toBeGreaterThan(1_560_000);
  });
});
