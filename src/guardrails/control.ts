/**
 * The control plane's state, set only through a pure input (`applyControl`), and the
 * three guardrails it drives: the global kill switch, per-policy pause, per-target
 * exclusion. Records follow schemas/control.avsc; `null` policy or target means "every".
 *
 * These three are the only guardrails that also stop reductions (relax, revert) and
 * renewals: an operator who pulls them wants homeostat to stop issuing anything. Nothing
 * is reverted actively; leases are not renewed and lapse by themselves on the executors,
 * which then revert — the same fail-safe path as a dead processor.
 */
import { InputError } from '../errors';
import type { Mode } from '../model/command';
import { MODES } from '../model/command';
import type { Guardrail } from './types';
import { PASS } from './types';

export type ControlKind = 'pause' | 'resume' | 'mode' | 'exclude' | 'include' | 'kill' | 'unkill';

export const CONTROL_KINDS: readonly ControlKind[] = [
  'pause',
  'resume',
  'mode',
  'exclude',
  'include',
  'kill',
  'unkill',
];

export interface ControlRecord {
  kind: ControlKind;
  /** Policy it applies to; null = every policy. */
  policy: string | null;
  /** Target it applies to (exclude/include); null = every target. */
  target: string | null;
  /** New mode for kind `mode`; null otherwise. */
  mode: Mode | null;
  issuedBy: string;
  /**
   * Operator wall clock, epoch ms. Also the record's sequence: a record is applied only when
   * it is newer than every control record applied before it, so a replayed old record
   * cannot undo a newer one (see controlRefusal). Never used for the policies' decisions.
   */
  issuedAt: number;
  reason: string;
  /** Id of the operator key that signed it (control.keys); null: unsigned, refused. */
  keyId?: string | null;
  /** Ed25519 signature of controlSignedBytes, base64; null: unsigned, refused. */
  signature?: string | null;
}

export interface ControlState {
  killed: boolean;
  /** Paused policy names; `*` = all. */
  paused: Readonly<Record<string, true>>;
  /** `${policy|*}\u001f${target|*}` exclusions. */
  excluded: Readonly<Record<string, true>>;
  /** Mode set by the control plane per policy; `*` = all. */
  modes: Readonly<Record<string, Mode>>;
  /** Number of entries in `excluded`, kept so that the cap costs O(1) per record. */
  excludedCount: number;
  /** `issuedAt` of the newest record applied: the sequence a newer record must exceed. */
  lastIssuedAt: number;
}

/** Bounds on what the control topic may hold in memory (config `control`). */
export interface ControlLimits {
  /** Most exclusions in force at once; an `exclude` beyond it is refused. Default 10,000. */
  maxExclusions: number;
}

export const DEFAULT_CONTROL_LIMITS: Readonly<ControlLimits> = Object.freeze({ maxExclusions: 10_000 });

export const ALL = '*';

export function initialControlState(): ControlState {
  return { killed: false, paused: {}, excluded: {}, modes: {}, excludedCount: 0, lastIssuedAt: 0 };
}

function exclusionKey(policy: string | null, target: string | null): string {
  return `${policy ?? ALL}\u001f${target ?? ALL}`;
}

function withoutMatching<T>(rec: Readonly<Record<string, T>>, match: (key: string) => boolean): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(rec)) if (!match(k)) out[k] = v;
  return out;
}

/** Problems with a control record, empty when it can be applied. */
export function validateControlRecord(rec: ControlRecord): string[] {
  const issues: string[] = [];
  if (!CONTROL_KINDS.includes(rec.kind))
    issues.push(`kind is ${JSON.stringify(rec.kind)}; use one of ${CONTROL_KINDS.join(', ')}`);
  if (rec.kind === 'mode' && (rec.mode === null || !MODES.includes(rec.mode))) {
    issues.push(`kind 'mode' needs mode = ${MODES.join(' | ')}; got ${JSON.stringify(rec.mode)}`);
  }
  if (rec.policy === ALL || rec.target === ALL) issues.push(`'${ALL}' is reserved; use null for "every policy/target"`);
  if (!Number.isSafeInteger(rec.issuedAt) || rec.issuedAt <= 0)
    issues.push(`issuedAt must be a positive epoch-ms integer; got ${String(rec.issuedAt)}`);
  return issues;
}

/**
 * True when `rec` would change `state` (a record re-read from the compacted topic usually would not).
 * O(1) but for include/resume of "every".
 */
export function controlChanges(state: ControlState, rec: ControlRecord): boolean {
  switch (rec.kind) {
    case 'kill':
      return !state.killed;
    case 'unkill':
      return state.killed;
    case 'pause':
      return state.paused[rec.policy ?? ALL] !== true;
    case 'resume':
      return rec.policy === null ? Object.keys(state.paused).length > 0 : state.paused[rec.policy] === true;
    case 'exclude':
      return state.excluded[exclusionKey(rec.policy, rec.target)] !== true;
    case 'include':
      if (rec.policy !== null && rec.target !== null)
        return state.excluded[exclusionKey(rec.policy, rec.target)] === true;
      return state.excludedCount > 0 && Object.keys(state.excluded).some((k) => includeMatches(rec, k));
    case 'mode':
      return rec.policy === null
        ? !(Object.keys(state.modes).length === 1 && state.modes[ALL] === rec.mode)
        : state.modes[rec.policy] !== rec.mode;
  }
}

