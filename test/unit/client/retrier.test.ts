import fc from 'fast-check';
import { ConfigError, HomeostatError } from '../../../src/errors';
import {
  DEFAULT_RETRY_POLICY,
  createRandom,
  createRetrier,
  defaultIsRetriable,
  type RetryPolicy,
} from '../../../src/client';
import { createFakeTime } from './fake-time';

const transient = (): Error => new Error('connection reset');

/** A function failing `failures` times with `err`, then returning 'ok'. */
function flaky(
  failures: number,
  err: () => Error = transient,
): { fn: (attempt: number) => Promise<string>; seen: number[] } {
  const seen: number[] = [];
  return {
    seen,
    fn: (attempt) => {
      seen.push(attempt);
      return seen.length <= failures ? Promise.reject(err()) : Promise.resolve('ok');
    },
  };
}

const exact: Partial<RetryPolicy> = { strategy: 'none', baseMs: 10, capMs: 1_000, maxAttempts: 5 };

describe('createRetrier', () => {
  it('returns the first success and numbers attempts from 0', async () => {
    const time = createFakeTime();
    const r = createRetrier(exact, time);
    const call = flaky(2);
    await expect(r.run(call.fn)).resolves.toBe('ok');
    expect(call.seen).toEqual([0, 1, 2]);
    expect(time.sleeps).toEqual([10, 20]);
    expect(r.stats()).toMatchObject({ calls: 1, attempts: 3, retries: 2, successes: 1 });
  });

  it('gives up after maxAttempts with the last error, unchanged', async () => {
    const time = createFakeTime();
    const r = createRetrier(exact, time);
    let n = 0;
    const err = await r.run(() => Promise.reject(new Error(`fail ${n++}`))).catch((e: unknown) => e);
    expect((err as Error).message).toBe('fail 4');
    expect(time.sleeps).toEqual([10, 20, 40, 80]);
    expect(r.stats().gaveUp.attemptsExhausted).toBe(1);
  });

  it('never retries a non-retriable error', async () => {
    const time = createFakeTime();
    const r = createRetrier(exact, time);
    const programming = new HomeostatError('INVALID_STATE', 'bug', { retriable: false });
    const call = flaky(3, () => programming);
    await expect(r.run(call.fn)).rejects.toBe(programming);
    expect(call.seen).toEqual([0]);
    expect(time.sleeps).toEqual([]);
    expect(r.stats().gaveUp.nonRetriable).toBe(1);
  });

  it('retries a retriable HomeostatError, and a custom isRetriable decides per call', async () => {
    const time = createFakeTime();
    const r = createRetrier(exact, time);
    await expect(
      r.run(flaky(2, () => new HomeostatError('KAFKA', 'leader moved', { retriable: true })).fn),
    ).resolves.toBe('ok');
    const onlyResets = (e: unknown): boolean => e instanceof Error && e.message.includes('reset');
    const call = flaky(3, () => new Error('bad request'));
    await expect(r.run(call.fn, { isRetriable: onlyResets })).rejects.toThrow('bad request');
    expect(call.seen).toEqual([0]);
  });

  it('defaultIsRetriable: HomeostatError.retriable, otherwise true', () => {
    expect(defaultIsRetriable(new HomeostatError('KAFKA', 'x', { retriable: true }))).toBe(true);
    expect(defaultIsRetriable(new HomeostatError('USAGE', 'x'))).toBe(false);
    expect(defaultIsRetriable(new TypeError('x'))).toBe(true);
    expect(defaultIsRetriable('string thrown')).toBe(true);
  });

  it('never sleeps past the deadline, and times out with a typed, non-retriable error carrying the last cause', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<RetryPolicy['strategy']>('none', 'full', 'equal', 'decorrelated'),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        async (strategy, baseMs, maxAttempts, deadlineMs, latencies, seed) => {
          const time = createFakeTime();
          const r = createRetrier(
            { strategy, baseMs, capMs: baseMs * 16, maxAttempts, budgetFloorPerSec: 1000 },
            { ...time, random: createRandom(seed) },
          );
          const deadlineAt = time.now() + deadlineMs;
          const errors: Error[] = [];
          const outcome = await r
            .run(
              (attempt, ctx) => {
                // every attempt starts before the deadline (no sleep ran into it)
                expect(time.now()).toBeLessThan(deadlineAt);
                expect(ctx.deadlineAt).toBe(deadlineAt);
                expect(ctx.remainingMs).toBe(deadlineAt - time.now());
                time.advance(latencies[attempt % latencies.length]);
                const e = new Error(`attempt ${attempt}`);
                errors.push(e);
                return Promise.reject(e);
              },
              { deadlineMs },
            )
            .catch((e: unknown) => e);
          for (const s of time.sleeps) expect(s).toBeGreaterThanOrEqual(0);
          if (outcome instanceof HomeostatError) {
            expect(outcome.code).toBe('TIMEOUT');
            expect(outcome.retriable).toBe(false);
            expect(outcome.cause).toBe(errors[errors.length - 1]);
          } else {
            // otherwise attempts ran out before the deadline did
            expect(outcome).toBe(errors[errors.length - 1]);
            expect(errors).toHaveLength(maxAttempts);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('times out without trying when the deadline is already spent; the earlier of deadlineMs and deadlineAt wins', async () => {
    const time = createFakeTime();
    const r = createRetrier(exact, time);
    const call = flaky(0);
    const err = await r.run(call.fn, { deadlineMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HomeostatError);
    expect((err as HomeostatError).code).toBe('TIMEOUT');
    expect(call.seen).toEqual([]);

    // deadlineAt 25 ms away beats deadlineMs 10 s: sleeps of 10 then 20 would cross it
    const slow = flaky(5);
    const e2 = await r.run(slow.fn, { deadlineMs: 10_000, deadlineAt: time.now() + 25 }).catch((e: unknown) => e);
    expect((e2 as HomeostatError).code).toBe('TIMEOUT');
    expect((e2 as HomeostatError).message).toContain('connection reset');
    expect(slow.seen).toEqual([0, 1]);
  });

  it('rejects a nonsensical deadline with a USAGE error', async () => {
    const r = createRetrier(exact, createFakeTime());
    await expect(r.run(flaky(0).fn, { deadlineMs: -5 })).rejects.toMatchObject({ code: 'USAGE', field: 'deadlineMs' });
  });

  it('stops retrying when the retry budget is spent, leaving the error as it was', async () => {
    const time = createFakeTime();
    // floor 0, ratio 0.5: every two calls earn one retry
    const r = createRetrier({ ...exact, budgetFloorPerSec: 0, budgetRatio: 0.5 }, time);
    for (let i = 0; i < 10; i++) {
      await expect(r.run(() => Promise.reject(transient()))).rejects.toThrow('connection reset');
    }
    const s = r.stats();
    expect(s.calls).toBe(10);
    expect(s.retries).toBe(5);
    expect(s.gaveUp.budgetExhausted).toBe(10);
    expect(s.budgetBalance).toBe(0);
  });

  it('applies setPolicy to the next attempt of a call already running', async () => {
    const time = createFakeTime();
    const r = createRetrier(exact, time);
    const err = await r
      .run((attempt) => {
        if (attempt === 1) r.setPolicy({ baseMs: 100 });
        if (attempt === 2) r.setPolicy({ maxAttempts: 3 });
        return Promise.reject(transient());
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('connection reset');
    expect(time.sleeps).toEqual([10, 200]); // second sleep uses the new base: 100 * 2^1
    expect(r.stats().attempts).toBe(3);
  });

  it('validates setPolicy and leaves the policy untouched on error', () => {
    const r = createRetrier(exact, createFakeTime());
    const before = r.policy();
    expect(() => r.setPolicy({ capMs: 1 })).toThrow(ConfigError);
    expect(() => r.setPolicy({ capMs: 1 })).toThrow(/capMs \(1\) is below baseMs \(10\)/);
    expect(r.policy()).toEqual(before);
    expect(() => createRetrier({ maxAttempts: 0 })).toThrow(/maxAttempts is 0/);
  });

  it('fills unspecified fields from DEFAULT_RETRY_POLICY', () => {
    const r = createRetrier({ baseMs: 42 }, createFakeTime());
    expect(r.policy()).toEqual({ ...DEFAULT_RETRY_POLICY, baseMs: 42 });
  });

  it('a leased setPolicy reverts by itself when it lapses; a permanent one moves the baseline', () => {
    const time = createFakeTime();
    const r = createRetrier(exact, time);
    r.setPolicy({ baseMs: 50, maxAttempts: 2 }, { expiresAt: time.now() + 1_000 });
    expect(r.policy()).toMatchObject({ baseMs: 50, maxAttempts: 2 });
    r.setPolicy({ maxAttempts: 4, capMs: 900 }); // permanent: baseline moves, lease fields still win
    expect(r.policy()).toMatchObject({ baseMs: 50, maxAttempts: 2, capMs: 900 });
    time.advance(1_000);
    expect(r.policy()).toMatchObject({ baseMs: 10, maxAttempts: 4, capMs: 900 });
    expect(r.stats().leaseLapses).toBe(1);
    expect(r.lease()).toBeUndefined();
    expect(() => r.setPolicy({ baseMs: 20 }, { expiresAt: time.now() })).toThrow(/not in the future/);
  });

  it('a lease lapsing between attempts is seen by the next retry', async () => {
    const time = createFakeTime();
    const r = createRetrier(exact, time);
    r.setPolicy({ baseMs: 300 }, { expiresAt: time.now() + 100 });
    const call = flaky(2);
    await r.run(call.fn);
    expect(time.sleeps).toEqual([300, 20]); // first sleep under the lease, second after it lapsed
  });

  it('is deterministic given the same seed', async () => {
    const go = async (): Promise<number[]> => {
      const time = createFakeTime();
      const r = createRetrier({ strategy: 'decorrelated', maxAttempts: 8 }, { ...time, random: createRandom(5) });
      await r.run(flaky(7).fn);
      return time.sleeps;
    };
    expect(await go()).toEqual(await go());
  });
});
