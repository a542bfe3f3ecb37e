import fc from 'fast-check';
import {
  createRandom,
  initialBackoffState,
  nextBackoff,
  type BackoffParams,
  type JitterStrategy,
} from '../../../src/client';

const strategyArb = fc.constantFrom<JitterStrategy>('none', 'full', 'equal', 'decorrelated');
/** base in (0, 10 s], cap ≥ base. */
const paramsArb = (strategy: fc.Arbitrary<JitterStrategy>): fc.Arbitrary<BackoffParams> =>
  fc
    .record({
      strategy,
      baseMs: fc.double({ min: 0.001, max: 10_000, noNaN: true }),
      extra: fc.double({ min: 0, max: 100_000, noNaN: true }),
    })
    .map(({ strategy: s, baseMs, extra }) => ({ strategy: s, baseMs, capMs: baseMs + extra }));

/** The blog's exponential ceiling, written out independently of the implementation. */
const ceiling = (p: BackoffParams, attempt: number): number => Math.min(p.capMs, p.baseMs * Math.pow(2, attempt));

/** Run a whole retry sequence (as the retrier does), returning every delay. */
function delays(p: BackoffParams, attempts: number, seed: number): number[] {
  const random = createRandom(seed);
  let state = initialBackoffState(p);
  const out: number[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    const step = nextBackoff(state, { params: p, attempt }, random);
    state = step.state;
    out.push(step.delayMs);
  }
  return out;
}

describe('backoff formulas (Brooker 2015)', () => {
  it('every delay of every attempt stays within its strategy bounds', () => {
    fc.assert(
      fc.property(paramsArb(strategyArb), fc.integer({ min: 1, max: 80 }), fc.nat(), (p, attempts, seed) => {
        delays(p, attempts, seed).forEach((d, attempt) => {
          const v = ceiling(p, attempt);
          expect(Number.isFinite(d)).toBe(true);
          expect(d).toBeLessThanOrEqual(p.capMs);
          switch (p.strategy) {
            case 'none':
              expect(d).toBe(v);
              break;
            case 'full':
              expect(d).toBeGreaterThanOrEqual(0);
              expect(d).toBeLessThanOrEqual(v);
              break;
            case 'equal':
              expect(d).toBeGreaterThanOrEqual(v / 2);
              expect(d).toBeLessThanOrEqual(v);
              break;
            case 'decorrelated':
              expect(d).toBeGreaterThanOrEqual(p.baseMs);
              break;
          }
        });
      }),
    );
  });

  it('decorrelated stays in [base, cap] and never exceeds 3x the previous sleep', () => {
    fc.assert(
      fc.property(paramsArb(fc.constant('decorrelated')), fc.nat(), (p, seed) => {
        let prev = p.baseMs;
        for (const d of delays(p, 60, seed)) {
          expect(d).toBeGreaterThanOrEqual(p.baseMs);
          expect(d).toBeLessThanOrEqual(p.capMs);
          expect(d).toBeLessThanOrEqual(Math.max(prev * 3, p.baseMs));
          prev = d;
        }
      }),
    );
  });

  it('decorrelated stays in [base, cap] when base is raised mid-sequence (runtime policy change)', () => {
    const random = createRandom(3);
    const low: BackoffParams = { strategy: 'decorrelated', baseMs: 1, capMs: 10_000 };
    const high: BackoffParams = { strategy: 'decorrelated', baseMs: 500, capMs: 10_000 };
    let state = nextBackoff(initialBackoffState(low), { params: low, attempt: 0 }, random).state;
    for (let attempt = 1; attempt < 200; attempt++) {
      const step = nextBackoff(state, { params: high, attempt }, random);
      expect(step.delayMs).toBeGreaterThanOrEqual(500);
      expect(step.delayMs).toBeLessThanOrEqual(10_000);
      state = step.state;
    }
  });

  it('plain exponential doubles until the cap', () => {
    expect(delays({ strategy: 'none', baseMs: 5, capMs: 100 }, 7, 1)).toEqual([5, 10, 20, 40, 80, 100, 100]);
  });

  it('full jitter averages half the exponential; equal jitter three quarters', () => {
    const n = 20_000;
    for (const attempt of [0, 3, 6]) {
      const mean = (strategy: JitterStrategy): number => {
        const random = createRandom(attempt + 100);
        const p: BackoffParams = { strategy, baseMs: 10, capMs: 1_000 };
        let sum = 0;
        for (let i = 0; i < n; i++) sum += nextBackoff(initialBackoffState(p), { params: p, attempt }, random).delayMs;
        return sum / n;
      };
      const v = Math.min(1_000, 10 * 2 ** attempt);
      // Standard error of the mean of U(0, v) over n draws is v/sqrt(12n) ≈ 0.002 v: 5 % is > 20 SE.
      expect(Math.abs(mean('full') - v / 2)).toBeLessThan(0.05 * (v / 2));
      expect(Math.abs(mean('equal') - (3 * v) / 4)).toBeLessThan(0.05 * ((3 * v) / 4));
    }
  });

  it('is deterministic for a given seed and consumes no randomness for none', () => {
    const p: BackoffParams = { strategy: 'full', baseMs: 100, capMs: 20_000 };
    expect(delays(p, 10, 9)).toEqual(delays(p, 10, 9));
    expect(delays(p, 10, 9)).not.toEqual(delays(p, 10, 10));
    let calls = 0;
    const counting = (): number => {
      calls++;
      return 0.5;
    };
    nextBackoff({ prevMs: 1 }, { params: { strategy: 'none', baseMs: 1, capMs: 10 }, attempt: 2 }, counting);
    expect(calls).toBe(0);
  });

  it('huge attempt numbers are capped, not Infinity or NaN', () => {
    for (const strategy of ['none', 'full', 'equal'] as const) {
      const p: BackoffParams = { strategy, baseMs: 100, capMs: 20_000 };
      const { delayMs } = nextBackoff(initialBackoffState(p), { params: p, attempt: 5000 }, () => 0.999);
      expect(delayMs).toBeGreaterThan(19_000);
      expect(delayMs).toBeLessThanOrEqual(20_000);
    }
  });
});
