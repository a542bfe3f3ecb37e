/** Determinism, snapshot/restore, and track-record arithmetic over random command and signal streams. */
import fc from 'fast-check';
import { createVerifier, median, successRate, type VerifierState } from '../../../src/verify';
import type { Command } from '../../../src/model/command';
import type { WindowSignal } from '../../../src/model/signal';
import { cmd, depth, drive, end } from './fixtures';

const WORKERS = ['w0', 'w1', 'w2', 'w3'];

/** A random scenario: per window, each worker's depth (or silence) and whether it gets a cut. */
const scenario = fc.record({
  windows: fc.integer({ min: 8, max: 30 }),
  depths: fc.array(
    fc.array(fc.option(fc.integer({ min: 0, max: 200 }), { nil: null, freq: 5 }), {
      minLength: WORKERS.length,
      maxLength: WORKERS.length,
    }),
    {
      minLength: 30,
      maxLength: 30,
    },
  ),
  cuts: fc.array(
    fc.array(
      fc.constantFrom<'none' | 'enforce' | 'canary' | 'control' | 'revert'>(
        'none',
        'none',
        'none',
        'enforce',
        'canary',
        'control',
        'revert',
      ),
      { minLength: WORKERS.length, maxLength: WORKERS.length },
    ),
    {
      minLength: 30,
      maxLength: 30,
    },
  ),
  maxPending: fc.integer({ min: 1, max: 6 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function signalsOf(s: Scenario) {
  return (i: number): WindowSignal[] =>
    WORKERS.flatMap((w, k) => {
      const d = s.depths[i][k];
      return d === null ? [] : [depth(w, i, d)];
    });
}

function commandsOf(s: Scenario) {
  return (i: number): Command[] =>
    WORKERS.flatMap((w, k): Command[] => {
      const c = s.cuts[i][k];
      const d = s.depths[i][k] ?? 60;
      const evidence = [{ signal: 'queue.depth:mean', value: d, threshold: 50, comparison: '>' as const }];
      if (c === 'enforce') return [cmd({ target: w, i, evidence })];
      if (c === 'canary')
        return [cmd({ target: w, i, evidence, mode: 'canary', reason: '[canary group] x', policy: 'canaried' })];
      if (c === 'control')
        return [
          cmd({
            target: w,
            i,
            evidence,
            mode: 'shadow',
            reason: '[control group: not enforced] x',
            policy: 'canaried',
          }),
        ];
      if (c === 'revert') return [cmd({ target: w, i, type: 'query_timeout.revert' })];
      return [];
    });
}

describe('determinism and snapshots', () => {
  it('the same inputs give the same outputs', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const a = drive(createVerifier({ maxPending: s.maxPending }), s.windows, signalsOf(s), commandsOf(s));
        const b = drive(createVerifier({ maxPending: s.maxPending }), s.windows, signalsOf(s), commandsOf(s));
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }),
      { numRuns: 60 },
    );
  });

  it('a JSON round trip of the state at any window gives the same later outputs', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), (s, cutSeed) => {
        const v = createVerifier({ maxPending: s.maxPending });
        const cut = 1 + (cutSeed % (s.windows - 1));
        const whole = drive(v, s.windows, signalsOf(s), commandsOf(s));
        const first = drive(v, cut, signalsOf(s), commandsOf(s));
        const restored = JSON.parse(JSON.stringify(first.state)) as VerifierState;
        const rest = drive(
          createVerifier({ maxPending: s.maxPending }),
          s.windows - cut,
          signalsOf(s),
          commandsOf(s),
          restored,
          cut,
        );
        expect(JSON.stringify([...first.outcomes, ...rest.outcomes])).toBe(JSON.stringify(whole.outcomes));
        expect(JSON.stringify([...first.reverts, ...rest.reverts])).toBe(JSON.stringify(whole.reverts));
        expect(JSON.stringify(rest.state)).toBe(JSON.stringify(whole.state));
      }),
      { numRuns: 60 },
    );
  });

  it('track records add up: one count per treated outcome, reverts = revert proposals, pending bounded', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const r = drive(createVerifier({ maxPending: s.maxPending }), s.windows, signalsOf(s), commandsOf(s));
        for (const rec of Object.values(r.state.records)) {
          const mine = r.outcomes.filter((o) => o.policy === rec.policy && o.mode !== 'shadow');
          expect(rec.actions).toBe(mine.length);
          for (const verdict of ['improved', 'worsened', 'unchanged', 'inconclusive'] as const) {
            expect(rec[verdict]).toBe(mine.filter((o) => o.verdict === verdict).length);
          }
          expect(rec.reverts).toBe(r.reverts.filter((p) => p.policy === rec.policy).length);
          const last = mine[mine.length - 1];
          if (last !== undefined) {
            expect(last.trackRecord.actions).toBe(rec.actions);
            expect(last.trackRecord.successRate).toBe(successRate(rec));
            const ttrs = mine
              .filter((o) => o.verdict === 'improved' && o.timeToRecoveryMs !== null)
              .map((o) => o.timeToRecoveryMs as number);
            expect(last.trackRecord.medianTimeToRecoveryMs).toBe(median(ttrs));
          }
        }
        expect(r.state.pending.length).toBeLessThanOrEqual(s.maxPending);
        // Every revert proposal comes from a worsened enforced outcome at the same event time.
        for (const p of r.reverts) {
          expect(
            r.outcomes.some(
              (o) => o.commandId === p.commandId && o.verdict === 'worsened' && o.eventTime === p.issuedAt,
            ),
          ).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('track record arithmetic', () => {
  it('counts verdicts, success rate over decided outcomes, median time to recovery and reverts', () => {
    const v = createVerifier();
    // Five workers cut at window 0; what their depth does next decides the verdict.
    const paths: Record<string, (i: number) => number | null> = {
      a: (i) => (i >= 1 ? 40 : 80), // improved, healthy after 1 window
      b: (i) => (i >= 3 ? 40 : 80), // improved, healthy after 3 windows
      c: (i) => (i >= 2 ? 30 : 80), // improved, healthy after 2 windows
      d: (i) => 80 + 10 * i, // worsened
      e: (i) => (i === 0 ? 80 : null), // inconclusive
      f: () => 82, // unchanged
    };
    const r = drive(
      v,
      6,
      (i) => Object.entries(paths).flatMap(([w, p]) => (p(i) === null ? [] : [depth(w, i, p(i) as number)])),
      (i) => (i === 0 ? Object.keys(paths).map((w) => cmd({ target: w, i: 0 })) : []),
    );
    expect(r.outcomes.map((o) => `${o.target}:${o.verdict}:${o.timeToRecoveryMs}`)).toEqual([
      `a:improved:${end(1) - end(0)}`,
      `b:improved:${end(3) - end(0)}`,
      `c:improved:${end(2) - end(0)}`,
      'd:worsened:null',
      'e:inconclusive:null',
      'f:unchanged:null',
    ]);
    // Each snapshot counts its own outcome.
    expect(r.outcomes.map((o) => o.trackRecord.actions)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.outcomes.map((o) => o.trackRecord.medianTimeToRecoveryMs)).toEqual([
      10_000, 20_000, 20_000, 20_000, 20_000, 20_000,
    ]);
    const final = r.outcomes[5].trackRecord;
    // 3 improved of 5 decided (the inconclusive one judges nothing).
    expect(final).toEqual({ actions: 6, successRate: 3 / 5, medianTimeToRecoveryMs: 20_000, reverts: 1 });
    const rec = r.state.records['timeouts\u001fv1'];
    expect([rec.improved, rec.worsened, rec.unchanged, rec.inconclusive]).toEqual([3, 1, 1, 1]);
  });

  it('the median is over a bounded reservoir of the latest recoveries', () => {
    const v = createVerifier({ recoveryReservoir: 2 });
    // Three sequential improved actions on one worker, recovering after 1, 3, then 3 windows.
    const recoverAt = [1, 3, 3];
    const r = drive(
      v,
      20,
      (i) => {
        const k = Math.floor(i / 6);
        const j = i % 6;
        return k < 3 ? [depth('w', i, j === 0 || j < recoverAt[k] ? 80 : 10)] : [];
      },
      (i) => (i % 6 === 0 && i < 18 ? [cmd({ target: 'w', i })] : []),
    );
    expect(r.outcomes.map((o) => o.timeToRecoveryMs)).toEqual([10_000, 30_000, 30_000]);
    expect(r.outcomes.map((o) => o.trackRecord.medianTimeToRecoveryMs)).toEqual([10_000, 20_000, 30_000]);
    expect(r.state.records['timeouts\u001fv1'].recoveries).toEqual([30_000, 30_000]);
  });
});
