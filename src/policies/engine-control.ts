/**
 * The engine's response to a control record (kill, pause, mode, exclude, …): the new
 * control state, and a decision for every lease in force that the record affects, so the
 * audit trail says what will happen to it. Nothing is reverted actively: stopped leases
 * are not renewed and lapse on the executors, the fail-safe path.
 */
import { removeLeases, type Lease } from '../actions/leases';
import { resetBreaker } from '../guardrails/circuit-breaker';
import { InputError } from '../errors';
import {
  applyControl,
  controlChanges,
  validateControlRecord,
  controlRefusal,
  type ControlLimits,
  type ControlRecord,
} from '../guardrails/control';
import { canaryGroup, commandMode } from '../guardrails/modes';
import { MODES, type Mode } from '../model/command';
import type { Decision } from '../model/decision';
import { leaseDecision, sortDecisions } from './engine-support';
import type { ControlOutput, EngineState } from './engine-types';
import type { ConfiguredPolicy } from './types';

export interface ControlDeps {
  modeOf: (state: EngineState, policy: string) => Mode;
  policy: (name: string) => ConfiguredPolicy | undefined;
  limits?: ControlLimits;
}

/** The highest mode the control plane may set for a policy: its maxControlMode, else its configured mode. */
export function controlCeiling(cp: Pick<ConfiguredPolicy, 'mode' | 'maxControlMode'>): Mode {
  return cp.maxControlMode ?? cp.mode;
}

/** The lower (more cautious) of two modes: shadow < canary < enforce. */
export function lowerMode(a: Mode, b: Mode): Mode {
  return MODES.indexOf(a) <= MODES.indexOf(b) ? a : b;
}

/**
 * Why the engine refuses a control record: a `mode` for a named policy above its ceiling
 * (a record for every policy is applied, and modeOf caps each policy at its own ceiling),
 * then the control state's own rules (stale, caps).
 */
function refusal(state: EngineState, control: ControlRecord, deps: ControlDeps): string | undefined {
  if (!controlChanges(state.guard.control, control)) return undefined;
  if (control.kind === 'mode' && control.policy !== null && control.mode !== null) {
    const cp = deps.policy(control.policy);
    if (cp && lowerMode(control.mode, controlCeiling(cp)) !== control.mode) {
      return (
        `mode ${control.mode} is above policy ${cp.name}'s ceiling (${controlCeiling(cp)}); raise its maxControlMode in the ` +
        `config to allow it`
      );
    }
  }
  return controlRefusal(state.guard.control, control, deps.limits);
}

export function controlEngine(state: EngineState, control: ControlRecord, deps: ControlDeps): ControlOutput {
  const { modeOf } = deps;
  const issues = validateControlRecord(control);
  if (issues.length > 0)
    throw new InputError('INVALID_FIELD', `control record: ${issues.join('; ')}`, { field: 'kind' });
  const refused = refusal(state, control, deps);
  if (refused !== undefined) return { state, decisions: [], refused };
  if (!controlChanges(state.guard.control, control)) return { state, decisions: [] };
  const control2 = applyControl(state.guard.control, control);
  const next: EngineState = { ...state, guard: { ...state.guard, control: control2 } };
  const eventTime = state.lastEventTime ?? control.issuedAt;
  const by = `${control.kind} by ${control.issuedBy}${control.reason ? ` (${control.reason})` : ''}`;
  const affects = (l: Lease) =>
    (control.policy === null || l.policy === control.policy) &&
    (control.target === null || l.target === control.target);
  const inForce = Object.keys(state.leases)
    .sort()
    .map((k) => state.leases[k]);
  const decisions: Decision[] = [];
  const note = (l: Lease, guardrail: string) =>
    decisions.push(
      leaseDecision(
        l,
        'blocked',
        guardrail,
        `${by}: the lease will not be renewed and lapses at ${l.expiresAt}, when the executor reverts`,
        deps.policy(l.policy)?.version ?? '',
        modeOf(next, l.policy),
        eventTime,
        true,
      ),
    );
  switch (control.kind) {
    case 'kill':
      inForce.forEach((l) => note(l, 'killed'));
      break;
    case 'pause':
      inForce.filter((l) => control.policy === null || l.policy === control.policy).forEach((l) => note(l, 'paused'));
      break;
    case 'exclude':
      inForce.filter(affects).forEach((l) => note(l, 'excluded'));
      break;
    case 'mode': {
      // A mode change starts the policy afresh: leases issued under the old mode are forgotten
      // (shadow ones were never enforced; enforced ones lapse on the executor and revert).
      const forgotten: Lease[] = [];
      for (const l of inForce) {
        const cp = deps.policy(l.policy);
        if (!cp || (control.policy !== null && l.policy !== control.policy)) continue;
        const before = modeOf(state, l.policy);
        const after = modeOf(next, l.policy);
        if (before === after) continue;
        const group = after === 'canary' ? canaryGroup(l.policy, l.target, cp.canaryFraction) : null;
        if (commandMode(after, group) === l.mode) continue;
        forgotten.push(l);
        decisions.push(
          leaseDecision(
            l,
            l.mode === 'shadow' ? 'shadowed' : 'reverted',
            null,
            `${by}: mode ${before} → ${after}; the ${l.mode} lease is forgotten` +
              (l.mode === 'shadow' ? ' (it was never enforced)' : ` and lapses on the executor at ${l.expiresAt}`),
            cp.version,
            after,
            eventTime,
            false,
          ),
        );
      }
      let guard = next.guard;
      for (const l of forgotten) guard = resetBreaker(guard, l.policy, l.target);
      return {
        state: { ...next, guard, leases: removeLeases(state.leases, forgotten) },
        decisions: sortDecisions(decisions),
      };
    }
    default:
      break;
  }
  return { state: next, decisions: sortDecisions(decisions) };
}
