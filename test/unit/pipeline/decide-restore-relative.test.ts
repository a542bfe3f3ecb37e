import fc from 'fast-check';
import { resolveEngineConfig } from '../../../src/core';
import type { WindowSignal } from '../../../src/model/signal';
import { createDecisionStage, type StageState } from '../../../src/pipeline/decide';
import { createProcessor, emptyOutputs } from '../../../src/pipeline/processor';
import { createDecisionEngine, createPolicies } from '../../../src/policies';

// Three workers at unlike scales (1 ms, 40 ms, 1.5 s), one latency sample a 1 s window, with spikes.
const engineConfig = resolveEngineConfig({
  window: { sizeMs: 1000, graceMs: 0 },
  allowedOutOfOrdernessMs: 0,
  idleAfterMs: Infinity,
  scopes: [],
});
const SCALES: Record<string, number> = { a: 1, b: 40, c: 1500 };

const policies = [
  {
    name: 'fleet',
    type: 'adaptive-timeout',
    mode: 'shadow',
    guardrails: { minConsecutiveWindows: 1, cooldownWindows: 1, blastRadius: { fraction: 1 } },
    parameters: {
      high: { latencyMs: { ratio: 2.5, of: 'p90' }, queueDepth: null },
      low: { latencyMs: { deviations: 1, spread: 'mad' }, queueDepth: null },
      baseline: { windows: 16, warmupWindows: 6, maxFrozenWindows: 4 },
      slo: { latencyMs: 3000, objective: 0.9, pairs: [{ long: 6, short: 2, factor: 2 }] },
      overloadWindows: 1,
      defaultTimeoutMs: 10_000,
    },
  },
];

/** A new process: its own engine and stage, built from the config (as `run` does at start). */
const newStage = () =>
  createDecisionStage(
    createDecisionEngine({ policies: createPolicies(policies), guardrails: {}, modeOverride: null, signing: null }),
  );

/** Final signals per window end, from the processor (stage one). */
function finalsOf(values: number[]): WindowSignal[][] {
  const p = createProcessor({ engine: engineConfig, partitionCount: 1 });
  p.step({ kind: 'assign', partitions: [0] }, emptyOutputs());
  const byEnd: WindowSignal[][] = [];
  let offset = 0;
  values.forEach((v, i) => {
    const out = emptyOutputs();
    for (const source of Object.keys(SCALES)) {
      p.step(
        {
          kind: 'record',
          partition: 0,
          offset: offset++,
          record: { ts: 10_000 + i * 1000, source, metric: 'query.latency_ms', value: SCALES[source] * v, tags: {} },
        },
        out,
      );
    }
    if (out.finals.length > 0) byEnd.push(out.finals.filter((s) => !s.partial));
  });
  return byEnd;
}

function decide(groups: WindowSignal[][], cut: number | null): string {
  let stage = newStage();
  const out = { commands: [] as unknown[], decisions: [] as unknown[] } as Parameters<
    ReturnType<typeof newStage>['onFinals']
  >[1];
  groups.forEach((g, i) => {
    if (i === cut) {
      // The snapshot travels as JSON on the state topic; a new process restores it.
      const snapshot = JSON.parse(JSON.stringify(stage.state())) as StageState;
      stage = newStage();
      stage.restore(snapshot);
    }
    stage.onFinals(g, out);
  });
  return JSON.stringify([out.commands, out.decisions]);
}

describe('relative triggers across a restart of the decision stage', () => {
  test('a restored stage decides byte-identically to an uninterrupted one (baselines and burn memory in the snapshot)', () => {
    const level = fc.oneof(fc.constant(1), fc.constant(1.1), fc.constant(0.9), fc.constant(4), fc.constant(8));
    fc.assert(
      fc.property(fc.array(level, { minLength: 20, maxLength: 50 }), fc.nat(), (values, at) => {
        const groups = finalsOf(values);
        const cut = 1 + (at % (groups.length - 1));
        expect(decide(groups, cut)).toBe(decide(groups, null));
      }),
      { numRuns: 40 },
    );
  });

  test('the workload acts (the property is not vacuous), and only after the warm-up', () => {
    const values = Array.from({ length: 30 }, (_, i) => (i === 3 || i === 20 ? 8 : 1 + (i % 3) * 0.05));
    const out = JSON.parse(decide(finalsOf(values), null)) as [{ reason: string; windowStart: number }[], unknown[]];
    const cuts = out[0].filter((c) => c.reason.startsWith('overloaded'));
    expect(cuts.length).toBeGreaterThan(0);
    expect(cuts.every((c) => c.windowStart >= 10_000 + 20 * 1000)).toBe(true);
  });
});
