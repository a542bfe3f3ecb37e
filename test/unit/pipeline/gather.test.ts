import { resolveEngineConfig, type EngineConfig } from '../../../src/core';
import { mulberry32 } from '../../../src/client/random';
import type { WindowSignal } from '../../../src/model/signal';
import {
  createGather,
  emptyGatherOutputs,
  type GatherCheckpoint,
  type GatherInput,
  type GatherOutputs,
} from '../../../src/pipeline/gather';
import { createProcessor, emptyOutputs } from '../../../src/pipeline/processor';
import type { Telemetry } from '../../../src/model/telemetry';
import { createSharedPipeline } from '../../helpers/shared-pipeline';

const P = 3;
const T0 = Date.UTC(2026, 0, 1);
const engine: EngineConfig = resolveEngineConfig({
  window: { sizeMs: 1_000, advanceMs: 1_000, graceMs: 100 },
  allowedOutOfOrdernessMs: 200,
  idleAfterMs: 5_000,
  scopes: [
    { name: 'service', metrics: ['requests'], groupBy: ['service'] },
    { name: 'all', metrics: ['requests', 'depth'], groupBy: [] },
  ],
});

/** Per partition, in order: sources of partition p, jitter below the allowed out-of-orderness, then one record far ahead. */
function workload(seed: number, seconds: number, partitions: readonly number[] = [0, 1, 2]): Telemetry[][] {
  const rnd = mulberry32(seed);
  const queues: Telemetry[][] = [...Array(P).keys()].map(() => []);
  for (let tick = 0; tick < seconds * 10; tick++) {
    for (let w = 0; w < 12; w++) {
      const p = w % P;
      if (!partitions.includes(p)) continue;
      const ts = T0 + tick * 100 + Math.round((rnd() - 0.5) * 300);
      queues[p].push({ ts, source: `w${w}`, metric: 'depth', value: Math.floor(rnd() * 100) / 7, tags: {} });
      if (tick % 3 === 0)
        queues[p].push({
          ts,
          source: `w${w}`,
          metric: 'requests',
          value: 1 + Math.floor(rnd() * 9),
          tags: { service: `svc-${w % 4}` },
        });
    }
  }
  for (const p of partitions)
    queues[p].push({ ts: T0 + 3_600_000, source: `eos-${p}`, metric: 'eos', value: 0, tags: {} });
  return queues;
}

/** The single pipeline over the same records, partitions taken in turn. */
function single(queues: Telemetry[][]): WindowSignal[] {
  const proc = createProcessor({ engine, partitionCount: P });
  proc.step({ kind: 'assign', partitions: [0, 1, 2] }, emptyOutputs());
  for (let p = 0; p < P; p++)
    proc.step({ kind: 'backlog', partition: p, backlog: queues[p].length > 0 }, emptyOutputs());
  const out = emptyOutputs();
  const next = queues.map(() => 0);
  while (queues.some((q, p) => next[p] < q.length)) {
    for (let p = 0; p < P; p++) {
      for (let k = 0; k < 50 && next[p] < queues[p].length; k++, next[p]++)
        proc.step({ kind: 'record', partition: p, offset: next[p], record: queues[p][next[p]] }, out);
      proc.step({ kind: 'backlog', partition: p, backlog: next[p] < queues[p].length }, out);
    }
  }
  return out.finals;
}

/** The shared topology, partitions stepped and their transactions delivered in a seeded random interleaving. */
function shared(queues: Telemetry[][], seed: number) {
  const rnd = mulberry32(seed);
  const sp = createSharedPipeline(engine, P);
  const out = emptyGatherOutputs();
  sp.gather.step(offsets(queues), out);
  const next = queues.map(() => 0);
  /** Transactions written but not yet delivered (a slow process), per partition in order. */
  const inFlight: GatherInput[][] = [];
  while (queues.some((q, p) => next[p] < q.length) || inFlight.length > 0) {
    const p = Math.floor(rnd() * P);
    if (next[p] < queues[p].length) {
      const n = 1 + Math.floor(rnd() * 200);
      const stage1 = emptyOutputs();
      for (let k = 0; k < n && next[p] < queues[p].length; k++, next[p]++)
        sp.step(p, { kind: 'record', partition: p, offset: next[p], record: queues[p][next[p]] }, stage1);
      inFlight.push(sp.commit(p, next[p]));
    }
    while (inFlight.length > 0 && (rnd() < 0.6 || queues.every((q, i) => next[i] >= q.length)))
      sp.deliver(inFlight.shift()!, out);
  }
  return { out, sp };
}

