/**
 * RENEWAL_CHAIN (src/guardrails/chain.ts): a renewal judged by the operator's stops alone gets
 * the verdict and the guardrail state DEFAULT_CHAIN gives it, whatever the guardrail memory,
 * the counts and the config — cooldowns running, breakers open, buckets empty, caps reached,
 * bounds violated, the operator's kill, pauses and exclusions in force or not.
 */
import fc from 'fast-check';
import { completeParams } from '../../../src/actions/params';
import {
  applyPatch,
  checkChain,
  DEFAULT_CHAIN,
  defaultGuardrails,
  resolvePolicyGuardrails,
  targetKey,
  type Candidate,
  type GuardState,
} from '../../../src/guardrails';
import { defaultChainFor, RENEWAL_CHAIN } from '../../../src/guardrails/chain';
import { initialControlState } from '../../../src/guardrails/control';
import { cand, ctx, W } from './fixtures';

const TARGETS = ['t', 'u'];
const POLICIES = ['p', 'q'];

/** Guardrail memory and control state that would stop a tightening in every way, or not. */
const stateArb: fc.Arbitrary<GuardState> = fc
  .record({
    killed: fc.boolean(),
    paused: fc.subarray(['p', 'q', '*']),
    excluded: fc.subarray(['p\u001ft', 'p\u001f*', '*\u001ft', 'q\u001fu']),
    lastChange: fc.option(fc.integer({ min: 95 * W, max: 100 * W }), { nil: undefined }),
    breaker: fc.option(fc.record({ actions: fc.nat(10), tripped: fc.boolean() }), { nil: undefined }),
    tokens: fc.option(fc.double({ min: 0, max: 3, noNaN: true }), { nil: undefined }),
  })
  .map((s): GuardState => {
    const excluded = Object.fromEntries(s.excluded.map((k) => [k, true as const]));
    const key = targetKey('p', 't');
    return {
      control: {
        ...initialControlState(),
        killed: s.killed,
        paused: Object.fromEntries(s.paused.map((p) => [p, true as const])),
        excluded,
        excludedCount: s.excluded.length,
      },
      lastChange: s.lastChange === undefined ? {} : { [key]: s.lastChange },
      breakers: s.breaker === undefined ? {} : { [key]: s.breaker },
      buckets: Object.fromEntries(
        s.tokens === undefined ? [] : ['p', '*'].map((k) => [k, { tokens: s.tokens!, at: 100 * W }]),
      ),
    };
  });

const renewalArb: fc.Arbitrary<Candidate> = fc
  .record({
    policy: fc.constantFrom(...POLICIES),
    target: fc.constantFrom(...TARGETS),
    timeoutMs: fc.constantFrom(1, 1000, 10_000_000, Number.POSITIVE_INFINITY),
    streak: fc.nat(5),
  })
  .map((o) => cand({ ...o, action: 'renew', params: completeParams({ timeoutMs: o.timeoutMs }), evidence: [] }));

/** Counts and config at and past every cap, or well inside them. */
const contextArb = fc
  .record({
    cooldownWindows: fc.nat(4),
    minConsecutiveWindows: fc.integer({ min: 1, max: 6 }),
    maxActions: fc.integer({ min: 1, max: 5 }),
    maxActiveLeases: fc.integer({ min: 1, max: 5 }),
    leases: fc.nat(6),
    known: fc.nat(6),
    underAction: fc.nat(6),
    leaseExists: fc.boolean(),
    targetUnderAction: fc.boolean(),
    onViolation: fc.constantFrom('clamp' as const, 'block' as const),
  })
  .map((o) => (c: Candidate) => {
    const config = resolvePolicyGuardrails(
      defaultGuardrails(),
      {
        cooldownWindows: o.cooldownWindows,
        minConsecutiveWindows: o.minConsecutiveWindows,
        circuitBreaker: { maxActionsWithoutRecovery: o.maxActions },
        maxActiveLeases: o.maxActiveLeases,
        bounds: { onViolation: o.onViolation },
      },
      c.policy,
    );
    return ctx({
      config,
      knownTargets: o.known,
      targetsUnderAction: o.underAction,
      targetUnderAction: o.targetUnderAction,
      leaseExists: o.leaseExists,
      policyLeases: o.leases,
      totalLeases: o.leases,
      targetKey: targetKey(c.policy, c.target),
    });
  });

describe('RENEWAL_CHAIN', () => {
  it('gives a renewal the verdict and the guardrail state DEFAULT_CHAIN gives it', () => {
    fc.assert(
      fc.property(stateArb, renewalArb, contextArb, (state, c, ctxOf) => {
        const context = ctxOf(c);
        const full = checkChain(DEFAULT_CHAIN, state, c, context);
        const short = checkChain(RENEWAL_CHAIN, state, c, context);
        expect(short.verdict).toEqual(full.verdict);
        expect(applyPatch(state, short.patch)).toEqual(applyPatch(state, full.patch));
      }),
      { numRuns: 1000 },
    );
  });

  it('is the chain for renewals only: every other action takes the whole chain', () => {
    for (const action of ['set', 'relax', 'revert'] as const) expect(defaultChainFor(action)).toBe(DEFAULT_CHAIN);
    expect(defaultChainFor('renew')).toBe(RENEWAL_CHAIN);
  });
});
