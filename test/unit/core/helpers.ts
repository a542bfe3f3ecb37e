/** Test helpers for the engine: record builders, runners, a reference model, generators. */
import fc from 'fast-check';
import type { Engine, EngineInput, EngineOutput, WindowEngineState } from '../../../src/core';
import type { WindowSignal } from '../../../src/model/signal';
import type { Telemetry } from '../../../src/model/telemetry';
import { createSketch } from '../../../src/signals';
export { mulberry32 as prng } from '../../../src/client/random';
import { mulberry32 as prng } from '../../../src/client/random';

export interface Rec {
  partition: number;
  offset: number;
  record: Telemetry;
}

export function rec(
  partition: number,
  offset: number,
  ts: number,
  value: number,
  source = 's',
  metric = 'm',
  tags: Record<string, string> = {},
): Rec {
  return { partition, offset, record: { ts, source, metric, value, tags } };
}

export function input(r: Rec): EngineInput {
  return { kind: 'record', partition: r.partition, offset: r.offset, record: r.record };
}

export interface Run {
  outputs: EngineOutput[];
  signals: WindowSignal[];
  state: WindowEngineState;
}

/** Feeds inputs one step at a time (then optionally flush) and collects every output. */
export function run(
  engine: Engine,
  inputs: readonly EngineInput[],
  opts: { flush?: boolean; assign?: number[] } = {},
): Run {
  const state = engine.init();
  const outputs: EngineOutput[] = [];
  if (opts.assign !== undefined)
    outputs.push(...engine.step(state, { kind: 'assign', partitions: opts.assign }).outputs);
  for (const i of inputs) outputs.push(...engine.step(state, i).outputs);
  if (opts.flush !== false) outputs.push(...engine.step(state, { kind: 'flush' }).outputs);
  return { outputs, signals: signalsOf(outputs), state };
}

export function signalsOf(outputs: readonly EngineOutput[]): WindowSignal[] {
  const out: WindowSignal[] = [];
  for (const o of outputs) if (o.kind === 'signal') out.push(o.signal);
  return out;
}

/** Signals indexed by `${key}@${windowStart}`; throws on a duplicate (a window emitted twice). */
export function byWindow(signals: readonly WindowSignal[]): Map<string, WindowSignal> {
  const m = new Map<string, WindowSignal>();
  for (const s of signals) {
    const id = `${s.key}@${s.windowStart}`;
    if (m.has(id)) throw new Error(`window emitted twice: ${id}`);
    m.set(id, s);
  }
  return m;
}

/** The fields a window's data determines (no ewma/trend, which depend on history). */
export function dataFields(s: WindowSignal): Record<string, number> {
  return { count: s.count, sum: s.sum, min: s.min, max: s.max, p50: s.p50, p90: s.p90, p99: s.p99, p999: s.p999 };
}

export interface WindowSpec {
  sizeMs: number;
  advanceMs: number;
}

/**
 * Reference model: every record counts in every window [k·advance, k·advance + size) that
 * covers it; per (series key, window) the exact count/sum/min/max and the quantiles of a
 * sketch of exactly those values (the sketch itself is tested against exact quantiles).
 */
export function reference(
  records: readonly Rec[],
  w: WindowSpec,
  keyOf: (r: Telemetry) => string,
): Map<string, Record<string, number>> {
  const groups = new Map<string, number[]>();
  for (const r of records) {
    const ts = r.record.ts;
    const last = Math.floor(ts / w.advanceMs) * w.advanceMs;
    for (let s = last; s > ts - w.sizeMs; s -= w.advanceMs) {
      const id = `${keyOf(r.record)}@${s}`;
      const list = groups.get(id) ?? [];
      list.push(r.record.value);
      groups.set(id, list);
    }
  }
  const out = new Map<string, Record<string, number>>();
  for (const [id, values] of groups) {
    const sk = createSketch();
    for (const v of values) sk.add(v);
    const q = [0, 0, 0, 0];
    sk.quantiles([0.5, 0.9, 0.99, 0.999], q);
    out.set(id, {
      count: values.length,
      sum: values.reduce((a, b) => a + b, 0),
      min: Math.min(...values),
      max: Math.max(...values),
      p50: q[0],
      p90: q[1],
      p99: q[2],
      p999: q[3],
    });
  }
  return out;
}

/** Interleaves per-partition sequences (each kept in order) by a seeded random choice. */
export function interleave<T>(lists: readonly (readonly T[])[], seed: number): T[] {
  const rnd = prng(seed);
  const pos = lists.map(() => 0);
  const out: T[] = [];
  for (;;) {
    const open = lists.map((l, i) => (pos[i] < l.length ? i : -1)).filter((i) => i >= 0);
    if (open.length === 0) return out;
    const i = open[Math.floor(rnd() * open.length)];
    out.push(lists[i][pos[i]++]);
  }
}

/**
 * Per-partition records in offset order whose disorder is within `ooo`: each ts is at least
 * the partition's max so far minus ooo (base times rise, jitter in [0, ooo]).
 */
export function boundedDisorderPartition(
  partition: number,
  opts: { ooo: number; sources: number; maxStep: number; minLength?: number; maxLength: number; t0?: number },
): fc.Arbitrary<Rec[]> {
  const item = fc.record({
    step: fc.integer({ min: 0, max: opts.maxStep }),
    jitter: fc.integer({ min: 0, max: opts.ooo }),
    source: fc.integer({ min: 0, max: opts.sources - 1 }),
    value: fc.integer({ min: -50, max: 1000 }),
  });
  return fc.array(item, { minLength: opts.minLength ?? 0, maxLength: opts.maxLength, size: 'max' }).map((items) => {
    let base = opts.t0 ?? 1_000_000;
    return items.map((it, i) => {
      base += it.step;
      // Sources are partitioned like Kafka keys: a source lives on one partition.
      const source = `p${partition}-s${it.source}`;
      return rec(partition, i, base - it.jitter, it.value, source, 'm', { tenant: `t${it.source % 2}` });
    });
  });
}

export const seriesKeyOf = (r: Telemetry): string =>
  `${r.source}|${r.metric}|${r.tags.tenant !== undefined ? `tenant=${r.tags.tenant}` : ''}`;
