/** Decision-stream diffs: what would change between two replays (or production and a candidate). */
import fc from 'fast-check';
import type { CommandRecord, DecisionRecord } from '../../../src/codec';
import { commandParams } from '../../../src/codec';
import { diffDecisions } from '../../../src/replay/diff';
import { diffJson, formatDiff } from '../../../src/replay/diff-format';
import { mergeByEventTime } from '../../../src/replay/merge';
import { replayRecordsSync } from '../../../src/replay/replay';
import { replaySetupFromConfig } from '../../../src/replay/setup';
import { SCENARIO_CONFIG, asInputs, scenarioConfig, scenarioPartitions } from './replay-fixtures';

const T = Date.UTC(2024, 0, 1);

function decision(over: Partial<DecisionRecord> = {}): DecisionRecord {
  const windowEnd = over.windowEnd ?? T + 10_000;
  return {
    id: 'd',
    policy: 'p',
    policyVersion: 'v1',
    target: 'w1',
    kind: 'acted',
    guardrail: null,
    commandId: 'c1',
    actionType: 'query_timeout.set',
    mode: 'enforce',
    reason: 'overloaded; timeout 5000 → 2500 ms',
    evidence: [{ signal: 'query.latency_ms:p99', value: 900, threshold: 800, comparison: '>' }],
    windowStart: windowEnd - 10_000,
    windowEnd,
    eventTime: windowEnd,
    ...over,
  };
}

function command(id: string, timeoutMs: number): CommandRecord {
  return {
    id,
    type: 'query_timeout.set',
    target: 'w1',
    params: commandParams({ timeoutMs }),
    mode: 'enforce',
    policy: 'p',
    policyVersion: 'v1',
    reason: '',
    evidence: [],
    windowStart: T,
    windowEnd: T + 10_000,
    issuedAt: T + 10_000,
    expiresAt: T + 40_000,
    keyId: '',
    signature: '',
    audience: 'query_timeout',
  };
}

