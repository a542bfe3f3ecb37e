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

export type ControlKind = 'pause' | 'resume' | 'mode' | 'exclude' | 'include' | 'kill' | 'unkill';

export const CONTROL_KINDS: readonly ControlKind[] = ['pause', 'resume', 'mode', 'exclude', 'include', 'kill', 'unkill'];

export interface ControlRecord {
  kind: ControlKind;
  /** Policy it applies to; null = every policy. */
  policy: string | null;
  /** Target it applies to (exclude/include); null = every target. */
  target: string | null;
  /** New mode for kind `mode`; null otherwise. */
  mode: Mode | null;
  issuedBy: string;
  /** Operator wall clock, epoch ms: recorded, never used for decisions. */
  issuedAt: number;
  reason: string;
}

export interface ControlState {
  killed: boolean;
  /** Paused policy names; `*` = all. */
  paused: Readonly<Record<string, true>>;
  /** `${policy|*}\u001f${target|*}` exclusions. */
  excluded: Readonly<Record<string, true>>;
  /** Mode set by the control plane per policy; `*` = all. */
  modes: Readonly<Record<string, Mode>>;
}

export const ALL = '*';

export function initialControlState(): ControlState {
  return { killed: false, paused: {}, excluded: {}, modes: {} };
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
  if (!CONTROL_KINDS.includes(rec.kind)) issues.push(`kind is ${JSON.stringify(rec.kind)}; use one of ${CONTROL_KINDS.join(', ')}`);
  if (rec.kind === 'mode' && (rec.mode === null || !MODES.includes(rec.mode))) {
    issues.push(`kind 'mode' needs mode = ${MODES.join(' | ')}; got ${JSON.stringify(rec.mode)}`);
  }
  if (rec.policy === ALL || rec.target === ALL) issues.push(`'${ALL}' is reserved; use null for "every policy/target"`);
  return issues;
}

/**
 * The control state after `rec`. `resume`/`include`/`mode` with a null policy (or target)
 * clear every matching entry, so "resume all" really resumes all. Throws InputError for
 * a malformed record (the edge routes it to the DLQ).
 */
export function applyControl(state: ControlState, rec: ControlRecord): ControlState {
  const issues = validateControlRecord(rec);
  if (issues.length > 0) throw new InputError('INVALID_FIELD', `control record: ${issues.join('; ')}`, { field: 'kind' });
  switch (rec.kind) {
    case 'kill':
      return { ...state, killed: true };
    case 'unkill':
      return { ...state, killed: false };
    case 'pause':
      return { ...state, paused: { ...state.paused, [rec.policy ?? ALL]: true } };
    case 'resume':
      return { ...state, paused: rec.policy === null ? {} : withoutMatching(state.paused, (k) => k === rec.policy) };
    case 'exclude':
      return { ...state, excluded: { ...state.excluded, [exclusionKey(rec.policy, rec.target)]: true } };
    case 'include':
      return {
        ...state,
        excluded: withoutMatching(state.excluded, (k) => {
          const [p, t] = k.split('\u001f');
          return (rec.policy === null || p === rec.policy) && (rec.target === null || t === rec.target);
        }),
      };
    case 'mode': {
      const mode = rec.mode as Mode;
      if (rec.policy === null) return { ...state, modes: { [ALL]: mode } };
      return { ...state, modes: { ...state.modes, [rec.policy]: mode } };
    }
  }
}

export function isPaused(state: ControlState, policy: string): boolean {
  return state.paused[ALL] === true || state.paused[policy] === true;
}

export function isExcluded(state: ControlState, policy: string, target: string): boolean {
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
    state.control.killed ? { ok: false, reason: 'kill switch is on: nothing is issued; leases lapse and executors revert' } : { ok: true },
};

export const pause: Guardrail = {
  name: 'paused',
  check: (state, c) =>
    isPaused(state.control, c.policy) ? { ok: false, reason: `policy ${c.policy} is paused: nothing is issued; its leases lapse` } : { ok: true },
};

export const exclusion: Guardrail = {
  name: 'excluded',
  check: (state, c) =>
    isExcluded(state.control, c.policy, c.target)
      ? { ok: false, reason: `target ${c.target} is excluded from ${c.policy}: nothing is issued; its lease lapses` }
      : { ok: true },
};
