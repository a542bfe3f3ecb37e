/**
 * The series slot on shared tags objects (series-hint.ts) is a cache: the engine's outputs must
 * be exactly those of the same records with plain tags — through series created, evicted at
 * the cap (ids reused), revoked partitions, two engine states sharing the same tags objects,
 * and a tags object handed to a record of another source than the one it was made for.
 */
import fc from 'fast-check';
import { createEngine, type EngineInput, type EngineOutput } from '../../../src/core';
import { addSeriesHint, hintOf } from '../../../src/core/series-hint';
import type { Telemetry } from '../../../src/model/telemetry';

const SOURCES = ['a', 'b', 'c', 'd'];
const METRICS = ['m1', 'm2', 'm3'];
const TAG_SETS: Record<string, string>[] = [{}, { tenant: 't1' }, { tenant: 't2', service: 's' }, { role: 'x' }];

/** One shared, slotted, frozen tags object per (source, tag set), as the decoder makes them. */
const shared = SOURCES.map((s) => TAG_SETS.map((t) => Object.freeze(addSeriesHint({ ...t }, s))));

interface Item {
  kind: 'record' | 'revoke' | 'assign' | 'tick';
  p: number;
  ts: number;
  v: number;
  s: number;
  m: number;
  t: number;
  /** Use the tags made for another source (never done by the decoder; must still be right). */
  foreign: boolean;
  /** Which of two engine states the item goes to. */
  to: number;
}

const item = fc.record({
  kind: fc.constantFrom<Item['kind']>(
    'record',
    'record',
    'record',
    'record',
    'record',
    'record',
    'revoke',
    'assign',
    'tick',
  ),
  p: fc.nat(2),
  /** Event time advances by this from the previous item, and sometimes steps back (disorder, late records). */
  ts: fc.oneof(fc.integer({ min: 0, max: 4_000 }), fc.integer({ min: -15_000, max: 0 })),
  v: fc.integer({ min: 0, max: 9 }),
  s: fc.nat(SOURCES.length - 1),
  m: fc.nat(METRICS.length - 1),
  t: fc.nat(TAG_SETS.length - 1),
  foreign: fc.boolean(),
  to: fc.nat(1),
});

function inputOf(x: Item, offset: number, ts: number, hinted: boolean): EngineInput {
  if (x.kind === 'revoke') return { kind: 'revoke', partitions: [x.p] };
  if (x.kind === 'assign') return { kind: 'assign', partitions: [x.p] };
  // A tick lets windows close (and series go dormant, to be evicted at the cap) without a record.
  if (x.kind === 'tick') return { kind: 'tick', watermark: ts };
  const owner = x.foreign ? (x.s + 1) % SOURCES.length : x.s;
  const tags = hinted ? shared[owner][x.t] : { ...TAG_SETS[x.t] };
  const record: Telemetry = { ts, source: SOURCES[x.s], metric: METRICS[x.m], value: x.v, tags };
  return { kind: 'record', partition: x.p, offset, record };
}

/** Outputs of two engine states fed the items, with the records' tags slotted or plain. */
function outputs(items: readonly Item[], maxSeries: number, zeroFillWindows: number, hinted: boolean): string {
  const engine = createEngine({ maxSeries, zeroFillWindows, dimensionTags: ['tenant', 'service'], scopes: [] });
  const states = [engine.init(), engine.init()];
  const out: EngineOutput[][] = [[], []];
  let clock = 1_700_000_000_000;
  items.forEach((x, i) => {
    clock += Math.max(x.ts, 0);
    const input = inputOf(x, i, x.ts < 0 ? clock + x.ts : clock, hinted);
    out[x.to].push(...engine.step(states[x.to], input).outputs);
  });
  for (const k of [0, 1]) out[k].push(...engine.step(states[k], { kind: 'flush' }).outputs);
  // Records compare by content (the slot is not enumerable); counters too.
  return JSON.stringify([out, states.map((s) => engine.counters(s))]);
}

describe('series slots on shared tags objects', () => {
  it('never change the engine outputs (creation, eviction at the cap, revocation, two states, foreign tags)', () => {
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 150 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0, 3),
        (items, maxSeries, zeroFill) => {
          expect(outputs(items, maxSeries, zeroFill, true)).toBe(outputs(items, maxSeries, zeroFill, false));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('are not trusted once a series was evicted and its id given to another', () => {
    const engine = createEngine({ maxSeries: 1, zeroFillWindows: 0, dimensionTags: ['tenant'], scopes: [] });
    const st = engine.init();
    const ta = Object.freeze(addSeriesHint({ tenant: 't1' }, 'a'));
    const tb = Object.freeze(addSeriesHint({ tenant: 't1' }, 'b'));
    const t0 = 1_700_000_000_000;
    const out: EngineOutput[] = [];
    const send = (source: string, tags: Record<string, string>, dt: number, value: number): void => {
      const record: Telemetry = { ts: t0 + dt, source, metric: 'm', value, tags };
      out.push(...engine.step(st, { kind: 'record', partition: 0, offset: dt, record }).outputs);
    };
    send('a', ta, 0, 1);
    out.push(...engine.step(st, { kind: 'tick', watermark: t0 + 30_000 }).outputs);
    send('b', tb, 60_000, 3); // evicts a: b takes its id
    out.push(...engine.step(st, { kind: 'tick', watermark: t0 + 90_000 }).outputs);
    send('a', ta, 90_000, 4); // evicts b: a again, under the id that was b's
    send('a', ta, 91_000, 5);
    out.push(...engine.step(st, { kind: 'flush' }).outputs);
    const signals = out.flatMap((o) => (o.kind === 'signal' ? [`${o.signal.key} ${o.signal.count}`] : [o.kind]));
    expect(signals).toEqual(['a|m|tenant=t1 1', 'evicted', 'b|m|tenant=t1 1', 'evicted', 'a|m|tenant=t1 2']);
  });

  it('are filled by the engine (the fast path is taken) and invisible to readers of the tags', () => {
    const tags = shared[0][1];
    const engine = createEngine({ dimensionTags: ['tenant'], scopes: [] });
    const st = engine.init();
    for (let i = 0; i < 3; i++) {
      const record: Telemetry = { ts: 1_700_000_000_000 + i, source: 'a', metric: 'm1', value: i, tags };
      engine.step(st, { kind: 'record', partition: 0, offset: i, record });
    }
    expect(hintOf(tags)).toContain('m1');
    expect(Object.keys(tags)).toEqual(['tenant']);
    expect(JSON.stringify(tags)).toBe('{"tenant":"t1"}');
    expect(tags).toEqual({ tenant: 't1' });
  });
});