/** Every partition's records on the topic, none read yet. */
const offsets = (queues: Telemetry[][]): GatherInput => ({
  kind: 'offsets',
  high: queues.map((q) => String(q.length)),
  committed: queues.map(() => '0'),
});

const json = (list: readonly WindowSignal[]): string[] => list.map((s) => JSON.stringify(s));

test('the shared topology releases the same outputs, in the same order, whatever the interleaving of partitions', () => {
  const queues = workload(5, 60);
  const runs = [11, 12, 13, 14].map((seed) => shared(queues, seed).out);
  expect(runs[0].finals.length).toBeGreaterThan(1_000);
  for (const r of runs.slice(1)) {
    expect(json(r.published)).toEqual(json(runs[0].published));
    expect(json(r.finals)).toEqual(json(runs[0].finals));
  }
  // Released window by window, ascending, keys sorted within each.
  const ends = runs[0].finals.map((s) => s.windowEnd);
  expect(ends).toEqual([...ends].sort((a, b) => a - b));
});

test('series finals are those of a single process; scope finals too, but for the rounding of merged sums', () => {
  const queues = workload(6, 40);
  const one = single(queues);
  const { out, sp } = shared(queues, 21);
  const series = (l: readonly WindowSignal[]) => json(l.filter((s) => s.scope === 'series')).sort();
  expect(series(out.finals)).toEqual(series(one));
  const scopes = (l: readonly WindowSignal[]) =>
    l.filter((s) => s.scope !== 'series').sort((a, b) => a.key.localeCompare(b.key) || a.windowEnd - b.windowEnd);
  const a = scopes(out.finals);
  const b = scopes(one);
  expect(a.length).toBe(b.length);
  expect(a.length).toBeGreaterThan(100);
  for (let i = 0; i < a.length; i++) {
    // Sums of per-partition partials add up in another order than one partial of every partition.
    const { mean: ma, ewma: ea, trend: ta, sum: sa, ratePerSec: ra, ...restA } = a[i];
    const { mean: mb, ewma: eb, trend: tb, sum: sb, ratePerSec: rb, ...restB } = b[i];
    expect(restA).toEqual(restB);
    for (const [x, y] of [
      [ma, mb],
      [ea, eb],
      [ta, tb],
      [sa, sb],
      [ra, rb],
    ])
      expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(y)));
  }
  expect(sp.gather.counters()).toMatchObject({ late: 0, rejected: 0 });
});

test('a restart from a checkpoint, re-reading from the oldest buffered record, continues exactly', () => {
  const queues = workload(7, 30);
  const { out: whole, sp } = shared(queues, 31);
  const log = sp.log;
  for (const cut of [Math.floor(log.length / 3), Math.floor((2 * log.length) / 3)]) {
    // Replays the first run up to the cut (what was committed), then a fresh stage two resumes.
    const before = createGather({ partitionCount: P, engine });
    const outBefore = emptyGatherOutputs();
    before.step(offsets(queues), outBefore);
    for (const r of log.slice(0, cut)) before.step(r, outBefore);
    const cp = JSON.parse(JSON.stringify(before.checkpoint())) as GatherCheckpoint;
    const from = Number(before.oldestBuffered() ?? cut);
    const histories = new Map<string, Float64Array>();
    for (const s of outBefore.finals)
      if (s.scope !== 'series' && s.count > 0) histories.set(s.key, before.history(s.key)!);

    const after = createGather({ partitionCount: P, engine });
    after.restore(cp);
    after.seedHistories(histories);
    const outAfter: GatherOutputs = emptyGatherOutputs();
    after.step(offsets(queues), outAfter);
    const offsetOf = (r: GatherInput, i: number): number => (r.kind === 'signal' ? Number(r.offset) : i);
    log.forEach((r, i) => {
      if (offsetOf(r, i) < from) return;
      after.step(r, outAfter, i < cut);
    });
    expect(json([...outBefore.published, ...outAfter.published])).toEqual(json(whole.published));
    expect(json([...outBefore.finals, ...outAfter.finals])).toEqual(json(whole.finals));
  }
});

