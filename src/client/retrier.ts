/**
 * The retrier: runs a call with capped exponential backoff + jitter, a retry budget and
 * an overall deadline, under a policy that can be changed at runtime (by the service
 * owner, or by homeostat's `retry_policy.set` leases — see command.ts).
 *
 * Everything that touches time or chance is injected (clock, sleep, random), so a test
 * or a simulation drives it deterministically; the decisions themselves are the pure
 * functions of backoff.ts and budget.ts.
 */
import { HomeostatError, describeError } from '../errors';
import { initialBackoffState, nextBackoff } from './backoff';
import {
  createRetryBudgetState,
  depositRequest,
  reconfigureRetryBudget,
  retryBudgetBalance,
  tryWithdrawRetry,
  type RetryBudgetConfig,
  type RetryBudgetState,
} from './budget';
import {
  DEFAULT_RETRY_POLICY,
  RETRY_POLICY_FIELDS,
  checkRetryPolicy,
  mergeRetryPolicy,
  type RetryPolicy,
} from './policy';
import { createRandom, randomSeed, type RandomFn } from './random';

export interface Clock {
  /** Current time in ms (epoch or any monotonic origin; only differences matter). */
  now(): number;
}

export type Sleep = (ms: number) => Promise<void>;

export interface RetrierOptions {
  /** Default: Date.now. */
  clock?: Clock;
  /** Default: a setTimeout promise. */
  sleep?: Sleep;
  /** Default: xoshiro128** seeded from the OS, so that clients never share jitter. */
  random?: RandomFn;
  /**
   * Whether a failure may be retried. Default: `err.retriable` for a HomeostatError (so
   * programming, input and config errors are never retried), true for anything else.
   */
  isRetriable?: (err: unknown) => boolean;
}

export interface RunOptions {
  /** Time allowed for the whole call, retries and sleeps included, from when `run` starts (ms). */
  deadlineMs?: number;
  /** Absolute deadline on the retrier's clock (e.g. propagated from an upstream caller). The earlier of the two wins. */
  deadlineAt?: number;
  /** Overrides the retrier's `isRetriable` for this call. */
  isRetriable?: (err: unknown) => boolean;
}

export interface AttemptContext {
  /** 0 for the first try, 1 for the first retry, ... */
  attempt: number;
  /** The call's absolute deadline, if any: give your own I/O a timeout no later than this. */
  deadlineAt: number | undefined;
  /** ms left until the deadline (Infinity when there is none). */
  remainingMs: number;
}

export interface RetrierStats {
  /** `run` invocations (each deposits into the retry budget). */
  calls: number;
  attempts: number;
  retries: number;
  successes: number;
  /** Calls that ended in an error, by reason. */
  gaveUp: {
    nonRetriable: number;
    attemptsExhausted: number;
    budgetExhausted: number;
    deadline: number;
  };
  /** Retries the budget would allow right now. */
  budgetBalance: number;
  /** Expiry of the lease in force, if a leased policy is in force. */
  leaseExpiresAt: number | undefined;
  /** Leases that lapsed un-renewed and reverted by themselves. */
  leaseLapses: number;
}

export interface SetPolicyOptions {
  /**
   * Make the change a lease: it applies on top of the baseline policy until this time
   * (retrier clock, ms) and then reverts by itself. Without it the change is permanent:
   * it becomes the new baseline.
   */
  expiresAt?: number;
}

export interface Retrier {
  run<T>(fn: (attempt: number, context: AttemptContext) => Promise<T>, options?: RunOptions): Promise<T>;
  /** Merge `patch` into the policy (validated: throws ConfigError naming field, value and fix). Returns the policy now in force. */
  setPolicy(patch: Partial<RetryPolicy>, options?: SetPolicyOptions): Readonly<RetryPolicy>;
  /** Drop any lease: the baseline policy is in force again. Returns it. */
  revert(): Readonly<RetryPolicy>;
  /** The policy in force now (baseline, or baseline + lease). */
  policy(): Readonly<RetryPolicy>;
  /** The policy `revert` and lease lapses return to: the initial one, unless changed permanently. */
  baselinePolicy(): Readonly<RetryPolicy>;
  lease(): { expiresAt: number; patch: Readonly<Partial<RetryPolicy>> } | undefined;
  stats(): RetrierStats;
  /** The retrier's clock (commands check lease expiry on it). */
  now(): number;
}

interface Lease {
  patch: Readonly<Partial<RetryPolicy>>;
  expiresAt: number;
}

export function defaultIsRetriable(err: unknown): boolean {
  return err instanceof HomeostatError ? err.retriable : true;
}

const defaultSleep: Sleep = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function budgetConfig(p: Readonly<RetryPolicy>): RetryBudgetConfig {
  return { ratio: p.budgetRatio, floorPerSec: p.budgetFloorPerSec, ttlMs: p.budgetTtlMs };
}

