import { resolveEngineConfig } from '../../../src/core';
import { createProcessor, emptyOutputs } from '../../../src/pipeline/processor';

const rec = (offset: number, ts: number) => ({
  kind: 'record' as const,
  partition: 0,
  offset,
  record: { ts, source: 's', metric: 'm', value: 1, tags: {} },
});

test('restored records rebuild windows without being counted or dead-lettered again', () => {
  const p = createProcessor({
    engine: resolveEngineConfig({ window: { sizeMs: 1000, graceMs: 0 }, allowedOutOfOrdernessMs: 0, scopes: [] }),
    partitionCount: 1,
  });
  p.step({ kind: 'assign', partitions: [0] }, emptyOutputs());
  const out = emptyOutputs();
  p.step({ kind: 'tick', watermark: 5_000 }, out);
  p.restore(rec(0, 1_000), out); // late against the restored watermark: handled before the restart
  p.restore(rec(1, 6_100), out); // rebuilds the open window [6000, 7000)
  p.step(rec(2, 6_200), out);
  p.step(rec(3, 8_000), out); // closes [6000, 7000)
  expect(out.dead).toEqual([]);
  const w = out.finals.find((s) => s.windowStart === 6_000 && s.count > 0);
  expect(w?.count).toBe(2);
  expect(p.counters()).toMatchObject({ consumed: 2, aggregated: 2, late: 0, deadLettered: 0, restored: 2 });
});
