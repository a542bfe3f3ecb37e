/**
 * Token-bucket rate limit on tightening actions (the classic token bucket; see e.g.
 * RFC 2697 for the two-parameter form), one bucket per policy plus one global bucket.
 * Refill runs on event time, so replay reproduces it exactly. Placed last in the chain,
 * so only actions that every other guardrail accepted spend a token. Reductions and
 * renewals never spend or need tokens.
 */
import type { Bucket, Guardrail, GuardState } from './types';
import { PASS } from './types';
import { ALL } from './control';

interface BucketConfig {
  burst: number;
  perWindow: number;
}

/** The bucket refilled up to `eventTime` (never backwards: out-of-order time refills nothing). */
export function refill(bucket: Bucket | undefined, cfg: BucketConfig, eventTime: number, windowMs: number): Bucket {
  if (bucket === undefined) return { tokens: cfg.burst, at: eventTime };
  const elapsed = Math.max(0, eventTime - bucket.at);
  const tokens = Math.min(cfg.burst, bucket.tokens + (windowMs > 0 ? (elapsed / windowMs) * cfg.perWindow : 0));
  return { tokens, at: Math.max(bucket.at, eventTime) };
}

function take(state: GuardState, key: string, cfg: BucketConfig, eventTime: number, windowMs: number): Bucket {
  const b = refill(state.buckets[key], cfg, eventTime, windowMs);
  return { tokens: b.tokens - 1, at: b.at };
}

export const rateLimit: Guardrail = {
  name: 'rate_limit',
  check: (state, c, ctx) => {
    if (c.action !== 'set') return PASS;
    const own = refill(state.buckets[c.policy], ctx.config.rateLimit, ctx.eventTime, ctx.windowMs);
    if (own.tokens < 1) {
      return {
        ok: false,
        reason:
          `policy rate limit: ${ctx.config.rateLimit.burst} actions burst, ` +
          `${ctx.config.rateLimit.perWindow} per window; no token left`,
      };
    }
    const global = refill(state.buckets[ALL], ctx.global.rateLimit, ctx.eventTime, ctx.windowMs);
    if (global.tokens < 1) {
      return {
        ok: false,
        reason:
          `global rate limit: ${ctx.global.rateLimit.burst} actions burst, ` +
          `${ctx.global.rateLimit.perWindow} per window; no token left`,
      };
    }
    return PASS;
  },
  commit: (state, c, ctx) => {
    if (c.action !== 'set') return null;
    return {
      buckets: {
        [c.policy]: take(state, c.policy, ctx.config.rateLimit, ctx.eventTime, ctx.windowMs),
        [ALL]: take(state, ALL, ctx.global.rateLimit, ctx.eventTime, ctx.windowMs),
      },
    };
  },
};
