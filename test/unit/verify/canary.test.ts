import fc from 'fast-check';
import { schemaType } from '../../../src/codec/schemas';
import { canaryEffect, createVerifier } from '../../../src/verify';
import type { Command } from '../../../src/model/command';
import { cmd, depth, drive } from './fixtures';

/**
 * Synthetic canary: `treated` workers get enforced cuts, `control` workers are the control
 * group (shadow commands). Every worker starts at its own depth; over the verification
 * window everyone drifts by `drift` (the load passing by itself) and treated workers move
 * by `effect` more. Per-target noise sums to zero within each group.
 */
function canaryRun(opts: { treated: number; control: number; drift: number; effect: number; noise?: number }) {
  const v = createVerifier();
  const workers = [
    ...Array.from({ length: opts.treated }, (_, k) => ({ name: `t${k}`, treated: true, k })),
    ...Array.from({ length: opts.control }, (_, k) => ({ name: `c${k}`, treated: false, k })),
  ];
  const base = (k: number) => 100 + 10 * k;
  const noise = (k: number) => (opts.noise ?? 0) * (k % 2 === 0 ? 1 : -1);
  const changeOf = (w: (typeof workers)[number]) => opts.drift + (w.treated ? opts.effect : 0) + noise(w.k);
  const commands: Command[] = workers.map((w) =>
    w.treated
      ? cmd({ target: w.name, i: 0, mode: 'canary', reason: '[canary group] overloaded' })
      : cmd({ target: w.name, i: 0, mode: 'shadow', reason: '[control group: not enforced] overloaded' }),
  );
  return drive(
    v,
    6,
    (i) => workers.map((w) => depth(w.name, i, i === 0 ? base(w.k) : base(w.k) * (1 + (changeOf(w) * i) / 5))),
    (i) => (i === 0 ? commands : []),
  );
}

describe('canary versus control (difference in differences)', () => {
  it('recovers a known effect under a common drift', () => {
    const r = canaryRun({ treated: 4, control: 12, drift: 0.1, effect: -0.4, noise: 0.05 });
    const treated = r.outcomes.filter((o) => o.mode === 'canary');
    expect(treated).toHaveLength(4);
    for (const o of treated) {
      expect(o.canaryEffect).not.toBeNull();
      expect(o.canaryEffect?.signal).toBe('queue.depth:mean');
      expect(o.canaryEffect?.controlTargets).toBe(12);
      expect(o.canaryEffect?.controlMean).toBeCloseTo(0.1, 9);
      expect(schemaType('outcome').isValid(o)).toBe(true);
    }
    const last = treated[treated.length - 1].canaryEffect;
    expect(last?.treatedTargets).toBe(4);
    expect(last?.effect).toBeCloseTo(-0.4, 9);
    expect(last?.treatedMean).toBeCloseTo(-0.3, 9);
  });

  it('is the exact difference of the group means for any drift and effect', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.double({ min: -0.4, max: 0.4, noNaN: true }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        (drift, effect, nt, nc) => {
          const r = canaryRun({ treated: nt * 2, control: nc * 2, drift, effect, noise: 0.03 });
          const treated = r.outcomes.filter((o) => o.mode === 'canary');
          const e = treated[treated.length - 1].canaryEffect;
          expect(e?.effect).toBeCloseTo(effect, 9);
          expect(e?.treatedTargets).toBe(nt * 2);
          expect(e?.controlTargets).toBe(nc * 2);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('control outcomes are emitted in mode shadow, never counted in the track record, and never reverted', () => {
    const r = canaryRun({ treated: 1, control: 2, drift: 0.5, effect: 0 });
    const control = r.outcomes.filter((o) => o.mode === 'shadow');
    expect(control).toHaveLength(2);
    expect(
      control.every(
        (o) => o.verdict === 'worsened' && o.canaryEffect === null && o.reason.startsWith('[control group'),
      ),
    ).toBe(true);
    expect(r.reverts.map((p) => p.target)).toEqual(['t0']);
    expect(r.reverts[0].mode).toBe('canary');
    const rec = r.state.records['timeouts\u001fv1'];
    expect(rec.actions).toBe(1);
    expect(rec.control).toHaveLength(2);
    // With controlOutcomes off, the control group still feeds the estimate but emits nothing.
    const quiet = createVerifier({ controlOutcomes: false });
    const q = drive(
      quiet,
      6,
      (i) => [depth('t', i, 100 * (1 - i / 10)), depth('c', i, 100)],
      (i) =>
        i === 0
          ? [
              cmd({ target: 't', i: 0, mode: 'canary' }),
              cmd({ target: 'c', i: 0, mode: 'shadow', reason: '[control group: not enforced] x' }),
            ]
          : [],
    );
    expect(q.outcomes.map((o) => o.target)).toEqual(['t']);
    expect(q.outcomes[0].canaryEffect?.effect).toBeCloseTo(-0.5, 9);
  });

  it('is null without control data, and outside canary mode', () => {
    const noControl = canaryRun({ treated: 3, control: 0, drift: 0, effect: -0.5 });
    expect(noControl.outcomes.every((o) => o.canaryEffect === null)).toBe(true);
    const v = createVerifier();
    const enforced = drive(
      v,
      6,
      (i) => [depth('t', i, 100 - i), depth('c', i, 100)],
      (i) =>
        i === 0
          ? [
              cmd({ target: 't', i: 0, mode: 'enforce' }),
              cmd({ target: 'c', i: 0, mode: 'shadow', reason: '[control group: not enforced] x' }),
            ]
          : [],
    );
    expect(enforced.outcomes.find((o) => o.mode === 'enforce')?.canaryEffect).toBeNull();
  });

  it('matches only observations of the same period and signal', () => {
    const obs = (target: string, issuedAt: number, change: number, signal = 's') => ({
      target,
      signal,
      issuedAt,
      change,
    });
    const r = {
      treated: [obs('t1', 1000, -0.5), obs('t2', 9000, 0.9)],
      control: [obs('c1', 1200, 0.1), obs('c2', 1500, 0.3), obs('c3', 20_000, 5), obs('c4', 1000, 7, 'other')],
    };
    const e = canaryEffect(r, 's', 1000, 1000);
    expect(e).toEqual({
      signal: 's',
      treatedMean: -0.5,
      controlMean: 0.2,
      effect: -0.7,
      treatedTargets: 1,
      controlTargets: 2,
    });
    expect(canaryEffect(r, 's', 50_000, 1000)).toBeNull();
  });
});
