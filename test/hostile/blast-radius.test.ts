/**
 * Finding 7 (blast radius): the cap counted the targets observed in the window, so a
 * producer inventing sources raised it — a thousand fake workers let a wrong policy act on
 * a hundred real ones. With `guardrails.blastRadius.fleetSize` the cap counts the fleet the
 * operator configured, which telemetry cannot move; and `homeostat run` refuses to start a
 * policy that acts for real (canary, enforce) without one, unless the operator chose
 * `fleetSize: observed` — before, it only warned and acted on the inflatable count.
 */
import { runProcessor } from '../../src/cli/run';
import { loadConfig } from '../../src/config/homeostat-config';
import { createLogger } from '../../src/ops/logger';
import {
  blastRadius,
  initialControlState,
  parseGuardrails,
  resolvePolicyGuardrails,
  type GuardContext,
} from '../../src/guardrails';
import { cand as fixtureCand, ctx } from '../unit/guardrails/fixtures';

function context(guardrails: unknown, knownTargets: number, targetsUnderAction: number): GuardContext {
  const global = parseGuardrails(guardrails);
  return ctx({
    config: resolvePolicyGuardrails(global, {}, 'p'),
    global: global.global,
    knownTargets,
    targetsUnderAction,
    policyLeases: targetsUnderAction,
    totalLeases: targetsUnderAction,
  });
}
const cand = fixtureCand();

const state = () => ({ control: initialControlState(), lastChange: {}, breakers: {}, buckets: {} });

describe('the blast-radius cap under fake sources', () => {
  it('a configured fleet size holds the cap however many sources telemetry invents', () => {
    const guardrails = { blastRadius: { fraction: 0.1, fleetSize: 20 } };
    // 20 real workers: 2 may be under action.
    expect(blastRadius.check(state(), cand, context(guardrails, 20, 1)).ok).toBe(true);
    expect(blastRadius.check(state(), cand, context(guardrails, 20, 2)).ok).toBe(false);
    // 1 000 fake sources in the window change nothing.
    const inflated = blastRadius.check(state(), cand, context(guardrails, 1_020, 2));
    expect(inflated).toMatchObject({ ok: false, reason: expect.stringContaining('a configured fleet of 20') });
  });

  it('fleetSize: observed counts what was observed (the operator accepted an inflatable cap)', () => {
    const observed = { blastRadius: { fraction: 0.1, fleetSize: 'observed' } };
    expect(blastRadius.check(state(), cand, context(observed, 20, 2)).ok).toBe(false);
    expect(blastRadius.check(state(), cand, context(observed, 1_020, 2)).ok).toBe(true);
  });
});

describe('homeostat run and an acting policy without a fleet size', () => {
  const policy = (mode?: string) => ({
    name: 'timeouts',
    type: 'adaptive-timeout',
    ...(mode ? { mode } : {}),
    select: { metric: 'queue.depth' },
    parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 }, defaultTimeoutMs: 8000 },
  });
  // An address nothing listens on: a processor that got past the check fails to connect instead.
  const start = (overrides: Record<string, unknown>) =>
    runProcessor(
      loadConfig({ brokers: '127.0.0.1:1', overrides: { http: { enabled: false }, ...overrides }, env: {} }),
      createLogger({ level: 'silent' }),
    );

  it.each([
    ['enforce in the policy', { policies: [policy('enforce')] }],
    ['canary in the policy', { policies: [policy('canary')] }],
    ['--mode enforce over a shadow policy', { mode: 'enforce', policies: [policy()] }],
  ])('is refused at start, naming the key and the fix: %s', async (_name, overrides) => {
    await expect(start(overrides)).rejects.toThrow(
      /policies\.0\.guardrails\.blastRadius\.fleetSize: got nothing: policy timeouts can run in (enforce|canary) mode.*"observed"/,
    );
  });
});
