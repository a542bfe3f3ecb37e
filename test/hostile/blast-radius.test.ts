/**
 * Finding 7 (blast radius): the cap counted the targets observed in the window, so a
 * producer inventing sources raised it — a thousand fake workers let a wrong policy act on
 * a hundred real ones. With `guardrails.blastRadius.fleetSize` the cap counts the fleet the
 * operator configured, which telemetry cannot move.
 */
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

  it('without a fleet size the cap still counts what was observed (the documented, inflatable default)', () => {
    expect(blastRadius.check(state(), cand, context({ blastRadius: { fraction: 0.1 } }, 1_020, 2)).ok).toBe(true);
  });
});
