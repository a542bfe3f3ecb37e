import fc from 'fast-check';
import { completeParams } from '../../../src/actions/params';
import {
  applyControl,
  blastRadius,
  blastRadiusLimit,
  bounds,
  circuitBreaker,
  cooldown,
  defaultGuardrails,
  DEFAULT_CHAIN,
  initialControlState,
  leaseCap,
  minWindows,
  rateLimit,
  refill,
  resolvePolicyGuardrails,
  runChain,
  targetKey,
  type ControlRecord,
  type GuardState,
  type GuardPatch,
  applyPatch,
} from '../../../src/guardrails';

import { W, cand, cfg, ctx } from './fixtures';
/** Applies a guardrail's commit or onBlocked patch (pure). */
const after = (s: GuardState, patch: GuardPatch | null): GuardState => applyPatch(s, patch ?? {});
const empty = (): GuardState => ({ control: initialControlState(), lastChange: {}, breakers: {}, buckets: {} });
/** Each record is issued after the previous one: the control plane applies only newer records. */
let issued = 0;
const control = (c: Partial<ControlRecord> & Pick<ControlRecord, 'kind'>): ControlRecord => ({
  policy: null,
  target: null,
  mode: null,
  issuedBy: 'me',
  issuedAt: ++issued,
  reason: '',
  ...c,
});

