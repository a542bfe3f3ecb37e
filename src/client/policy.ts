/**
 * The retry policy: what a client's retrier does, and what homeostat's
 * `retry_policy.set` commands tune at runtime. Defaults and bounds live here, next to
 * the one validator that every path (construction, setPolicy, commands) goes through.
 */
import { ConfigError } from '../errors';
import { JITTER_STRATEGIES, type JitterStrategy } from './backoff';

export interface RetryPolicy {
  /** Jitter strategy of the backoff (see backoff.ts for the formulas). */
  strategy: JitterStrategy;
  /** First backoff interval in ms; the exponential grows from it (and `decorrelated` never sleeps less). */
  baseMs: number;
  /** Upper bound on a single backoff sleep, in ms. */
  capMs: number;
  /** Total attempts per call, the first one included (1 = never retry). */
  maxAttempts: number;
  /** Share of recent requests that may be retried (retry budget; Finagle percentCanRetry). */
  budgetRatio: number;
  /** Retries per second always allowed on top of the ratio (Finagle minRetriesPerSec). */
  budgetFloorPerSec: number;
  /** Window over which requests and retries count toward the budget, in ms (Finagle ttl). */
  budgetTtlMs: number;
}

/**
 * Defaults, field by field:
 * - strategy `full`: Brooker's simulation (bench/backoff.ts reproduces it) shows full jitter
 *   doing the least work with competitive completion time.
 *   https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 * - baseMs 100: a few round trips of a typical in-region RPC; retrying much sooner hits the
 *   same transient fault, much later wastes the caller's deadline.
 * - capMs 20 000: the AWS SDKs' standard retry mode caps backoff at 20 s (MAX_BACKOFF),
 *   https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 * - maxAttempts 3: the AWS SDKs' standard-mode default (same page): one try, two retries.
 * - budgetRatio 0.2, budgetFloorPerSec 10, budgetTtlMs 10 000: Finagle's RetryBudget
 *   defaults, https://twitter.github.io/finagle/guide/Clients.html#retries
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  strategy: 'full',
  baseMs: 100,
  capMs: 20_000,
  maxAttempts: 3,
  budgetRatio: 0.2,
  budgetFloorPerSec: 10,
  budgetTtlMs: 10_000,
});

/**
 * Bounds a policy must respect. A delay over an hour or a hundred attempts is a unit or
 * typo mistake, not a policy. Ratio and ttl bounds are Finagle's (percentCanRetry ≤ 1000,
 * ttl in [1 s, 60 s]).
 */
export const RETRY_POLICY_BOUNDS = Object.freeze({
  maxDelayMs: 3_600_000,
  maxAttempts: 100,
  maxBudgetRatio: 1000,
  maxBudgetFloorPerSec: 1_000_000,
  minBudgetTtlMs: 1_000,
  maxBudgetTtlMs: 60_000,
});

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Every problem with `policy`, each naming the field, the value and the fix. Empty when valid. */
export function validateRetryPolicy(policy: RetryPolicy): string[] {
  const b = RETRY_POLICY_BOUNDS;
  const issues: string[] = [];
  const p = policy as unknown as Record<keyof RetryPolicy, unknown>;

  if (!JITTER_STRATEGIES.includes(p.strategy as JitterStrategy)) {
    issues.push(
      `strategy is ${show(p.strategy)}; use one of ${JITTER_STRATEGIES.join(', ')} (full is the usual choice)`,
    );
  }
  const baseOk = isFiniteNumber(p.baseMs) && p.baseMs > 0 && p.baseMs <= b.maxDelayMs;
  if (!baseOk) {
    issues.push(`baseMs is ${show(p.baseMs)}; it must be a number of ms > 0 and ≤ ${b.maxDelayMs}; set it to e.g. 100`);
  }
  if (!(isFiniteNumber(p.capMs) && p.capMs > 0 && p.capMs <= b.maxDelayMs)) {
    issues.push(`capMs is ${show(p.capMs)}; it must be a number of ms > 0 and ≤ ${b.maxDelayMs}; set it to e.g. 20000`);
  } else if (baseOk && p.capMs < (p.baseMs as number)) {
    issues.push(
      `capMs (${p.capMs}) is below baseMs (${show(p.baseMs)}); raise capMs to at least baseMs or lower baseMs`,
    );
  }
  if (!(
    Number.isInteger(p.maxAttempts) &&
    (p.maxAttempts as number) >= 1 &&
    (p.maxAttempts as number) <= b.maxAttempts
  )) {
    issues.push(
      `maxAttempts is ${show(p.maxAttempts)}; it must be an integer from 1 (no retries) to ${b.maxAttempts}; set it to e.g. 3`,
    );
  }
  if (!(isFiniteNumber(p.budgetRatio) && p.budgetRatio >= 0 && p.budgetRatio <= b.maxBudgetRatio)) {
    issues.push(
      `budgetRatio is ${show(p.budgetRatio)}; it must be a number from 0 to ${b.maxBudgetRatio} (share of requests that may be ` +
        `retried); set it to e.g. 0.2`,
    );
  }
  if (!(
    isFiniteNumber(p.budgetFloorPerSec) &&
    p.budgetFloorPerSec >= 0 &&
    p.budgetFloorPerSec <= b.maxBudgetFloorPerSec
  )) {
    issues.push(
      `budgetFloorPerSec is ${show(p.budgetFloorPerSec)}; it must be a number from 0 to ${b.maxBudgetFloorPerSec} (retries/s ` +
        `always allowed); set it to e.g. 10`,
    );
  }
  if (!(
    Number.isInteger(p.budgetTtlMs) &&
    (p.budgetTtlMs as number) >= b.minBudgetTtlMs &&
    (p.budgetTtlMs as number) <= b.maxBudgetTtlMs
  )) {
    issues.push(
      `budgetTtlMs is ${show(p.budgetTtlMs)}; it must be an integer number of ms from ${b.minBudgetTtlMs} to ` +
        `${b.maxBudgetTtlMs}; set it to e.g. 10000`,
    );
  }
  return issues;
}

/** Throws a ConfigError listing every issue; returns a frozen copy when valid. */
export function checkRetryPolicy(policy: RetryPolicy): Readonly<RetryPolicy> {
  const issues = validateRetryPolicy(policy);
  if (issues.length > 0) throw new ConfigError(issues.map((i) => `retry policy: ${i}`));
  return Object.freeze({ ...policy });
}

export const RETRY_POLICY_FIELDS: readonly (keyof RetryPolicy)[] = Object.freeze([
  'strategy',
  'baseMs',
  'capMs',
  'maxAttempts',
  'budgetRatio',
  'budgetFloorPerSec',
  'budgetTtlMs',
]);

/**
 * `patch` over `base`: a partial update. Fields whose value is undefined keep their value;
 * keys that are not policy fields are not copied (commands, which arrive untyped, reject
 * them before merging — see command.ts).
 */
export function mergeRetryPolicy(base: Readonly<RetryPolicy>, patch: Partial<RetryPolicy>): RetryPolicy {
  const merged: RetryPolicy = { ...base };
  const copy = <K extends keyof RetryPolicy>(key: K): void => {
    const value = patch[key];
    if (value !== undefined) merged[key] = value;
  };
  RETRY_POLICY_FIELDS.forEach(copy);
  return merged;
}
