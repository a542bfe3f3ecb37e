/**
 * The processor's step against its definition: the engine's `step` result routed output by
 * output (signals published, partials merged here, finals, dead letters, evictions), as the
 * processor did before it took the engine's outputs through `stepInto`. Same inputs, same
 * config: every output, in order, and every counter must be the same.
 */
import {
  createEngine,
  createScopeMerger,
  resolveEngineConfig,
  type EngineConfig,
  type EngineInput,
  type EngineOutput,
} from '../../../src/core';
import {
  createProcessor,
  emptyOutputs,
  type ProcessorInput,
  type ProcessorOutputs,
} from '../../../src/pipeline/processor';
import { prng } from '../core/helpers';

/** The definition: engine.step, then each output routed in order. */
function reference(
  config: EngineConfig,
  partitionCount: number,
  inputs: readonly ProcessorInput[],
): ProcessorOutputs & { at: [number, number][] } {
  const engine = createEngine(config);
  const merger = createScopeMerger({
    partitionCount,
    advanceMs: config.window.advanceMs,
    ewmaAlpha: config.ewmaAlpha,
    trendWindows: config.trendWindows,
  });
  const state = engine.init();
  let mstate = merger.init();
  const out = { ...emptyOutputs(), at: [] as [number, number][] };
  const merged = (outputs: ReturnType<typeof merger.step>['outputs']): void => {
    for (const o of outputs) {
      if (o.kind === 'signal') {
        out.published.push(o.signal);
        out.finals.push(o.signal);
      }
    }
  };
  for (const input of inputs) {
    if (input.kind === 'invalid') {
      const { partition, offset, code, message, field, record } = input;
      out.dead.push({ partition, offset, code, message, field, record });
      out.at.push([out.published.length, out.dead.length]);
      continue;
    }
    const outputs: readonly EngineOutput[] = engine.step(state, input).outputs;
    for (const o of outputs) {
      if (o.kind === 'signal') {
        out.published.push(o.signal);
        if (o.signal.partial) {
          const r = merger.step(mstate, { kind: 'partial', signal: o.signal });
          mstate = r.state;
          merged(r.outputs);
        } else out.finals.push(o.signal);
      } else if (o.kind === 'evicted') (out.evicted ??= []).push(o.key);
      else
        out.dead.push({
          partition: o.partition,
          offset: String(o.offset),
          code: o.kind === 'late' ? 'LATE' : o.reason === 'series_limit' ? 'SERIES_LIMIT' : 'INVALID_FIELD',
          message: '',
          record: o.record,
        });
    }
    if (input.kind === 'flush') {
      const r = merger.step(mstate, { kind: 'flush' });
      mstate = r.state;
      merged(r.outputs);
    }
    out.at.push([out.published.length, out.dead.length]);
  }
  return out;
}

/**
 * A workload of three partitions: scoped and unscoped series, disorder, records late by a
 * window, non-finite values, invalid inputs, a revoked and re-assigned partition, ticks, and
 * more series than the cap (evictions and rejections), then a flush.
 */
function workload(seed: number, n: number): ProcessorInput[] {
  const rnd = prng(seed);
  const metrics = ['tenant.bytes_in', 'requests', 'query.latency_ms'];
  const inputs: ProcessorInput[] = [{ kind: 'assign', partitions: [0, 1, 2] }];
  let t = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rnd() * 40);
    const s = Math.floor(rnd() * 60);
    const partition = s % 3;
    const roll = rnd();
    if (roll < 0.01) {
      inputs.push({ kind: 'invalid', partition, offset: String(i), code: 'INVALID_JSON', message: 'bad' });
      continue;
    }
    if (roll < 0.015) {
      inputs.push({ kind: 'tick', watermark: t - 3_000 });
      continue;
    }
    if (i === Math.floor(n / 2)) inputs.push({ kind: 'revoke', partitions: [2] }, { kind: 'assign', partitions: [2] });
    const ts = roll < 0.04 ? t - 30_000 : t - Math.floor(rnd() * 800);
    const value = roll < 0.05 ? NaN : roll < 0.1 ? -0 : Math.round(rnd() * 1e4) / 100;
    inputs.push({
      kind: 'record',
      partition,
      offset: String(i),
      record: {
        ts,
        source: `src-${s}`,
        metric: metrics[s % metrics.length],
        value,
        tags: { tenant: `t${s % 4}`, service: `svc-${s % 5}` },
      },
    });
  }
  inputs.push({ kind: 'flush' });
  return inputs;
}

const SHAPES: [string, Parameters<typeof resolveEngineConfig>[0]][] = [
  ['tumbling', { window: { sizeMs: 2_000, advanceMs: 2_000, graceMs: 200 }, maxSeries: 40, zeroFillWindows: 2 }],
  ['hopping', { window: { sizeMs: 2_000, advanceMs: 400, graceMs: 200 }, maxSeries: 40, zeroFillWindows: 2 }],
];

describe.each(SHAPES)('processor step, %s windows', (_name, shape) => {
  test.each([1, 2, 3])('outputs and counters equal the engine step routed output by output (seed %i)', (seed) => {
    const config = resolveEngineConfig(shape);
    const inputs = workload(seed, 4_000);
    const expected = reference(config, 3, inputs);
    const p = createProcessor({ engine: config, partitionCount: 3 });
    const got = emptyOutputs();
    // Input by input, so that a divergence is found where it starts (a repeated output would grow without bound).
    let diverged = -1;
    for (let i = 0; i < inputs.length && diverged < 0; i++) {
      p.step(inputs[i], got);
      if (got.published.length !== expected.at[i][0] || got.dead.length !== expected.at[i][1]) diverged = i;
    }
    expect(diverged).toBe(-1);
    expect(got.published).toEqual(expected.published);
    expect(got.finals).toEqual(expected.finals);
    expect(got.evicted).toEqual(expected.evicted);
    expect(got.dead.map((d) => [d.partition, d.offset, d.code, d.record])).toEqual(
      expected.dead.map((d) => [d.partition, d.offset, d.code, d.record]),
    );
    // The workload reaches every route: partials merged, evictions, dead letters of each kind.
    expect(expected.published.some((s) => s.partial)).toBe(true);
    expect(expected.finals.some((s) => s.scope !== 'series')).toBe(true);
    expect(expected.evicted?.length ?? 0).toBeGreaterThan(0);
    const c = p.counters();
    expect(c.consumed).toBe(c.aggregated + c.late + c.deadLettered);
    expect(c.deadLettered + c.late).toBe(got.dead.length);
  });
});

test('a step that outputs nothing leaves the outputs as they were', () => {
  const p = createProcessor({ engine: resolveEngineConfig({}), partitionCount: 1 });
  const out = emptyOutputs();
  const input: EngineInput = {
    kind: 'record',
    partition: 0,
    offset: 0,
    record: { ts: 1, source: 's', metric: 'm', value: 1, tags: {} },
  };
  p.step(input, out);
  expect(out).toEqual(emptyOutputs());
});
