/**
 * One verification in flight: which commands start one, what is recorded from the
 * command, and how each window's signals update it. Pure; returns new objects.
 */
import { familyOf, isRevertType } from '../actions/params';
import type { Command } from '../model/command';
import type { Probe, VerifierConfig } from './config';
import type { SignalIndex } from './probes';
import { isHealthy } from './verdict';
import type { CommandHints, PendingVerification, ProbeTrack, VerificationRole } from './types';

export type CommandAction = NonNullable<CommandHints['action']>;

/** The engine's reason prefixes (src/policies/engine.ts, docs/policies.md "Modes"). */
const GROUP_PREFIX = /^\[(canary group|control group)[^\]]*\] /;
const RENEWAL = /^renew lease \(/;

/**
 * Whether a command with this reason (or this reason after a canary group's note) is read as
 * a renewal, which never starts a verification (commandAction).
 */
export function isRenewalReason(reason: string): boolean {
  return RENEWAL.test(reason);
}

/** How the command changes its lease, from the hint or inferred from the command (see CommandHints). */
export function commandAction(cmd: Command, hints: CommandHints): CommandAction {
  if (hints.action !== undefined) return hints.action;
  if (isRevertType(cmd.type)) return 'revert';
  if (isRenewalReason(cmd.reason.replace(GROUP_PREFIX, ''))) return 'renew';
  const loosening = (c: string) => c === '<' || c === '<=';
  if (cmd.evidence.length > 0 && cmd.evidence.every((e) => loosening(e.comparison))) return 'relax';
  return 'set';
}

/** treated (enforced), control (a canary's control group) or null (plain shadow: not verified). */
export function commandRole(cmd: Command, hints: CommandHints): VerificationRole | null {
  if (cmd.mode === 'enforce' || cmd.mode === 'canary') return 'treated';
  const group = hints.group ?? (cmd.reason.startsWith('[control group') ? 'control' : null);
  return group === 'control' ? 'control' : null;
}

function track(probe: Probe, cmd: Command): ProbeTrack {
  // The policy's own trigger: its evidence names this signal as over a threshold.
  const e = cmd.evidence.find((ev) => ev.signal === probe.signal && (ev.comparison === '>' || ev.comparison === '>='));
  return {
    signal: probe.signal,
    triggered: e !== undefined,
    threshold: e !== undefined ? e.threshold : probe.healthyMax,
    comparison: e !== undefined ? e.comparison : '>',
    before: e !== undefined && Number.isFinite(e.value) ? e.value : null,
    beforeAt: null,
    after: null,
    afterAt: null,
    samples: 0,
    firstHealthyAt: null,
  };
}

/** A new verification for a tightening `.set` command. */
export function startVerification(
  cmd: Command,
  role: VerificationRole,
  config: VerifierConfig,
  observedWindowMs: number | null,
): PendingVerification {
  const family = familyOf(cmd.type);
  const fam = config.families[family];
  const own = cmd.windowEnd - cmd.windowStart;
  const windowMs = own > 0 ? own : (observedWindowMs ?? 0);
  return {
    commandId: cmd.id,
    policy: cmd.policy,
    policyVersion: cmd.policyVersion,
    target: cmd.target,
    type: cmd.type,
    family,
    mode: cmd.mode,
    role,
    issuedAt: cmd.issuedAt,
    endAt: cmd.issuedAt + (fam.windows ?? config.windows) * windowMs,
    windowMs,
    leaseMs: Math.max(0, cmd.expiresAt - cmd.issuedAt),
    revertedAt: null,
    probes: fam.probes.map((p) => track(p, cmd)),
  };
}

/** The verification cut short by a revert of its intervention at `at` (no-op when it ended before). */
export function cutAt(v: PendingVerification, at: number): PendingVerification {
  return { ...v, endAt: Math.max(v.issuedAt, Math.min(v.endAt, at)), revertedAt: v.revertedAt ?? at };
}

/** True when a revert command ends `v`'s intervention: same policy, target, family and group. */
export function endedBy(v: PendingVerification, revert: Command, role: VerificationRole): boolean {
  return (
    v.policy === revert.policy &&
    v.target === revert.target &&
    v.family === familyOf(revert.type) &&
    v.role === role &&
    v.issuedAt <= revert.issuedAt &&
    v.endAt > revert.issuedAt
  );
}

/**
 * `v` after the window ending at `eventTime`: at or before issuedAt the window measures
 * "before" (replacing the evidence value, so before and after are computed alike); inside
 * (issuedAt, endAt] it is a verification sample. Old or repeated windows change nothing.
 */
export function observe(
  v: PendingVerification,
  index: SignalIndex,
  eventTime: number,
  probes: readonly Probe[],
  x: number,
): PendingVerification {
  const baseline = eventTime <= v.issuedAt;
  if (!baseline && eventTime > v.endAt) return v;
  let changed = false;
  const tracks = v.probes.map((t) => {
    const probe = probes.find((p) => p.signal === t.signal);
    if (probe === undefined) return t; // the probe left the config since: keep what was recorded
    if (baseline ? t.beforeAt !== null && eventTime < t.beforeAt : t.afterAt !== null && eventTime <= t.afterAt)
      return t;
    const value = index.value(probe, v.target);
    if (value === null) return t;
    changed = true;
    if (baseline) return { ...t, before: value, beforeAt: eventTime };
    const healthy = t.firstHealthyAt === null && isHealthy(t, value, x) === true;
    return {
      ...t,
      after: value,
      afterAt: eventTime,
      samples: t.samples + 1,
      firstHealthyAt: healthy ? eventTime : t.firstHealthyAt,
    };
  });
  return changed ? { ...v, probes: tracks } : v;
}