describe('individual guardrails', () => {
  it('min_windows blocks a set below the floor, never a reduction', () => {
    expect(minWindows.check(empty(), cand({ streak: 1 }), ctx()).ok).toBe(false);
    expect(minWindows.check(empty(), cand({ streak: 2 }), ctx()).ok).toBe(true);
    expect(minWindows.check(empty(), cand({ streak: 0, action: 'relax' }), ctx()).ok).toBe(true);
  });

  it('cooldown counts event time from the last change, for sets only', () => {
    const s = after(empty(), cooldown.commit!(empty(), cand(), ctx()));
    expect(cooldown.check(s, cand(), ctx({ eventTime: 101 * W })).ok).toBe(false);
    expect(cooldown.check(s, cand(), ctx({ eventTime: 102 * W })).ok).toBe(true);
    expect(cooldown.check(s, cand({ action: 'revert' }), ctx({ eventTime: 100 * W })).ok).toBe(true);
    expect(cooldown.commit!(s, cand({ action: 'renew' }), ctx({ eventTime: 150 * W }))).toBeNull();
  });

  it('the token bucket refills in event time and never beyond its burst', () => {
    const b = refill(undefined, { burst: 3, perWindow: 0.5 }, 0, W);
    expect(b).toEqual({ tokens: 3, at: 0 });
    expect(refill({ tokens: 0, at: 0 }, { burst: 3, perWindow: 0.5 }, 4 * W, W).tokens).toBe(2);
    expect(refill({ tokens: 0, at: 0 }, { burst: 3, perWindow: 0.5 }, 100 * W, W).tokens).toBe(3);
    expect(refill({ tokens: 1, at: 5 * W }, { burst: 3, perWindow: 0.5 }, 2 * W, W)).toEqual({ tokens: 1, at: 5 * W }); // time going back refills nothing
  });

  it('the rate limit spends one policy and one global token per set, and lets reductions through when empty', () => {
    const c = ctx();
    let s = empty();
    for (let i = 0; i < cfg.rateLimit.burst; i++) {
      expect(rateLimit.check(s, cand(), c).ok).toBe(true);
      s = after(s, rateLimit.commit!(s, cand(), c));
    }
    expect(rateLimit.check(s, cand(), c)).toMatchObject({ ok: false });
    expect(rateLimit.check(s, cand({ action: 'relax' }), c).ok).toBe(true);
    expect(s.buckets['*'].tokens).toBe(defaultGuardrails().global.rateLimit.burst - cfg.rateLimit.burst);
  });

  it('the blast radius is a fraction of known targets with a minimum, and re-acting is free', () => {
    expect(blastRadiusLimit(1000, 0.1, 1)).toBe(100);
    expect(blastRadiusLimit(5, 0.1, 1)).toBe(1);
    expect(blastRadius.check(empty(), cand(), ctx({ knownTargets: 100, targetsUnderAction: 10 })).ok).toBe(false);
    expect(blastRadius.check(empty(), cand(), ctx({ knownTargets: 100, targetsUnderAction: 9 })).ok).toBe(true);
    expect(
      blastRadius.check(empty(), cand(), ctx({ knownTargets: 100, targetsUnderAction: 10, targetUnderAction: true }))
        .ok,
    ).toBe(true);
  });

  it('the lease cap counts only new leases', () => {
    expect(leaseCap.check(empty(), cand(), ctx({ policyLeases: 1000 })).ok).toBe(false);
    expect(leaseCap.check(empty(), cand(), ctx({ policyLeases: 1000, leaseExists: true })).ok).toBe(true);
    expect(leaseCap.check(empty(), cand(), ctx({ totalLeases: 10_000 })).ok).toBe(false);
  });

  it('bounds clamp by default and say so; block when configured; always block non-finite values', () => {
    const r = bounds.check(empty(), cand({ params: completeParams({ timeoutMs: 1, quotaBytesPerSec: 10 }) }), ctx());
    expect(r.ok && r.candidate?.params.timeoutMs).toBe(10);
    expect(r.ok && r.candidate?.params.quotaBytesPerSec).toBe(1024);
    expect(r.ok && r.note).toMatch(
      /timeoutMs clamped 1 → 10 by bounds \[10, 600000\]; quotaBytesPerSec clamped 10 → 1024/,
    );
    const blocking = resolvePolicyGuardrails(defaultGuardrails(), { bounds: { onViolation: 'block' } }, 'p');
    expect(
      bounds.check(empty(), cand({ params: completeParams({ timeoutMs: 1 }) }), ctx({ config: blocking })).ok,
    ).toBe(false);
    expect(bounds.check(empty(), cand({ params: completeParams({ timeoutMs: NaN }) }), ctx()).ok).toBe(false);
    expect(bounds.check(empty(), cand({ params: completeParams({ retryMaxAttempts: 3 }) }), ctx())).toEqual({
      ok: true,
    });
  });

  it('bounds clamp a copy: the candidate given keeps its params (a refusal further on names the command it wanted)', () => {
    const wanted = cand({ params: completeParams({ timeoutMs: 1, quotaBytesPerSec: 10 }) });
    const before = JSON.stringify(wanted);
    const r = bounds.check(empty(), wanted, ctx());
    expect(r.ok && r.candidate?.params).toMatchObject({ timeoutMs: 10, quotaBytesPerSec: 1024 });
    expect(r.ok && r.candidate?.params).not.toBe(wanted.params);
    expect(r.ok && r.candidate?.params.extra).not.toBe(wanted.params.extra);
    expect(JSON.stringify(wanted)).toBe(before);
  });

  it('cooldown and the breaker read and write the slice of the key the caller made for the candidate', () => {
    const other = targetKey('p', 'u');
    const s = { ...empty(), lastChange: { [other]: 100 * W }, breakers: { [other]: { actions: 99, tripped: true } } };
    const u = cand({ target: 'u' });
    expect(cooldown.check(s, u, ctx({ targetKey: other })).ok).toBe(false);
    expect(circuitBreaker.check(s, u, ctx({ targetKey: other })).ok).toBe(false);
    expect(cooldown.commit!(s, u, ctx({ targetKey: other }))).toEqual({ lastChange: { [other]: 100 * W } });
    expect(circuitBreaker.commit!(s, cand({ target: 'u', action: 'relax' }), ctx({ targetKey: other }))).toEqual({
      breakers: { [other]: null },
    });
  });

  it('the circuit breaker escalates once after K sets without recovery, then blocks; a recovery resets it', () => {
    const k = cfg.circuitBreaker.maxActionsWithoutRecovery;
    let s = empty();
    for (let i = 0; i < k; i++) s = after(s, circuitBreaker.commit!(s, cand(), ctx()));
    const r = circuitBreaker.check(s, cand(), ctx());
    expect(r).toMatchObject({ ok: false, escalate: true });
    s = after(s, circuitBreaker.onBlocked!(s, cand(), ctx()));
    expect(circuitBreaker.check(s, cand(), ctx())).toMatchObject({ ok: false });
    expect(circuitBreaker.check(s, cand(), ctx())).not.toHaveProperty('escalate', true);
    expect(circuitBreaker.check(s, cand({ action: 'renew' }), ctx()).ok).toBe(true);
    s = after(s, circuitBreaker.commit!(s, cand({ action: 'relax' }), ctx()));
    expect(circuitBreaker.check(s, cand(), ctx()).ok).toBe(true);
  });
});

