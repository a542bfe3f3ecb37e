/**
 * Retry budget: a token bucket that lets a client retry a share of its recent requests
 * plus a small floor per second — pure, with time passed in.
 *
 * Why a budget and not only `maxAttempts`: with N layers each retrying 3 times, one
 * failure at the bottom becomes 3^N requests; a budget bounds the *extra* load retries
 * add (by default to ~20 % of traffic) no matter how many requests fail. This is Finagle's
 * RetryBudget (https://twitter.github.io/finagle/guide/Clients.html#retries; defaults
 * ttl 10 s, percentCanRetry 0.2, minRetriesPerSec 10) and the idea behind Envoy's
 * retry budgets (https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/circuit_breaker.proto,
 * `retry_budget.budget_percent`, which bounds concurrent retries instead of a rate).
 *
 * Mechanics, as in Finagle's TokenRetryBudget over a leaky TokenBucket:
 * - every request deposits ratio × SCALE tokens and every retry withdraws SCALE, so a
 *   retry is allowed for `ratio` of the requests (integer tokens keep the sums exact; the
 *   ratio's resolution is 1/SCALE). Finagle prices it the other way round (deposit SCALE,
 *   withdraw SCALE / ratio); pricing the deposit keeps a token worth one retry under every
 *   ratio, so a ratio changed at runtime never re-prices credit already earned;
 * - deposits *and* withdrawals expire after about `ttlMs` (a ring of SLICES time slices,
 *   like Finagle's WindowedAdder: an entry lapses between 0.9 and 1.0 × ttl after it was made);
 * - a constant reserve of `floorPerSec × ttl` retries is always added to the balance, so a
 *   client that has just started, or sends little traffic, can still retry a little.
 * Within one ttl window the client may therefore retry floorPerSec × ttlSec + ratio × requests times.
 */

export interface RetryBudgetConfig {
  /** Share of requests that may be retried (Finagle percentCanRetry), 0..1000. */
  ratio: number;
  /** Retries always allowed per second on top of the ratio (Finagle minRetriesPerSec). */
  floorPerSec: number;
  /** How long deposits and withdrawals count, in ms (Finagle ttl, 1..60 s). */
  ttlMs: number;
}

export interface RetryBudgetState {
  readonly config: RetryBudgetConfig;
  /** Net tokens (deposits − withdrawals) per time slice; a ring indexed from `head`. */
  readonly slices: readonly number[];
  readonly head: number;
  /** Start of the `head` slice, in the caller's clock (ms). */
  readonly headStart: number;
}

/** Finagle's ScaleFactor: tokens per retry, so ratios like 0.2 or 2.5 give integer deposits. */
const SCALE = 1000;
/** Finagle's WindowedAdder uses 10 slices for the TokenBucket window. */
const SLICES = 10;

function depositAmount(config: RetryBudgetConfig): number {
  return Math.round(config.ratio * SCALE);
}

/** The floor, as tokens always present: floorPerSec × ttl seconds retries' worth. */
function reserve(config: RetryBudgetConfig): number {
  return Math.floor(config.floorPerSec * (config.ttlMs / 1000) * SCALE);
}

export function createRetryBudgetState(config: RetryBudgetConfig, now: number): RetryBudgetState {
  return { config: { ...config }, slices: new Array<number>(SLICES).fill(0), head: 0, headStart: now };
}

/** Expire the slices that have aged out by `now`. A clock that steps back changes nothing. */
function advance(state: RetryBudgetState, now: number): RetryBudgetState {
  const sliceMs = state.config.ttlMs / SLICES;
  const elapsed = Math.floor((now - state.headStart) / sliceMs);
  if (!(elapsed > 0)) return state;
  const slices = [...state.slices];
  let head = state.head;
  const steps = Math.min(elapsed, SLICES);
  for (let i = 0; i < steps; i++) {
    head = (head + 1) % SLICES;
    slices[head] = 0;
  }
  return { config: state.config, slices, head, headStart: state.headStart + elapsed * sliceMs };
}

function addToHead(state: RetryBudgetState, amount: number): RetryBudgetState {
  const slices = [...state.slices];
  slices[state.head] += amount;
  return { ...state, slices };
}

function tokens(state: RetryBudgetState): number {
  let sum = reserve(state.config);
  for (const s of state.slices) sum += s;
  return sum;
}

/** Record one (first-attempt) request: it earns `ratio` of a retry for about ttl. */
export function depositRequest(state: RetryBudgetState, now: number): RetryBudgetState {
  const advanced = advance(state, now);
  const deposit = depositAmount(advanced.config);
  return deposit === 0 ? advanced : addToHead(advanced, deposit);
}

/** Take one retry from the budget if the balance allows it; otherwise leave it untouched. */
export function tryWithdrawRetry(state: RetryBudgetState, now: number): { state: RetryBudgetState; allowed: boolean } {
  const advanced = advance(state, now);
  if (tokens(advanced) < SCALE) return { state: advanced, allowed: false };
  return { state: addToHead(advanced, -SCALE), allowed: true };
}

/** Whole retries the budget would allow right now. */
export function retryBudgetBalance(state: RetryBudgetState, now: number): number {
  const advanced = advance(state, now);
  return Math.max(0, Math.floor(tokens(advanced) / SCALE));
}

/**
 * Apply a new config at runtime without forgetting recent history. A token is worth one
 * retry under any ratio, so slices carry over as they are; when the ttl changes the slice
 * width changes too, so the net of the old window is carried into the current slice (it
 * then lapses one new ttl from now — conservative in both directions, and never a fresh
 * full bucket that would let a storm through just because a command arrived).
 */
export function reconfigureRetryBudget(
  state: RetryBudgetState,
  config: RetryBudgetConfig,
  now: number,
): RetryBudgetState {
  const advanced = advance(state, now);
  if (config.ttlMs === advanced.config.ttlMs) return { ...advanced, config: { ...config } };
  const net = advanced.slices.reduce((a, b) => a + b, 0);
  return addToHead(createRetryBudgetState(config, now), net);
}
