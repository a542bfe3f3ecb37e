/**
 * The guardrail chain. Order matters twice: the first refusal is the one named in the
 * decision, and only actions that pass everything are committed (spend a token, start a
 * cooldown, count toward the breaker). Control-plane stops come first (they are the
 * operator's word), then the cheap per-target checks, then the budgets, with the rate
 * limit last so that it is spent only on actions that really happen.
 */
import { killSwitch, pause, exclusion } from './control';
import { minWindows } from './min-windows';
import { cooldown } from './cooldown';
import { circuitBreaker } from './circuit-breaker';
import { bounds } from './bounds';
import { leaseCap } from './lease-cap';
import { blastRadius } from './blast-radius';
import { rateLimit } from './rate-limit';
import type { Candidate, GuardContext, Guardrail, GuardPatch, GuardState, Verdict } from './types';
import { applyPatch, mergePatches } from './types';

export const DEFAULT_CHAIN: readonly Guardrail[] = [
  killSwitch,
  pause,
  exclusion,
  minWindows,
  cooldown,
  circuitBreaker,
  bounds,
  leaseCap,
  blastRadius,
  rateLimit,
];

/**
 * Runs `candidate` through `chain` without changing anything: the verdict and the patch
 * that records it (the refusing guardrail's onBlocked, or every guardrail's commit).
 */
export function checkChain(
  chain: readonly Guardrail[],
  state: GuardState,
  candidate: Candidate,
  ctx: GuardContext,
): { verdict: Verdict; patch: GuardPatch } {
  let current = candidate;
  const notes: string[] = [];
  for (const g of chain) {
    const r = g.check(state, current, ctx);
    if (!r.ok) {
      const patch = mergePatches([g.onBlocked ? g.onBlocked(state, current, ctx) : null]);
      return { patch, verdict: { ok: false, guardrail: g.name, reason: r.reason, escalate: r.escalate === true } };
    }
    if (r.candidate) current = r.candidate;
    if (r.note) notes.push(r.note);
  }
  return { patch: commitPatch(chain, state, current, ctx), verdict: { ok: true, candidate: current, notes } };
}

const NO_PATCH: GuardPatch = Object.freeze({});

/**
 * Every guardrail's commit of a passed candidate, merged. Most commits are null (a renewal
 * commits nothing), so the merge — three fresh records a candidate — is made only when two
 * patches meet: the arbiter judges tens of thousands of candidates a window. Patches are
 * read, never changed, by their callers.
 */
function commitPatch(chain: readonly Guardrail[], state: GuardState, c: Candidate, ctx: GuardContext): GuardPatch {
  let only: GuardPatch | null = null;
  let all: GuardPatch[] | null = null;
  for (const g of chain) {
    const p = g.commit ? g.commit(state, c, ctx) : null;
    if (p === null) continue;
    if (only === null) only = p;
    else (all ??= [only]).push(p);
  }
  return all !== null ? mergePatches(all) : (only ?? NO_PATCH);
}

/** Runs `candidate` through `chain`: the verdict and the guardrail state after it (pure). */
export function runChain(
  chain: readonly Guardrail[],
  state: GuardState,
  candidate: Candidate,
  ctx: GuardContext,
): { state: GuardState; verdict: Verdict } {
  const { verdict, patch } = checkChain(chain, state, candidate, ctx);
  const next = applyPatch(state, patch);
  const unchanged =
    next.lastChange === state.lastChange && next.breakers === state.breakers && next.buckets === state.buckets;
  return { state: unchanged ? state : next, verdict };
}