/**
 * Why `rec` must not be applied to `state`, or undefined when it may. A record that changes
 * nothing is never refused (re-reading the compacted topic after a restart repeats what is
 * in force); one that would change something must be newer than the last record applied —
 * a replayed old `unkill` cannot undo a newer `kill` — and may not grow the exclusions
 * past their cap.
 */
export function controlRefusal(
  state: ControlState,
  rec: ControlRecord,
  limits: ControlLimits = DEFAULT_CONTROL_LIMITS,
): string | undefined {
  if (rec.issuedAt <= state.lastIssuedAt) {
    return (
      `stale: issued at ${rec.issuedAt}, not after the newest control record applied (${state.lastIssuedAt}); ` +
      'a replayed record cannot undo a newer one — issue it again'
    );
  }
  if (rec.kind === 'exclude' && state.excludedCount >= limits.maxExclusions) {
    return (
      `exclusions are at their cap (control.maxExclusions = ${limits.maxExclusions}); ` +
      'include some first, or exclude a whole policy (target all)'
    );
  }
  return undefined;
}

function includeMatches(rec: ControlRecord, key: string): boolean {
  const [p, t] = key.split('\u001f');
  return (rec.policy === null || p === rec.policy) && (rec.target === null || t === rec.target);
}

/**
 * The control state after `rec`. `resume`/`include`/`mode` with a null policy (or target)
 * clear every matching entry, so "resume all" really resumes all. Throws InputError for
 * a malformed record (the edge routes it to the DLQ). `exclude` and `include` of one target
 * change `state.excluded` in place (O(1) per record): use only the returned state.
 */
export function applyControl(state: ControlState, rec: ControlRecord): ControlState {
  const issues = validateControlRecord(rec);
  if (issues.length > 0)
    throw new InputError('INVALID_FIELD', `control record: ${issues.join('; ')}`, { field: 'kind' });
  const base = { ...state, lastIssuedAt: Math.max(state.lastIssuedAt, rec.issuedAt) };
  switch (rec.kind) {
    case 'kill':
      return { ...base, killed: true };
    case 'unkill':
      return { ...base, killed: false };
    case 'pause':
      return { ...base, paused: { ...state.paused, [rec.policy ?? ALL]: true } };
    case 'resume':
      return { ...base, paused: rec.policy === null ? {} : withoutMatching(state.paused, (k) => k === rec.policy) };
    case 'exclude': {
      const key = exclusionKey(rec.policy, rec.target);
      if (state.excluded[key] === true) return base;
      // Grown in place, not copied: a copy per record made reading 200k exclusions quadratic.
      // The previous state is never read again by its owner (the engine replaces it).
      (state.excluded as Record<string, true>)[key] = true;
      return { ...base, excluded: state.excluded, excludedCount: state.excludedCount + 1 };
    }
    case 'include': {
      if (rec.policy !== null && rec.target !== null) {
        const key = exclusionKey(rec.policy, rec.target);
        if (state.excluded[key] !== true) return base;
        // In place, as exclude: O(1) per record.
        delete (state.excluded as Record<string, true>)[key];
        return { ...base, excluded: state.excluded, excludedCount: state.excludedCount - 1 };
      }
      const excluded = withoutMatching(state.excluded, (k) => includeMatches(rec, k));
      return { ...base, excluded, excludedCount: Object.keys(excluded).length };
    }
    case 'mode': {
      const mode = rec.mode as Mode;
      if (rec.policy === null) return { ...base, modes: { [ALL]: mode } };
      return { ...base, modes: { ...state.modes, [rec.policy]: mode } };
    }
  }
}

export function isPaused(state: ControlState, policy: string): boolean {
  return state.paused[ALL] === true || state.paused[policy] === true;
}

export function isExcluded(state: ControlState, policy: string, target: string): boolean {
  // Most windows run with no exclusion at all: skip the four keys the lookups would build.
  if (state.excludedCount === 0) return false;
  const ex = state.excluded;
  return (
    ex[exclusionKey(policy, target)] === true ||
    ex[exclusionKey(null, target)] === true ||
    ex[exclusionKey(policy, null)] === true ||
    ex[exclusionKey(null, null)] === true
  );
}

/** The mode the control plane set for `policy`, or null when it set none. */
export function controlMode(state: ControlState, policy: string): Mode | null {
  return state.modes[policy] ?? state.modes[ALL] ?? null;
}

export const killSwitch: Guardrail = {
  name: 'killed',
  check: (state) =>
    state.control.killed
      ? { ok: false, reason: 'kill switch is on: nothing is issued; leases lapse and executors revert' }
      : PASS,
};

export const pause: Guardrail = {
  name: 'paused',
  check: (state, c) =>
    isPaused(state.control, c.policy)
      ? { ok: false, reason: `policy ${c.policy} is paused: nothing is issued; its leases lapse` }
      : PASS,
};

export const exclusion: Guardrail = {
  name: 'excluded',
  check: (state, c) =>
    isExcluded(state.control, c.policy, c.target)
      ? { ok: false, reason: `target ${c.target} is excluded from ${c.policy}: nothing is issued; its lease lapses` }
      : PASS,
};
