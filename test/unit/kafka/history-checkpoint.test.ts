import { resolveEngineConfig } from '../../../src/core';
import { historyMessages } from '../../../src/kafka/history-checkpoint';
import { createProcessor, emptyOutputs } from '../../../src/pipeline/processor';

const engine = resolveEngineConfig({
  window: { sizeMs: 1000, graceMs: 0 },
  allowedOutOfOrdernessMs: 0,
  idleAfterMs: Infinity,
  maxSeries: 2,
});
const o = { topic: 'state', prefix: 'history/g/' };

function run(records: { ts: number; source: string; value: number }[]) {
  const p = createProcessor({ engine, partitionCount: 1 });
  p.step({ kind: 'assign', partitions: [0] }, emptyOutputs());
  const out = emptyOutputs();
  records.forEach((r, i) =>
    p.step(
      { kind: 'record', partition: 0, offset: i, record: { ...r, metric: 'requests', tags: { service: 'api' } } },
      out,
    ),
  );
  return { p, out };
}

describe('history checkpoint records', () => {
  test('one record per key whose window closed with data, holding its packed history as raw doubles', () => {
    const { p, out } = run([
      { ts: 1_000, source: 'a', value: 1 },
      { ts: 1_500, source: 'a', value: 3 },
      { ts: 2_000, source: 'a', value: 5 },
      { ts: 3_000, source: 'a', value: 7 },
    ]);
    const tm = historyMessages(p, out, o)!;
    expect(tm.topic).toBe('state');
    const keys = tm.messages.map((m) => String(m.key));
    // Two windows of `a` closed, written once; the service scope's history too.
    expect(keys.filter((k) => k.startsWith('history/g/s/'))).toEqual(['history/g/s/a|requests|service=api']);
    expect(keys.filter((k) => k.startsWith('history/g/c/')).length).toBe(1);
    const series = tm.messages.find((m) => String(m.key).startsWith('history/g/s/'))!;
    const h = new Float64Array(new Uint8Array(series.value as Buffer).buffer);
    expect(h).toEqual(p.historyOf({ scope: 'series', key: 'a|requests|service=api' }));
    // ewma of the window means 2 and then 5 (alpha 0.3).
    expect(h[0]).toBeCloseTo(0.3 * 5 + 0.7 * 2, 12);
  });

  test('a series evicted at the maxSeries cap leaves a tombstone, so a restart does not revive its history', () => {
    const { p, out } = run([
      { ts: 1_000, source: 'a', value: 1 },
      { ts: 2_000, source: 'b', value: 1 },
      { ts: 3_000, source: 'c', value: 1 },
      { ts: 4_000, source: 'd', value: 1 },
    ]);
    expect(out.evicted?.length).toBeGreaterThan(0);
    const tm = historyMessages(p, out, o)!;
    for (const k of out.evicted!) expect(tm.messages.find((m) => m.key === `history/g/s/${k}`)?.value).toBeNull();
  });

  test('nothing to write when no window closed', () => {
    const { p, out } = run([{ ts: 1_000, source: 'a', value: 1 }]);
    expect(historyMessages(p, out, o)).toBeUndefined();
  });
});