describe('diffDecisions', () => {
  it('finds nothing between a stream and itself', () => {
    const ds = [
      decision(),
      decision({ target: 'w2', commandId: 'c2' }),
      decision({ windowEnd: T + 20_000, kind: 'renewed' }),
    ];
    const d = diffDecisions({ decisions: ds }, { decisions: ds });
    expect(d.identical).toBe(true);
    expect(d.totals).toMatchObject({ same: 3, onlyA: 0, onlyB: 0, changed: 0, a: 3, b: 3 });
    expect(d.firstDivergence).toBeNull();
    expect(formatDiff(d, { labelA: 'a', labelB: 'b' })).toContain('identical');
  });

  it('finds actions only in A, only in B, and the first divergence', () => {
    const a = [decision(), decision({ windowEnd: T + 30_000, target: 'w3' })];
    const b = [decision(), decision({ windowEnd: T + 20_000, target: 'w2', actionType: 'query_timeout.revert' })];
    const d = diffDecisions({ decisions: a }, { decisions: b });
    expect(d.identical).toBe(false);
    expect(d.totals).toMatchObject({ same: 1, onlyA: 1, onlyB: 1, changed: 0 });
    expect(d.entries.map((e) => [e.status, e.target])).toEqual([
      ['onlyB', 'w2'],
      ['onlyA', 'w3'],
    ]);
    expect(d.firstDivergence).toBe(T + 20_000);
    expect(d.perTarget.w2).toEqual({ same: 0, onlyA: 0, onlyB: 1, changed: 0 });
    expect(d.perPolicy.p).toEqual({ same: 1, onlyA: 1, onlyB: 1, changed: 0 });
  });

  it('reports a changed kind (acted in A, blocked in B) for the same action', () => {
    const d = diffDecisions(
      { decisions: [decision()] },
      { decisions: [decision({ kind: 'blocked', guardrail: 'cooldown' })] },
    );
    expect(d.totals.changed).toBe(1);
    expect(d.entries[0].changes).toEqual(['kind acted → blocked']);
  });

  it('compares parameters from the commands when both are given', () => {
    const a = { decisions: [decision({ commandId: 'x' })], commands: [command('x', 2500)] };
    const b = { decisions: [decision({ commandId: 'y', policyVersion: 'v2' })], commands: [command('y', 1000)] };
    const d = diffDecisions(a, b);
    expect(d.entries).toHaveLength(1);
    expect(d.entries[0].changes).toEqual(['params']);
    expect(d.entries[0].paramsA).toContain('"timeoutMs":2500');
    expect(d.entries[0].paramsB).toContain('"timeoutMs":1000');
    // Same parameters under another policy version: no difference.
    const same = diffDecisions(a, {
      decisions: [decision({ commandId: 'z', policyVersion: 'v2' })],
      commands: [command('z', 2500)],
    });
    expect(same.identical).toBe(true);
    expect(same.versions.p).toEqual({ a: ['v1'], b: ['v2'] });
  });

  it('without commands, compares command ids within one version and reasons across versions', () => {
    expect(
      diffDecisions({ decisions: [decision()] }, { decisions: [decision({ commandId: 'other' })] }).entries[0].changes,
    ).toEqual(['params (command id)']);
    const otherVersion = decision({ policyVersion: 'v2', commandId: 'other' });
    expect(diffDecisions({ decisions: [decision()] }, { decisions: [otherVersion] }).identical).toBe(true);
    const otherReason = decision({
      policyVersion: 'v2',
      commandId: 'other',
      reason: 'overloaded; timeout 5000 → 1000 ms',
    });
    expect(diffDecisions({ decisions: [decision()] }, { decisions: [otherReason] }).entries[0].changes).toEqual([
      'params (reason)',
    ]);
  });

  it('pairs equal kinds first within one key', () => {
    const a = [decision({ kind: 'acted' }), decision({ kind: 'blocked', guardrail: 'rate_limit', commandId: 'c9' })];
    const b = [decision({ kind: 'blocked', guardrail: 'rate_limit', commandId: 'c9' }), decision({ kind: 'acted' })];
    expect(diffDecisions({ decisions: a }, { decisions: b }).identical).toBe(true);
  });

  it('is symmetric: swapping the sides swaps only-in-A and only-in-B', () => {
    const arb = fc.array(
      fc.record({
        target: fc.constantFrom('w1', 'w2', 'w3'),
        w: fc.integer({ min: 1, max: 6 }),
        kind: fc.constantFrom('acted' as const, 'blocked' as const, 'shadowed' as const),
        commandId: fc.constantFrom('c1', 'c2'),
      }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(arb, arb, (xs, ys) => {
        const mk = (r: {
          target: string;
          w: number;
          kind: DecisionRecord['kind'];
          commandId: string;
        }): DecisionRecord =>
          decision({ target: r.target, windowEnd: T + r.w * 10_000, kind: r.kind, commandId: r.commandId });
        const ab = diffDecisions({ decisions: xs.map(mk) }, { decisions: ys.map(mk) });
        const ba = diffDecisions({ decisions: ys.map(mk) }, { decisions: xs.map(mk) });
        expect(ab.totals.onlyA).toBe(ba.totals.onlyB);
        expect(ab.totals.onlyB).toBe(ba.totals.onlyA);
        expect(ab.totals.changed).toBe(ba.totals.changed);
        expect(ab.identical).toBe(ba.identical);
        // Every decision is accounted for exactly once on each side.
        expect(ab.totals.same + ab.totals.changed + ab.totals.onlyA).toBe(xs.length);
        expect(ab.totals.same + ab.totals.changed + ab.totals.onlyB).toBe(ys.length);
      }),
    );
  });

  it('shows what a tighter threshold would change in a real replay', () => {
    const inputs = () => mergeByEventTime(asInputs(scenarioPartitions()));
    const base = replayRecordsSync(
      inputs(),
      replaySetupFromConfig(scenarioConfig(), { partitions: [0, 1, 2], env: {} }),
    );
    const policies = SCENARIO_CONFIG.policies.map((p) =>
      p.name === 'timeouts' ? { ...p, parameters: { ...p.parameters, overloadWindows: 4 } } : p,
    );
    const cand = replayRecordsSync(
      inputs(),
      replaySetupFromConfig(scenarioConfig({ policies }), { partitions: [0, 1, 2], env: {} }),
    );
    const d = diffDecisions(
      { decisions: base.decisions, commands: base.commands },
      { decisions: cand.decisions, commands: cand.commands },
    );
    expect(d.identical).toBe(false);
    // Only the changed policy differs; the others replay identically under the same versions.
    expect(
      Object.entries(d.perPolicy)
        .filter(([, c]) => c.onlyA + c.onlyB + c.changed > 0)
        .map(([p]) => p),
    ).toEqual(['timeouts']);
    const text = formatDiff(d, { labelA: 'base', labelB: 'cand' });
    expect(text).toContain('first divergence: ');
    expect(text).toContain('timeouts');
    expect(JSON.parse(diffJson(d, { a: 'base', b: 'cand' }))).toMatchObject({ a: 'base', b: 'cand', identical: false });
  });
});
