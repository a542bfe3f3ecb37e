/**
 * Automatic rollback: an action whose key signal worsened is proposed for revert, and
 * the decision stage turns the proposal into a signed `.revert` command with the same
 * builder as every other command (deterministic id, lease, HMAC).
 */
import { buildCommand, type CommandSpec } from '../actions/build';
import { emptyParams, revertTypeOf } from '../actions/params';
import type { SigningKey } from '../actions/signing';
import type { Command } from '../model/command';
import { fmt } from '../policies/signals';
import type { Judgement } from './verdict';
import type { PendingVerification, RevertProposal } from './types';

/** The proposal for a worsened verification, decided at `eventTime` (a window end). */
export function revertProposal(
  v: PendingVerification,
  j: Judgement,
  eventTime: number,
  windowMs: number,
  x: number,
): RevertProposal {
  const p = j.primary;
  const evidence =
    p === null || p.before === null || p.after === null
      ? []
      : [{ signal: p.signal, value: p.after, threshold: p.before * (1 + x), comparison: '>=' as const }];
  const change = j.change === null ? '' : ` (${j.change >= 0 ? '+' : ''}${fmt(j.change * 100)}%)`;
  const what =
    p === null || p.before === null || p.after === null
      ? ''
      : ` ${p.signal} ${fmt(p.before)} → ${fmt(p.after)}${change}`;
  return {
    policy: v.policy,
    policyVersion: v.policyVersion,
    target: v.target,
    type: revertTypeOf(v.family),
    mode: v.mode,
    reason: `verification: worsened${what} after ${v.type} ${v.commandId}: revert`,
    evidence,
    commandId: v.commandId,
    windowStart: eventTime - windowMs,
    windowEnd: eventTime,
    issuedAt: eventTime,
    leaseMs: v.leaseMs,
  };
}

/** The CommandSpec of a revert proposal (for callers that build commands themselves). */
export function revertCommandSpec(p: RevertProposal): CommandSpec {
  return {
    policy: p.policy,
    policyVersion: p.policyVersion,
    target: p.target,
    type: p.type,
    params: emptyParams(),
    mode: p.mode,
    reason: p.reason,
    evidence: p.evidence,
    windowStart: p.windowStart,
    windowEnd: p.windowEnd,
    issuedAt: p.issuedAt,
    leaseMs: p.leaseMs,
  };
}

/** The `.revert` command for a proposal, signed when a key is given (keyId/signature '' otherwise). */
export function buildRevertCommand(p: RevertProposal, signing: SigningKey | null): Command {
  return buildCommand(revertCommandSpec(p), signing);
}
