/**
 * The leases in force as the dashboard sees them, mirrored from the commands the processor
 * issues (the engine's own table, src/actions/leases.ts, lives inside its checkpointed state
 * and is not ours to read): a `.set` starts or changes a lease, a renewal extends it, a
 * `.revert` ends it, and a lease whose expiry passed the dashboard's event time has lapsed
 * (the executor reverted it by itself).
 *
 * A renewal is told apart from a new set by what the engine copies into it (renewal() in
 * src/policies/engine-support.ts): the same parameters and the same evidence as the lease.
 */
import { familyOf, isRevertType, leaseKey } from '../actions';
import type { Command, CommandFamily, CommandParams, Evidence } from '../model/command';
import type { LeaseView } from './types';

export type CommandAction = 'set' | 'renew' | 'revert';

interface Held {
  view: LeaseView;
  params: string;
  evidence: string;
}

export interface LeaseTracker {
  /** Applies a command (idempotent for the same command) and returns what it did to its lease. */
  apply(cmd: Command): CommandAction;
  /** A lapse the engine recorded (a decision without a command); true if a lease was held. */
  lapse(policy: string, target: string, family: CommandFamily): boolean;
  /** Leases in force at event time `now`, soonest expiry first; lapsed ones are forgotten. */
  current(now: number | null): LeaseView[];
}

const NUMERIC: ReadonlyArray<[keyof CommandParams, string]> = [
  ['timeoutMs', 'timeout'],
  ['retryStrategy', 'jitter'],
  ['retryBaseMs', 'base'],
  ['retryCapMs', 'cap'],
  ['retryMaxAttempts', 'attempts'],
  ['retryBudgetRatio', 'budget'],
  ['retryBudgetFloorPerSec', 'floor/s'],
  ['quotaBytesPerSec', 'bytes/s'],
  ['quotaRequestsPerSec', 'req/s'],
];

const UNITS: Partial<Record<keyof CommandParams, string>> = { timeoutMs: ' ms', retryBaseMs: ' ms', retryCapMs: ' ms' };

/** Parameters in short for tables and tooltips: `timeout 4000 ms`, `jitter full, base 100 ms, …`. */
export function summarizeParams(params: CommandParams): string {
  const parts: string[] = [];
  for (const [key, label] of NUMERIC) {
    const v = params[key];
    if (v === null || v === undefined || typeof v === 'object') continue;
    parts.push(`${label} ${typeof v === 'number' ? Number(v.toPrecision(6)) : v}${UNITS[key] ?? ''}`);
  }
  for (const k of Object.keys(params.extra ?? {}).sort()) parts.push(`${k} ${params.extra[k]}`);
  return parts.join(', ');
}

/** A renewal's reason as renewal() writes it, after an optional canary note. */
const RENEW_REASON = /^(\[[^\]]*\] )?renew lease \(/;

function evidenceKey(evidence: readonly Evidence[]): string {
  return JSON.stringify(evidence.map((e) => [e.signal, e.value, e.threshold, e.comparison]));
}

export function createLeaseTracker(): LeaseTracker {
  const held = new Map<string, Held>();
  /** Command ids already applied, so a replayed batch classifies its commands as the first time. */
  const seen = new Map<string, CommandAction>();
  const SEEN_MAX = 4096;

  const classify = (cmd: Command, key: string): CommandAction => {
    if (isRevertType(cmd.type)) return 'revert';
    const h = held.get(key);
    if (RENEW_REASON.test(cmd.reason)) return 'renew';
    if (
      h &&
      h.view.expiresAt > cmd.issuedAt &&
      h.params === JSON.stringify(cmd.params) &&
      h.evidence === evidenceKey(cmd.evidence)
    )
      return 'renew';
    return 'set';
  };

  return {
    apply(cmd) {
      const family = familyOf(cmd.type);
      const key = leaseKey(cmd.policy, cmd.target, family);
      const known = seen.get(cmd.id);
      const action = known ?? classify(cmd, key);
      if (known === undefined) {
        seen.set(cmd.id, action);
        if (seen.size > SEEN_MAX) seen.delete(seen.keys().next().value as string);
      }
      if (action === 'revert') {
        held.delete(key);
        return action;
      }
      const prev = held.get(key);
      const params = JSON.stringify(cmd.params);
      const since =
        prev && prev.view.expiresAt > cmd.issuedAt && (action === 'renew' || prev.params === params)
          ? prev.view.since
          : cmd.issuedAt;
      // An older command replayed after a newer one must not roll the lease back.
      if (prev && prev.view.issuedAt > cmd.issuedAt) return action;
      held.set(key, {
        params,
        evidence: evidenceKey(cmd.evidence),
        view: {
          policy: cmd.policy,
          target: cmd.target,
          family,
          type: cmd.type,
          mode: cmd.mode,
          params: summarizeParams(cmd.params),
          since,
          issuedAt: cmd.issuedAt,
          expiresAt: cmd.expiresAt,
          commandId: cmd.id,
        },
      });
      return action;
    },
    lapse(policy, target, family) {
      return held.delete(leaseKey(policy, target, family));
    },
    current(now) {
      const out: LeaseView[] = [];
      for (const [key, h] of held) {
        if (now !== null && h.view.expiresAt <= now) held.delete(key);
        else out.push(h.view);
      }
      return out.sort(
        (a, b) =>
          a.expiresAt - b.expiresAt ||
          (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0) ||
          (a.target < b.target ? -1 : 1),
      );
    },
  };
}
