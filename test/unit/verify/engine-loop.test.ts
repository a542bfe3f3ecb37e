/**
 * The verifier behind the real decision engine (adaptive-timeout in canary mode), wired
 * as the decision stage will: per window end, engine → onCommand for each command →
 * onWindow with the same final signals. Checks the inferred command kinds against the
 * engine's own decisions.
 */
import { createDecisionEngine, createPolicy } from '../../../src/policies';
import { createVerifier } from '../../../src/verify';
import type { OutcomeRecord } from '../../../src/codec/records';
import type { Decision } from '../../../src/model/decision';
import { depth, end } from './fixtures';

const WORKERS = Array.from({ length: 40 }, (_, k) => `w${String(k).padStart(2, '0')}`);

describe('verifier behind the decision engine', () => {
  it('verifies canary and control cuts, skips renewals and relaxes, and sees the cut help', () => {
    const engine = createDecisionEngine({
      policies: [
        createPolicy({
          name: 'at',
          type: 'adaptive-timeout',
          mode: 'canary',
          canary: { fraction: 0.5 },
          parameters: {
            defaultTimeoutMs: 8000,
            high: { queueDepth: 50, inflight: null, latencyMs: null },
            low: { queueDepth: 10, inflight: null, latencyMs: null },
          },
          guardrails: { blastRadius: { fraction: 1 }, rateLimit: { burst: 1000, perWindow: 1000 } },
        }),
      ],
      guardrails: { global: { rateLimit: { burst: 1000, perWindow: 1000 } } },
      signing: null,
    });
    const verifier = createVerifier();
    // A tiny closed loop: every worker is overloaded (depth 100) until a cut reaches it;
    // a cut (canary group only: control commands are not enforced) drains it to 20, then 5.
    const cutAt = new Map<string, number>();
    const depthOf = (w: string, i: number) => {
      const c = cutAt.get(w);
      return c === undefined || i <= c ? 100 : i === c + 1 ? 20 : 5;
    };
    let es = engine.init();
    let vs = verifier.init();
    const outcomes: OutcomeRecord[] = [];
    const decisions: Decision[] = [];
    const verified = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const signals = WORKERS.map((w) => depth(w, i, depthOf(w, i)));
      const e = engine.onWindow(es, signals, end(i));
      es = e.state;
      decisions.push(...e.decisions);
      for (const c of e.commands) {
        const before = vs.pending.length;
        const r = verifier.onCommand(vs, c);
        vs = r.state;
        if (vs.pending.length > before) verified.add(c.id);
        if (c.mode === 'canary' && c.type === 'query_timeout.set' && !cutAt.has(c.target)) cutAt.set(c.target, i);
      }
      const r = verifier.onWindow(vs, signals, end(i));
      vs = r.state;
      outcomes.push(...r.outcomes);
      expect(r.reverts).toEqual([]);
    }
    const kindOf = new Map(decisions.filter((d) => d.commandId !== null).map((d) => [d.commandId as string, d.kind]));
    const renewed = [...kindOf].filter(([, k]) => k === 'renewed').map(([id]) => id);
    expect(renewed.length).toBeGreaterThan(0);
    expect(renewed.filter((id) => verified.has(id))).toEqual([]);
    for (const id of verified) expect(['acted', 'control']).toContain(kindOf.get(id));
    // Each canary worker got one tightening (verified), then relaxes on the way back (not verified).
    const acted = [...kindOf].filter(([, k]) => k === 'acted').map(([id]) => id);
    expect(acted.filter((id) => verified.has(id))).toHaveLength(cutAt.size);
    expect(acted.length).toBeGreaterThan(cutAt.size);

    const treated = outcomes.filter((o) => o.mode === 'canary');
    const control = outcomes.filter((o) => o.mode === 'shadow');
    expect(treated.length).toBeGreaterThan(0);
    expect(control.length).toBeGreaterThan(0);
    // The first cut of each canary worker drained it; later cuts (none here) would be judged alike.
    expect(new Set(treated.map((o) => o.verdict))).toEqual(new Set(['improved']));
    expect(treated.every((o) => o.timeToRecoveryMs === 10_000)).toBe(true);
    // Control workers were never helped: their depth did not move.
    expect(new Set(control.map((o) => o.verdict))).toEqual(new Set(['unchanged']));
    const effect = treated[treated.length - 1].canaryEffect;
    expect(effect?.effect).toBeCloseTo(-0.95, 9);
    expect(treated[treated.length - 1].trackRecord).toMatchObject({
      actions: treated.length,
      successRate: 1,
      reverts: 0,
      medianTimeToRecoveryMs: 10_000,
    });
  });
});
