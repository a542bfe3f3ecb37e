/**
 * Public surface of the client retry library: backoff with jitter, retry budget, deadline-
 * aware retrier tunable at runtime, and the seeded PRNG the rest of the project reuses for
 * deterministic simulation. Internals (budget slices, event queues) stay unexported.
 */
export { JITTER_STRATEGIES, exponentialMs, initialBackoffState, nextBackoff } from './backoff';
export type { BackoffInput, BackoffParams, BackoffState, JitterStrategy } from './backoff';

export {
  createRetryBudgetState,
  depositRequest,
  reconfigureRetryBudget,
  retryBudgetBalance,
  tryWithdrawRetry,
} from './budget';
export type { RetryBudgetConfig, RetryBudgetState } from './budget';

export {
  DEFAULT_RETRY_POLICY,
  RETRY_POLICY_BOUNDS,
  RETRY_POLICY_FIELDS,
  checkRetryPolicy,
  mergeRetryPolicy,
  validateRetryPolicy,
} from './policy';
export type { RetryPolicy } from './policy';

export { createRetrier, defaultIsRetriable } from './retrier';
export type {
  AttemptContext,
  Clock,
  Retrier,
  RetrierOptions,
  RetrierStats,
  RunOptions,
  SetPolicyOptions,
  Sleep,
} from './retrier';

export { RETRY_POLICY_REVERT, RETRY_POLICY_SET, applyRetryPolicyCommand } from './command';
export type { RetryPolicyCommand, RetryPolicyCommandParams, RetryPolicyCommandResult } from './command';

export { createRandom, deriveSeed, mulberry32, normal, randomSeed, uniform, uniformInt, xoshiro128ss } from './random';
export type { RandomFn } from './random';
