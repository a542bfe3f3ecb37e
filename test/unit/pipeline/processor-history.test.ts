import fc from 'fast-check';
import { resolveEngineConfig } from '../../../src/core';
import type { WindowSignal } from '../../../src/model/signal';
import { createProcessor, emptyOutputs, type Processor } from '../../../src/pipeline/processor';

// Two workers of one service on two partitions, 1 s windows; `requests` also feeds the service scope.
const engine = resolveEngineConfig({
  window: { sizeMs: 1000, graceMs: 0 },
  allowedOutOfOrdernessMs: 0,
  idleAfterMs: Infinity,
});

type Input = {
  kind: 'record';
  partition: number;
  offset: number;
  record: { ts: number; source: string; metric: string; value: number; tags: Record<string, string> };
};

function workload(values: number[]): Input[] {
  const out: Input[] = [];
  values.forEach((v, i) => {
    const ts = 10_000 + i * 250;
    for (const p of [0, 1])
      out.push({
        kind: 'record',
        partition: p,
        offset: i,
        record: { ts, source: `w${p}`, metric: 'requests', value: v + p, tags: { service: 'api' } },
      });
  });
  return out;
}

function fresh(): Processor {
  const p = createProcessor({ engine, partitionCount: 2 });
  p.step({ kind: 'assign', partitions: [0, 1] }, emptyOutputs());
  return p;
}

/** What a checkpoint carries for the finals so far: each key's history after the last commit. */
function checkpoint(
  p: Processor,
  finals: readonly WindowSignal[],
): [Map<string, Float64Array>, Map<string, Float64Array>] {
  const series = new Map<string, Float64Array>();
  const scopes = new Map<string, Float64Array>();
  for (const s of finals) {
    const h = p.historyOf(s);
    if (h) (s.scope === 'series' ? series : scopes).set(s.key, h);
  }
  return [series, scopes];
}

/**
 * Runs `inputs`, restarting at `cut` as the runner does: a new processor, the checkpoint's
 * watermark, the histories seeded (or not), the records of still-open windows re-read.
 */
function restarted(inputs: Input[], cut: number, seed: boolean): WindowSignal[] {
  const before = fresh();
  const out1 = emptyOutputs();
  for (const i of inputs.slice(0, cut)) before.step(i, out1);
  const wm = before.watermark();
  const after = fresh();
  if (seed) after.seedHistories(...checkpoint(before, out1.finals));
  const out2 = emptyOutputs();
  after.step({ kind: 'tick', watermark: wm }, out2);
  for (const i of inputs.slice(0, cut)) if (i.record.ts >= wm - 1000) after.restore(i, out2);
  for (const i of inputs.slice(cut)) after.step(i, out2);
  after.step({ kind: 'flush' }, out2);
  return [...out1.finals, ...out2.finals];
}

function uninterrupted(inputs: Input[]): WindowSignal[] {
  const p = fresh();
  const out = emptyOutputs();
  for (const i of inputs) p.step(i, out);
  p.step({ kind: 'flush' }, out);
  return out.finals;
}

const view = (s: readonly WindowSignal[]) =>
  s.map((x) => `${x.key}@${x.windowStart}: n=${x.count} ewma=${x.ewma} trend=${x.trend}`).sort();

describe('EWMA and trend across a restart', () => {
  test('a processor seeded with the checkpoint histories emits what an uninterrupted one does, EWMA and trend included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 24, maxLength: 60 }),
        fc.nat(),
        (values, at) => {
          const inputs = workload(values);
          const cut = 8 + (at % (inputs.length - 8));
          expect(view(restarted(inputs, cut, true))).toEqual(view(uninterrupted(inputs)));
        },
      ),
      { numRuns: 60 },
    );
  });

  test('without the histories they restart afresh (what the checkpoint is for)', () => {
    const inputs = workload(Array.from({ length: 40 }, (_, i) => (i * 37) % 100));
    expect(view(restarted(inputs, 40, false))).not.toEqual(view(uninterrupted(inputs)));
    expect(view(restarted(inputs, 40, true))).toEqual(view(uninterrupted(inputs)));
  });

  test('series and scope keys both carry a history; a key not live has none', () => {
    const p = fresh();
    const out = emptyOutputs();
    for (const i of workload([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])) p.step(i, out);
    const scopes = new Set(out.finals.map((s) => s.scope));
    expect(scopes).toEqual(new Set(['series', 'service']));
    for (const s of out.finals) expect(p.historyOf(s)).toBeInstanceOf(Float64Array);
    expect(p.historyOf({ scope: 'series', key: 'nobody|m|' })).toBeUndefined();
  });
});
