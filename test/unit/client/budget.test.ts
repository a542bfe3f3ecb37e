import fc from 'fast-check';
import {
  createRetryBudgetState,
  depositRequest,
  reconfigureRetryBudget,
  retryBudgetBalance,
  tryWithdrawRetry,
  type RetryBudgetConfig,
  type RetryBudgetState,
} from '../../../src/client';

/** Withdraw until refused; returns how many retries were allowed and the final state. */
function drain(state: RetryBudgetState, now: number): { allowed: number; state: RetryBudgetState } {
  let allowed = 0;
  for (;;) {
    const r = tryWithdrawRetry(state, now);
    state = r.state;
    if (!r.allowed) return { allowed, state };
    allowed++;
    if (allowed > 1e6) throw new Error('budget never refused');
  }
}

function depositMany(state: RetryBudgetState, n: number, now: number): RetryBudgetState {
  for (let i = 0; i < n; i++) state = depositRequest(state, now);
  return state;
}

describe('retry budget (Finagle RetryBudget)', () => {
  it('allows floor × ttl + ratio × requests retries within a window, and refuses the next one', () => {
    // ratios as exact fractions so the expected count needs no floating point
    const ratioArb = fc.constantFrom<[number, number]>([0, 1], [1, 10], [1, 5], [1, 4], [1, 2], [1, 1], [5, 2]);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 60 }),
        ratioArb,
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 0, max: 1e9 }),
        (floorPerSec, ttlSec, [num, den], requests, t0) => {
          const config: RetryBudgetConfig = { ratio: num / den, floorPerSec, ttlMs: ttlSec * 1000 };
          const state = depositMany(createRetryBudgetState(config, t0), requests, t0);
          const expected = floorPerSec * ttlSec + Math.floor((requests * num) / den);
          expect(retryBudgetBalance(state, t0)).toBe(expected);
          const { allowed, state: after } = drain(state, t0);
          expect(allowed).toBe(expected);
          expect(tryWithdrawRetry(after, t0).allowed).toBe(false);
        },
      ),
    );
  });

  it('a refused withdrawal leaves the balance untouched', () => {
    const config: RetryBudgetConfig = { ratio: 0.5, floorPerSec: 0, ttlMs: 10_000 };
    const state = depositRequest(createRetryBudgetState(config, 0), 0); // half a retry
    const r = tryWithdrawRetry(state, 0);
    expect(r.allowed).toBe(false);
    const r2 = tryWithdrawRetry(depositRequest(r.state, 0), 0); // the second half completes one retry
    expect(r2.allowed).toBe(true);
  });

  it('deposits expire after about ttl (between 0.9 and 1.0 × ttl, ten slices)', () => {
    const config: RetryBudgetConfig = { ratio: 0.2, floorPerSec: 0, ttlMs: 10_000 };
    const state = depositMany(createRetryBudgetState(config, 0), 100, 0);
    expect(retryBudgetBalance(state, 0)).toBe(20);
    expect(retryBudgetBalance(state, 8_999)).toBe(20);
    expect(retryBudgetBalance(state, 10_000)).toBe(0);
  });

  it('withdrawals expire too, so the floor refills every ttl', () => {
    const config: RetryBudgetConfig = { ratio: 0, floorPerSec: 2, ttlMs: 1_000 };
    const first = drain(createRetryBudgetState(config, 0), 0);
    expect(first.allowed).toBe(2);
    expect(drain(first.state, 500).allowed).toBe(0);
    expect(drain(first.state, 1_000).allowed).toBe(2);
  });

  it('long-run retry rate under steady load is about floor + ratio × request rate', () => {
    // 100 requests/s for 120 s, each followed by a retry attempt: allowed ≈ (10 + 0.2 × 100)/s.
    const config: RetryBudgetConfig = { ratio: 0.2, floorPerSec: 10, ttlMs: 10_000 };
    let state = createRetryBudgetState(config, 0);
    let allowed = 0;
    for (let t = 0; t < 120_000; t += 10) {
      state = depositRequest(state, t);
      const r = tryWithdrawRetry(state, t);
      state = r.state;
      if (r.allowed) allowed++;
    }
    const rate = allowed / 120;
    // Expiry happens between 0.9 and 1.0 ttl, so the rate may exceed 30/s by up to 1/0.9.
    expect(rate).toBeGreaterThanOrEqual(30);
    expect(rate).toBeLessThanOrEqual(30 / 0.9 + 0.5);
  });

  it('a clock that steps back neither expires nor refills anything', () => {
    const config: RetryBudgetConfig = { ratio: 1, floorPerSec: 0, ttlMs: 1_000 };
    const state = depositMany(createRetryBudgetState(config, 10_000), 3, 10_000);
    expect(retryBudgetBalance(state, 5_000)).toBe(3);
  });

  it('reconfiguring keeps earned credit: a ratio change does not re-price past requests', () => {
    const state = depositMany(createRetryBudgetState({ ratio: 0.2, floorPerSec: 0, ttlMs: 10_000 }, 0), 50, 0);
    const raised = reconfigureRetryBudget(state, { ratio: 1, floorPerSec: 0, ttlMs: 10_000 }, 0);
    expect(retryBudgetBalance(raised, 0)).toBe(10);
    expect(retryBudgetBalance(depositMany(raised, 5, 0), 0)).toBe(15);
  });

  it('reconfiguring the ttl carries the net balance over instead of refilling the bucket', () => {
    const config: RetryBudgetConfig = { ratio: 0, floorPerSec: 1, ttlMs: 10_000 };
    const spent = drain(createRetryBudgetState(config, 0), 0).state; // 10 retries taken
    const shorter = reconfigureRetryBudget(spent, { ratio: 0, floorPerSec: 1, ttlMs: 5_000 }, 100);
    // new reserve is 5, but the 10 recent withdrawals still count: nothing to spend
    expect(retryBudgetBalance(shorter, 100)).toBe(0);
    expect(retryBudgetBalance(shorter, 100 + 5_000)).toBe(5);
  });
});