/** Why calls gave up, and how often they ran: the figures behind stats(). */
interface Counters {
  calls: number;
  attempts: number;
  retries: number;
  successes: number;
  nonRetriable: number;
  attemptsExhausted: number;
  budgetExhausted: number;
  deadline: number;
  leaseLapses: number;
}

/** The policies in force and the budget they share: baseline, the lease over it, their merge. */
interface PolicyState {
  baseline: Readonly<RetryPolicy>;
  lease: Lease | undefined;
  effective: Readonly<RetryPolicy>;
  budget: RetryBudgetState;
}

/** Puts a baseline, lease and effective policy in force; the budget keeps its balance under the new settings. */
function install(
  ps: PolicyState,
  clock: Clock,
  nextBaseline: Readonly<RetryPolicy>,
  nextLease: Lease | undefined,
  nextEffective: Readonly<RetryPolicy>,
): void {
  ps.baseline = nextBaseline;
  ps.lease = nextLease;
  ps.effective = nextEffective;
  ps.budget = reconfigureRetryBudget(ps.budget, budgetConfig(ps.effective), clock.now());
}

/** Leases lapse on the clock, checked whenever the policy is read: no timers to leak. */
function refresh(ps: PolicyState, clock: Clock, counters: Counters): Readonly<RetryPolicy> {
  if (ps.lease !== undefined && clock.now() >= ps.lease.expiresAt) {
    counters.leaseLapses++;
    install(ps, clock, ps.baseline, undefined, ps.baseline);
  }
  return ps.effective;
}

/** setPolicy: a permanent change merges into the baseline; one with an expiry is a lease over it. */
function applyPatch(
  ps: PolicyState,
  clock: Clock,
  counters: Counters,
  patch: Partial<RetryPolicy>,
  opts: SetPolicyOptions,
): Readonly<RetryPolicy> {
  refresh(ps, clock, counters);
  const lease = ps.lease;
  if (opts.expiresAt === undefined) {
    const nextBaseline = checkRetryPolicy(mergeRetryPolicy(ps.baseline, patch));
    // The lease keeps overriding its own fields; the combination must still be valid.
    const nextEffective = lease ? checkRetryPolicy(mergeRetryPolicy(nextBaseline, lease.patch)) : nextBaseline;
    install(ps, clock, nextBaseline, lease, nextEffective);
    return ps.effective;
  }
  const expiresAt = opts.expiresAt;
  if (!Number.isFinite(expiresAt) || expiresAt <= clock.now()) {
    throw new HomeostatError(
      'USAGE',
      `setPolicy: expiresAt ${expiresAt} is not in the future (now ${clock.now()}); ` +
        'pass a later expiry, or omit it for a permanent change',
      { field: 'expiresAt' },
    );
  }
  // A renewal (a lease on top of a lease) accumulates: "set" merges into the policy in force.
  const leasePatch = Object.freeze({ ...(lease?.patch ?? {}), ...definedFields(patch) });
  const nextEffective = checkRetryPolicy(mergeRetryPolicy(ps.baseline, leasePatch));
  install(ps, clock, ps.baseline, { patch: leasePatch, expiresAt }, nextEffective);
  return ps.effective;
}

/** The error a call ends with when its deadline runs out (not retriable: the caller's time is gone). */
function timeoutError(clock: Clock, attempts: number, deadlineAt: number, cause: unknown): HomeostatError {
  const last = cause === undefined ? 'no attempt was made' : `last error: ${describeError(cause)}`;
  return new HomeostatError(
    'TIMEOUT',
    `retry deadline exhausted after ${attempts} attempt(s) (deadline at ${deadlineAt}, now ${clock.now()}); ${last}`,
    { cause, retriable: false },
  );
}

/** The counters as stats, with the budget's balance and the lease's expiry now. */
function statsOf(ps: PolicyState, clock: Clock, c: Counters): RetrierStats {
  return {
    calls: c.calls,
    attempts: c.attempts,
    retries: c.retries,
    successes: c.successes,
    gaveUp: {
      nonRetriable: c.nonRetriable,
      attemptsExhausted: c.attemptsExhausted,
      budgetExhausted: c.budgetExhausted,
      deadline: c.deadline,
    },
    budgetBalance: retryBudgetBalance(ps.budget, clock.now()),
    leaseExpiresAt: ps.lease?.expiresAt,
    leaseLapses: c.leaseLapses,
  };
}

