/**
 * A candidate's way through step 3 of the engine's window, in two halves: the verdict (the
 * guardrail chain and the mode: the only part that reads fleet-wide state) and what the
 * verdict builds (the command with its hashed id and signature, the decision, the lease).
 * The single engine runs both back to back (engine.ts, guardCandidate); a sharded stage
 * two runs the verdicts in its arbiter and the building in the shards that own the targets
 * (src/pipeline/arbiter.ts, shard-stage.ts), in parallel, with the same records as result.
 */
import { buildCommand, type CommandSpec } from '../actions/build';
import { checkChain, DEFAULT_CHAIN } from '../guardrails/chain';
import { canaryGroup, commandMode, decisionKind, type CanaryGroup } from '../guardrails/modes';
import type { Candidate, GuardContext, GuardDraft, GuardrailName } from '../guardrails/types';
import { patchDraft } from '../guardrails/types';
import type { Command, Mode } from '../model/command';
import type { Decision } from '../model/decision';
import type { SigningKey } from '../actions/signing';
import { makeDecision, type LeaseCounts } from './engine-support';
import type { DecisionEngineState } from './engine-types';
import type { Entry } from './engine';

/**
 * What the chain and the mode made of a candidate: plain data (it crosses process and
 * thread boundaries). A pass carries the chain's patched candidate and notes and the
 * canary group; a refusal the refusing guardrail and its reason.
 */
export type CandidateVerdict =
  | { ok: true; mode: Mode; candidate: Candidate; notes: string[]; group: CanaryGroup | null }
  | { ok: false; mode: Mode; guardrail: GuardrailName; reason: string; escalate: boolean };

/** What judging reads and patches: the round's window and its guardrail draft. */
export interface JudgeRound {
  readonly state: DecisionEngineState;
  readonly eventTime: number;
  readonly windowMs: number;
  readonly guard: GuardDraft;
}

/**
 * What the caller knows of a candidate before judging it, made once: its (policy, target)
 * key (`targetKey`) and whether its (policy, target, family) lease exists. The callers keep
 * their leases in different tables (the engine its leases, the arbiter only which exist).
 */
export interface CandidateFacts {
  readonly targetKey: string;
  readonly leaseExists: boolean;
}

/** What building reads: the window's event time and length, and the signing key. */
export interface BuildFrame {
  readonly eventTime: number;
  readonly windowMs: number;
  readonly signing: SigningKey | null;
}

/** The guardrail chain and the mode for one candidate; patches the round's guardrail draft. */
export function judgeCandidate(
  modeOf: (state: DecisionEngineState, policy: string) => Mode,
  global: GuardContext['global'],
  r: JudgeRound,
  known: ReadonlyMap<string, number>,
  index: LeaseCounts,
  entry: Entry,
  cand: Candidate,
  facts: CandidateFacts,
): CandidateVerdict {
  const { cp } = entry;
  const mode = modeOf(r.state, cp.name);
  const ctx: GuardContext = {
    eventTime: r.eventTime,
    windowMs: r.windowMs,
    config: entry.guard,
    global,
    knownTargets: known.get(cp.name) ?? 0,
    targetsUnderAction: index.targetsUnderAction(cp.name),
    targetUnderAction: index.underAction(cp.name, cand.target, facts.targetKey),
    leaseExists: facts.leaseExists,
    policyLeases: index.policyLeases(cp.name),
    totalLeases: index.total,
    targetKey: facts.targetKey,
  };
  const run = checkChain(DEFAULT_CHAIN, r.guard, cand, ctx);
  patchDraft(r.guard, run.patch);
  const v = run.verdict;
  if (!v.ok) return { ok: false, mode, guardrail: v.guardrail, reason: v.reason, escalate: v.escalate };
  const group = mode === 'canary' ? canaryGroup(cp.name, v.candidate.target, cp.canaryFraction) : null;
  return { ok: true, mode, candidate: v.candidate, notes: v.notes, group };
}

function specOf(f: BuildFrame, entry: Entry, c: Candidate, mode: Mode, reason: string): CommandSpec {
  return {
    policy: entry.cp.name,
    policyVersion: entry.cp.version,
    target: c.target,
    type: c.type,
    params: c.params,
    mode,
    reason,
    evidence: c.evidence,
    windowStart: c.windowStart,
    windowEnd: c.windowEnd,
    issuedAt: f.eventTime,
    leaseMs: entry.guard.lease.windows * f.windowMs,
  };
}

/**
 * The records a verdict makes: a refusal is a blocked (or escalated) decision naming the
 * command it would have been (unsigned); a pass is the signed command and its decision.
 */
export function buildVerdict(
  f: BuildFrame,
  entry: Entry,
  cand: Candidate,
  v: CandidateVerdict,
): { command: Command | null; decision: Decision } {
  const { cp } = entry;
  if (!v.ok) {
    const decision = makeDecision({
      policy: cp.name,
      policyVersion: cp.version,
      target: cand.target,
      kind: v.escalate ? 'escalated' : 'blocked',
      guardrail: v.guardrail,
      commandId: buildCommand(specOf(f, entry, cand, v.mode, cand.reason), null).id,
      actionType: cand.type,
      mode: v.mode,
      reason: `${v.guardrail}: ${v.reason} (wanted: ${cand.reason})`,
      evidence: cand.evidence,
      windowStart: cand.windowStart,
      windowEnd: cand.windowEnd,
      eventTime: f.eventTime,
    });
    return { command: null, decision };
  }
  const { candidate: c, group } = v;
  const groupNote = group === null ? '' : group === 'canary' ? '[canary group] ' : '[control group: not enforced] ';
  const reason = `${groupNote}${c.reason}${v.notes.length > 0 ? ` (${v.notes.join('; ')})` : ''}`;
  const command = buildCommand(specOf(f, entry, c, commandMode(v.mode, group), reason), f.signing);
  const decision = makeDecision({
    policy: cp.name,
    policyVersion: cp.version,
    target: c.target,
    kind: decisionKind(v.mode, group, c.action),
    guardrail: null,
    commandId: command.id,
    actionType: command.type,
    mode: v.mode,
    reason,
    evidence: c.evidence,
    windowStart: c.windowStart,
    windowEnd: c.windowEnd,
    eventTime: f.eventTime,
  });
  return { command, decision };
}

/**
 * A lease table's entry for `key` set (or removed, with null), the counts following: a
 * target counts while it holds at least one lease. The arbiter passes a stand-in value:
 * it only needs to know which leases exist.
 */
export function putLease<T>(
  leases: Record<string, T>,
  index: LeaseCounts,
  key: string,
  policy: string,
  target: string,
  value: T | null,
): void {
  const had = key in leases;
  if (value === null) delete leases[key];
  else leases[key] = value;
  if (had && value === null) index.remove(policy, target);
  if (!had && value !== null) index.add(policy, target);
}