describe('the chain', () => {
  it('names the first guardrail that refuses and commits nothing for a refused action', () => {
    const s = empty();
    const r = runChain(DEFAULT_CHAIN, s, cand({ streak: 1 }), ctx());
    expect(r.verdict).toMatchObject({ ok: false, guardrail: 'min_windows' });
    expect(r.state).toBe(s);
    const ok = runChain(DEFAULT_CHAIN, s, cand(), ctx());
    expect(ok.verdict.ok).toBe(true);
    expect(ok.state.lastChange['p\u001ft']).toBe(100 * W);
    expect(ok.state.breakers['p\u001ft']).toEqual({ actions: 1, tripped: false });
    expect(ok.state.buckets.p.tokens).toBe(cfg.rateLimit.burst - 1);
  });

  it('kill, pause and exclusion stop everything, reductions and renewals included', () => {
    const actions = ['set', 'relax', 'revert', 'renew'] as const;
    const cases: [ControlRecord, string][] = [
      [control({ kind: 'kill' }), 'killed'],
      [control({ kind: 'pause', policy: 'p' }), 'paused'],
      [control({ kind: 'pause' }), 'paused'],
      [control({ kind: 'exclude', target: 't' }), 'excluded'],
      [control({ kind: 'exclude', policy: 'p', target: 't' }), 'excluded'],
    ];
    for (const [rec, name] of cases) {
      const s = { ...empty(), control: applyControl(initialControlState(), rec) };
      for (const a of actions)
        expect(runChain(DEFAULT_CHAIN, s, cand({ action: a }), ctx()).verdict).toMatchObject({
          ok: false,
          guardrail: name,
        });
    }
    const other = {
      ...empty(),
      control: applyControl(initialControlState(), control({ kind: 'exclude', policy: 'q', target: 't' })),
    };
    expect(runChain(DEFAULT_CHAIN, other, cand(), ctx()).verdict.ok).toBe(true);
  });

  it('other guardrails never stop a reduction (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('relax', 'revert', 'renew' as const),
        fc.nat(20),
        fc.nat(2000),
        fc.nat(2000),
        fc.boolean(),
        (action, streak, under, leasesN, tripped) => {
          const s: GuardState = {
            ...empty(),
            lastChange: { 'p\u001ft': 100 * W },
            breakers: { 'p\u001ft': { actions: 99, tripped } },
            buckets: { p: { tokens: 0, at: 100 * W }, '*': { tokens: 0, at: 100 * W } },
          };
          const r = runChain(
            DEFAULT_CHAIN,
            s,
            cand({ action, streak, params: completeParams({ timeoutMs: 1000 }) }),
            ctx({ targetsUnderAction: under, policyLeases: leasesN, totalLeases: 1e6 }),
          );
          expect(r.verdict.ok).toBe(true);
        },
      ),
    );
  });
});

describe('control state', () => {
  it('resume/include/unkill with null mean "all"; mode with null policy replaces per-policy modes', () => {
    let s = initialControlState();
    s = applyControl(s, control({ kind: 'pause', policy: 'a' }));
    s = applyControl(s, control({ kind: 'pause', policy: 'b' }));
    expect(applyControl(s, control({ kind: 'resume', policy: 'a' })).paused).toEqual({ b: true });
    expect(applyControl(s, control({ kind: 'resume' })).paused).toEqual({});
    s = applyControl(s, control({ kind: 'mode', policy: 'a', mode: 'enforce' }));
    expect(applyControl(s, control({ kind: 'mode', mode: 'shadow' })).modes).toEqual({ '*': 'shadow' });
    s = applyControl(s, control({ kind: 'exclude', policy: 'a', target: 'x' }));
    s = applyControl(s, control({ kind: 'exclude', target: 'x' }));
    s = applyControl(s, control({ kind: 'exclude', target: 'y' }));
    expect(Object.keys(applyControl(s, control({ kind: 'include', target: 'x' })).excluded)).toEqual(['*\u001fy']);
    expect(applyControl(applyControl(s, control({ kind: 'kill' })), control({ kind: 'unkill' })).killed).toBe(false);
    expect(() => applyControl(s, control({ kind: 'exclude', target: '*' }))).toThrow(/reserved/);
  });
});
