import {
  canaryGroup,
  commandMode,
  decisionKind,
  defaultGuardrails,
  parseGuardrails,
  resolvePolicyGuardrails,
} from '../../../src/guardrails';
import { ConfigError } from '../../../src/errors';

describe('canary selection', () => {
  it('is deterministic per (policy, target) and close to the fraction', () => {
    const targets = Array.from({ length: 10_000 }, (_, i) => `worker-${i}`);
    for (const fraction of [0.05, 0.1, 0.5]) {
      const inCanary = targets.filter((t) => canaryGroup('at', t, fraction) === 'canary').length;
      // binomial sd at n=10000 is at most 50; allow ~4 sd
      expect(Math.abs(inCanary - fraction * targets.length)).toBeLessThan(200);
    }
    expect(targets.map((t) => canaryGroup('at', t, 0.1))).toEqual(targets.map((t) => canaryGroup('at', t, 0.1)));
    // a larger fraction only adds targets (nested groups: widening a canary never swaps members)
    for (const t of targets.slice(0, 2000))
      if (canaryGroup('at', t, 0.1) === 'canary') expect(canaryGroup('at', t, 0.3)).toBe('canary');
    // independent between policies
    const a = targets.filter((t) => canaryGroup('a', t, 0.5) === 'canary');
    const both = a.filter((t) => canaryGroup('b', t, 0.5) === 'canary').length;
    expect(Math.abs(both - 2500)).toBeLessThan(200);
  });

  it('maps mode and group to the command mode and decision kind', () => {
    expect(commandMode('canary', 'canary')).toBe('canary');
    expect(commandMode('canary', 'control')).toBe('shadow');
    expect(commandMode('enforce', null)).toBe('enforce');
    expect(decisionKind('shadow', null, 'set')).toBe('shadowed');
    expect(decisionKind('canary', 'control', 'revert')).toBe('control');
    expect(decisionKind('canary', 'canary', 'renew')).toBe('renewed');
    expect(decisionKind('enforce', null, 'revert')).toBe('reverted');
    expect(decisionKind('enforce', null, 'relax')).toBe('acted');
  });
});

describe('guardrails config', () => {
  it('defaults every key and lets a policy override any of them', () => {
    const g = defaultGuardrails();
    expect(g.blastRadius).toEqual({ fraction: 0.1, min: 1 });
    expect(g.lease).toEqual({ windows: 3, renewBeforeWindows: 1 });
    const p = resolvePolicyGuardrails(parseGuardrails({ cooldownWindows: 4 }), { rateLimit: { burst: 3 } }, 'x');
    expect(p.cooldownWindows).toBe(4);
    expect(p.rateLimit).toEqual({ burst: 3, perWindow: 2 });
    expect(p).not.toHaveProperty('global');
  });

  it('reports bad values with key, value and fix', () => {
    try {
      parseGuardrails({ bounds: { timeoutMs: { min: 500, max: 100 } }, blastRadius: { fraction: 0 }, extra: 1 });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues;
      expect(issues).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^guardrails\.bounds\.timeoutMs: got \{"min":500,"max":100\}: min \(500\) is above max \(100\); swap them/,
          ),
          expect.stringMatching(/^guardrails\.blastRadius\.fraction: got 0:/),
          expect.stringMatching(/^guardrails: unknown key\(s\) 'extra'/),
        ]),
      );
    }
  });
});
