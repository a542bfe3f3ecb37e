/**
 * The decision path the composition root builds, and the fault tier's reference run with it:
 * what it takes from the config (mode override, control bounds, verification) must reach the
 * engine and the stage, so that `homeostat run` and the reference decide alike.
 */
import { buildDecisionPath } from '../../../src/compose/decision-path';
import { loadConfig } from '../../../src/config/homeostat-config';
import type { ControlRecord } from '../../../src/guardrails/control';
import { testSigningKey } from '../../helpers/keys';

const signing = testSigningKey('compose', 3);
const policy = {
  name: 'timeouts',
  type: 'adaptive-timeout',
  mode: 'shadow',
  select: { metric: 'queue.depth' },
  parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 } },
};
const configWith = (overrides: Record<string, unknown>) =>
  loadConfig({ env: {}, overrides: { policies: [policy], ...overrides } });

let issued = 0;
const exclude = (target: string): ControlRecord => ({
  kind: 'exclude',
  policy: null,
  target,
  mode: null,
  issuedBy: 'sre@example',
  issuedAt: ++issued,
  reason: 'test',
});

test("each policy's effective mode: its own, or the config's override", () => {
  expect(buildDecisionPath(configWith({}), { signing }).modes()).toEqual({ timeouts: 'shadow' });
  expect(buildDecisionPath(configWith({ mode: 'enforce' }), { signing }).modes()).toEqual({ timeouts: 'enforce' });
});

test('the policies as configured are kept with their mode', () => {
  const path = buildDecisionPath(configWith({}), { signing });
  expect(path.policies.map((p) => [p.name, p.mode])).toEqual([['timeouts', 'shadow']]);
  expect(path.engine.policies.map((p) => p.name)).toEqual(['timeouts']);
});

test('the verifier is in the stage unless left out', () => {
  expect(buildDecisionPath(configWith({}), { signing }).stage.state().verifier).not.toBeNull();
  expect(buildDecisionPath(configWith({}), { signing, verifier: false }).stage.state().verifier).toBeNull();
});

test('control.maxExclusions bounds the exclusions the engine keeps', () => {
  const { stage } = buildDecisionPath(configWith({ control: { maxExclusions: 2 } }), { signing });
  const out = { commands: [], decisions: [] };
  expect(stage.onControl(exclude('w1'), out)).toBeUndefined();
  expect(stage.onControl(exclude('w2'), out)).toBeUndefined();
  expect(stage.onControl(exclude('w3'), out)).toEqual(expect.any(String));
  expect(Object.keys(stage.state().engine.guard.control.excluded)).toHaveLength(2);
});
