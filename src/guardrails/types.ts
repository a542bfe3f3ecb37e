/**
 * The shapes guardrails share. A guardrail is a pure check over a candidate action plus
 * a pure commit that records an action it let through; the chain (chain.ts) runs them in
 * order and the first refusal wins and is named in the decision.
 */
import type { CommandFamily, CommandParams, CommandType, Evidence } from '../model/command';
import type { GlobalGuardrails, PolicyGuardrails } from './config';
import type { ControlState } from './control';

/** Names written into `Decision.guardrail` (schemas/decision.avsc lists them). */
export type GuardrailName =
  | 'killed'
  | 'paused'
  | 'excluded'
  | 'min_windows'
  | 'cooldown'
  | 'circuit_breaker'
  | 'bounds'
  | 'lease_cap'
  | 'blast_radius'
  | 'rate_limit';

/**
 * What the candidate does to the intervention on its target. `set` tightens (or starts) an
 * intervention; `relax` and `revert` reduce it; `renew` holds it (same params, new lease).
 */
export type CandidateAction = 'set' | 'relax' | 'revert' | 'renew';

/** True for actions that never increase intervention: only kill/pause/exclude may stop them. */
export function isReduction(action: CandidateAction): boolean {
  return action !== 'set';
}

export interface Candidate {
  policy: string;
  target: string;
  family: CommandFamily;
  type: CommandType;
  action: CandidateAction;
  params: CommandParams;
  /** Consecutive windows the triggering condition has held (checked by min_windows). */
  streak: number;
  /** Higher acts first when budgets are scarce. */
  severity: number;
  reason: string;
  evidence: Evidence[];
  windowStart: number;
  windowEnd: number;
}

export interface GuardContext {
  eventTime: number;
  /** Observed window length, ms: converts window counts in the config to event time. */
  windowMs: number;
  config: PolicyGuardrails;
  global: GlobalGuardrails;
  /** Targets this policy knows in this window (observed or under lease): the blast-radius base. */
  knownTargets: number;
  /** Distinct targets of this policy with a lease in force. */
  targetsUnderAction: number;
  /** This target already has a lease of this policy (so acting on it again does not widen the blast). */
  targetUnderAction: boolean;
  /** The exact (policy, target, family) lease exists (so a set replaces it rather than adding one). */
  leaseExists: boolean;
  /** Leases in force of this policy, and of all policies. */
  policyLeases: number;
  totalLeases: number;
  /**
   * `targetKey(candidate.policy, candidate.target)`, made once by the caller: the arbiter
   * judges tens of thousands of candidates a window, and a key made per check was a fresh
   * string to build and hash each time.
   */
  targetKey: string;
}

export interface BreakerEntry {
  /** Tightening actions since the last recovery. */
  actions: number;
  tripped: boolean;
}

export interface Bucket {
  tokens: number;
  /** Event time the tokens were computed at. */
  at: number;
}

/** Guardrail memory: plain records, serialisable with the engine state. */
export interface GuardState {
  control: ControlState;
  /** `${policy}\u001f${target}` → event time of the last change (set, relax or revert). */
  lastChange: Readonly<Record<string, number>>;
  /** `${policy}\u001f${target}` → circuit breaker. */
  breakers: Readonly<Record<string, BreakerEntry>>;
  /** Policy name → token bucket; `*` is the global bucket. */
  buckets: Readonly<Record<string, Bucket>>;
}

/**
 * What a guardrail's commit changes, per slice: keys to set (null deletes a breaker).
 * Guardrails return patches rather than whole states so that the engine can apply a
 * window's worth of them to its own draft in linear time; `applyPatch` is the pure form.
 */
export interface GuardPatch {
  lastChange?: Readonly<Record<string, number>>;
  breakers?: Readonly<Record<string, BreakerEntry | null>>;
  buckets?: Readonly<Record<string, Bucket>>;
}

export type CheckResult =
  { ok: true; candidate?: Candidate; note?: string } | { ok: false; reason: string; escalate?: boolean };

/** The result of a check that passes the candidate unchanged: one shared value, read and never changed. */
export const PASS: CheckResult = Object.freeze({ ok: true });

export interface Guardrail {
  readonly name: GuardrailName;
  check(state: GuardState, c: Candidate, ctx: GuardContext): CheckResult;
  /** Records an action the whole chain let through. */
  commit?(state: GuardState, c: Candidate, ctx: GuardContext): GuardPatch | null;
  /** Records an action this guardrail refused. */
  onBlocked?(state: GuardState, c: Candidate, ctx: GuardContext): GuardPatch | null;
}

export type Verdict =
  | { ok: true; candidate: Candidate; notes: string[] }
  | { ok: false; guardrail: GuardrailName; reason: string; escalate: boolean };

export function targetKey(policy: string, target: string): string {
  return `${policy}\u001f${target}`;
}

/** Merges patches; later ones win per key. */
export function mergePatches(patches: readonly (GuardPatch | null)[]): GuardPatch {
  const out: {
    lastChange: Record<string, number>;
    breakers: Record<string, BreakerEntry | null>;
    buckets: Record<string, Bucket>;
  } = {
    lastChange: {},
    breakers: {},
    buckets: {},
  };
  for (const p of patches) {
    if (!p) continue;
    Object.assign(out.lastChange, p.lastChange);
    Object.assign(out.breakers, p.breakers);
    Object.assign(out.buckets, p.buckets);
  }
  return out;
}

function isEmpty(rec: Readonly<Record<string, unknown>> | undefined): boolean {
  if (rec === undefined) return true;
  for (const _k in rec) return false;
  return true;
}

function patched<T>(
  rec: Readonly<Record<string, T>>,
  changes: Readonly<Record<string, T | null>> | undefined,
): Readonly<Record<string, T>> {
  if (changes === undefined || isEmpty(changes)) return rec;
  const out: Record<string, T> = { ...rec };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** The state after `patch` (pure: copies each slice the patch touches). */
export function applyPatch(state: GuardState, patch: GuardPatch): GuardState {
  return {
    control: state.control,
    lastChange: patched(state.lastChange, patch.lastChange),
    breakers: patched(state.breakers, patch.breakers),
    buckets: patched(state.buckets, patch.buckets),
  };
}

/** A GuardState whose slices the engine owns for one window and patches in place. */
export interface GuardDraft extends GuardState {
  lastChange: Record<string, number>;
  breakers: Record<string, BreakerEntry>;
  buckets: Record<string, Bucket>;
}

/** A draft: fresh copies of every slice, so patching it never touches `state`. */
export function draftOf(state: GuardState): GuardDraft {
  return {
    control: state.control,
    lastChange: { ...state.lastChange },
    breakers: { ...state.breakers },
    buckets: { ...state.buckets },
  };
}

/** Applies `patch` to a draft the caller owns (linear in the patch, not the state). */
export function patchDraft(draft: GuardDraft, patch: GuardPatch): void {
  if (patch.lastChange) Object.assign(draft.lastChange, patch.lastChange);
  if (patch.buckets) Object.assign(draft.buckets, patch.buckets);
  if (patch.breakers) {
    for (const [k, v] of Object.entries(patch.breakers)) {
      if (v === null) delete draft.breakers[k];
      else draft.breakers[k] = v;
    }
  }
}