test('a partition with unread records holds the release back; an idle one does not, and what it says later is counted late', () => {
  const queues = workload(8, 20, [0, 1]);
  const run = (high2: string) => {
    const g = createGather({ partitionCount: P, engine });
    const out = emptyGatherOutputs();
    g.step(
      {
        kind: 'offsets',
        high: [String(queues[0].length), String(queues[1].length), high2],
        committed: ['0', '0', '0'],
      },
      out,
    );
    const sp = createSharedPipeline(engine, P);
    // Transactions of 100 records, the two partitions in turn.
    for (let from = 0; from < Math.max(queues[0].length, queues[1].length); from += 100) {
      for (const p of [0, 1]) {
        const s1 = emptyOutputs();
        queues[p]
          .slice(from, from + 100)
          .forEach((record, i) => sp.step(p, { kind: 'record', partition: p, offset: from + i, record }, s1));
        for (const r of sp.commit(p, Math.min(queues[p].length, from + 100)))
          g.step(r.kind === 'signal' ? { ...r, offset: '0' } : r, out);
      }
    }
    return { g, out };
  };
  // Partition 2 has a record nobody has read yet: nothing may be released.
  expect(run('1').out.finals).toEqual([]);
  // Partition 2 is empty: idle once the others are idleAfterMs ahead, so windows are released.
  const { g, out } = run('0');
  expect(out.finals.length).toBeGreaterThan(100);
  // Then partition 2 speaks about a window already released: published, not decided on.
  const sp2 = createSharedPipeline(engine, P);
  const s1 = emptyOutputs();
  sp2.step(
    2,
    {
      kind: 'record',
      partition: 2,
      offset: 0,
      record: { ts: T0 + 500, source: 'w2', metric: 'depth', value: 1, tags: {} },
    },
    s1,
  );
  sp2.step(
    2,
    {
      kind: 'record',
      partition: 2,
      offset: 1,
      record: { ts: T0 + 60_000, source: 'w2', metric: 'depth', value: 1, tags: {} },
    },
    s1,
  );
  const late = emptyGatherOutputs();
  for (const r of sp2.commit(2, 2)) g.step(r.kind === 'signal' ? { ...r, offset: '1' } : r, late);
  expect(late.published.some((s) => s.key.includes('w2') && s.windowStart === T0)).toBe(true);
  expect(late.finals.some((s) => s.windowStart === T0)).toBe(false);
  expect(g.counters().late).toBeGreaterThan(0);
});

describe('stage two at a million series', () => {
  it('releases a window of more finals than a call can take arguments (no push(...list))', () => {
    const n = 400_000;
    const g = createGather({ partitionCount: 1, engine });
    const out = emptyGatherOutputs();
    g.step({ kind: 'offsets', high: ['0'], committed: ['0'] }, out);
    const partitions = [0];
    for (let i = 0; i < n; i++) {
      const signal = {
        scope: 'series',
        key: `w${i}|depth|`,
        source: `w${i}`,
        metric: 'depth',
        tags: {},
        windowStart: T0,
        windowEnd: T0 + 1_000,
        count: 1,
        sum: 1,
        min: 1,
        max: 1,
        mean: 1,
        ratePerSec: 1,
        p50: 1,
        p90: 1,
        p99: 1,
        p999: 1,
        ewma: 1,
        trend: 0,
        partial: false,
        partitions,
      };
      g.step({ kind: 'signal', signal, offset: String(i) }, out);
    }
    g.step({ kind: 'mark', mark: { partition: 0, wm: T0 + 1_100, maxTs: T0 + 1_100, next: '1' } }, out);
    expect(out.finals).toHaveLength(n);
    expect(out.published).toHaveLength(n);
    expect(out.finals[1].key < out.finals[2].key).toBe(true);
  });
});