export function createRetrier(initial: Partial<RetryPolicy> = {}, options: RetrierOptions = {}): Retrier {
  const clock: Clock = options.clock ?? { now: () => Date.now() };
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? createRandom(randomSeed());
  const isRetriableDefault = options.isRetriable ?? defaultIsRetriable;

  const baseline = checkRetryPolicy(mergeRetryPolicy(DEFAULT_RETRY_POLICY, initial));
  const ps: PolicyState = {
    baseline,
    lease: undefined,
    effective: baseline,
    budget: createRetryBudgetState(budgetConfig(baseline), clock.now()),
  };
  const counters: Counters = {
    calls: 0,
    attempts: 0,
    retries: 0,
    successes: 0,
    nonRetriable: 0,
    attemptsExhausted: 0,
    budgetExhausted: 0,
    deadline: 0,
    leaseLapses: 0,
  };

  async function run<T>(
    fn: (attempt: number, context: AttemptContext) => Promise<T>,
    runOptions: RunOptions = {},
  ): Promise<T> {
    const start = clock.now();
    const deadlineAt = resolveDeadline(start, runOptions);
    const isRetriable = runOptions.isRetriable ?? isRetriableDefault;
    let policy = refresh(ps, clock, counters);
    counters.calls++;
    ps.budget = depositRequest(ps.budget, start);
    if (deadlineAt !== undefined && start >= deadlineAt) {
      counters.deadline++;
      throw timeoutError(clock, 0, deadlineAt, undefined);
    }
    let backoffState = initialBackoffState(policy);
    for (let attempt = 0; ; attempt++) {
      counters.attempts++;
      if (attempt > 0) counters.retries++;
      try {
        const remainingMs = deadlineAt === undefined ? Infinity : deadlineAt - clock.now();
        const result = await fn(attempt, { attempt, deadlineAt, remainingMs });
        counters.successes++;
        return result;
      } catch (err) {
        policy = refresh(ps, clock, counters); // a policy set while this attempt ran applies to the next one
        if (!isRetriable(err)) {
          counters.nonRetriable++;
          throw err;
        }
        const now = clock.now();
        if (deadlineAt !== undefined && now >= deadlineAt) {
          counters.deadline++;
          throw timeoutError(clock, attempt + 1, deadlineAt, err);
        }
        if (attempt + 1 >= policy.maxAttempts) {
          counters.attemptsExhausted++;
          throw err;
        }
        const step = nextBackoff(backoffState, { params: policy, attempt }, random);
        backoffState = step.state;
        // Never sleep past the deadline: a retry that would start at or after it cannot
        // help the caller, so say so now instead of after a useless wait.
        if (deadlineAt !== undefined && now + step.delayMs >= deadlineAt) {
          counters.deadline++;
          throw timeoutError(clock, attempt + 1, deadlineAt, err);
        }
        const withdrawal = tryWithdrawRetry(ps.budget, now);
        ps.budget = withdrawal.state;
        if (!withdrawal.allowed) {
          counters.budgetExhausted++;
          throw err;
        }
        await sleep(step.delayMs);
      }
    }
  }

  return {
    run,
    setPolicy: (patch, opts = {}) => applyPatch(ps, clock, counters, patch, opts),
    revert() {
      refresh(ps, clock, counters);
      if (ps.lease !== undefined) install(ps, clock, ps.baseline, undefined, ps.baseline);
      return ps.effective;
    },
    policy: () => refresh(ps, clock, counters),
    baselinePolicy: () => ps.baseline,
    lease() {
      refresh(ps, clock, counters);
      return ps.lease === undefined ? undefined : { expiresAt: ps.lease.expiresAt, patch: ps.lease.patch };
    },
    stats() {
      refresh(ps, clock, counters);
      return statsOf(ps, clock, counters);
    },
    now: () => clock.now(),
  };
}

/** The policy fields `patch` actually sets (undefined values and stray keys dropped). */
function definedFields(patch: Partial<RetryPolicy>): Partial<RetryPolicy> {
  const out: Partial<RetryPolicy> = {};
  const copy = <K extends keyof RetryPolicy>(key: K): void => {
    const value = patch[key];
    if (value !== undefined) out[key] = value;
  };
  RETRY_POLICY_FIELDS.forEach(copy);
  return out;
}

function resolveDeadline(start: number, options: RunOptions): number | undefined {
  const { deadlineMs, deadlineAt } = options;
  if (deadlineMs !== undefined && !(Number.isFinite(deadlineMs) && deadlineMs >= 0)) {
    throw new HomeostatError(
      'USAGE',
      `run: deadlineMs is ${deadlineMs}; pass a finite number of ms ≥ 0, or omit it for no deadline`,
      {
        field: 'deadlineMs',
      },
    );
  }
  if (deadlineAt !== undefined && !Number.isFinite(deadlineAt)) {
    throw new HomeostatError(
      'USAGE',
      `run: deadlineAt is ${deadlineAt}; pass a finite time on the retrier's clock, or omit it`,
      {
        field: 'deadlineAt',
      },
    );
  }
  const candidates = [deadlineMs === undefined ? undefined : start + deadlineMs, deadlineAt].filter(
    (d): d is number => d !== undefined,
  );
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}
