/**
 * Helpers of the decision engine (engine.ts): the policy view over the lease table,
 * proposal validation, decision construction and the deterministic output order.
 */
import { canonicalHash } from '../actions/hash';
import { leasesOf, type Lease, type LeaseTable } from '../actions/leases';
import { NUMERIC_PARAM_KEYS, familyOf, isCommandType, isRevertType } from '../actions/params';
import type { Command, CommandFamily, Comparison, Evidence, Mode } from '../model/command';

const COMPARISONS: readonly Comparison[] = ['>', '>=', '<', '<=', '==', '!='];
import type { Decision, DecisionKind } from '../model/decision';
import type { Candidate, CandidateAction } from '../guardrails/types';
import { ALL } from '../guardrails/control';
import type { ConfiguredPolicy, LeaseView, PolicyView, Proposal } from './types';

function toView(l: Lease): LeaseView {
  return {
    target: l.target,
    family: l.family,
    type: l.type,
    params: l.params,
    mode: l.mode,
    issuedAt: l.issuedAt,
    expiresAt: l.expiresAt,
    changedAt: l.changedAt,
    setAt: l.setAt,
  };
}

/**
 * The policy's leases by target, from the table's keys (`policy␟target␟family`; a family has no
 * separator, so the last one splits target from family): a policy asks about every target it
 * reads each window, and a Map lookup by the target it already holds costs far less than
 * building and hashing a key string per target.
 */
function leasesByTarget(table: LeaseTable, policy: string): Map<string, Map<string, Lease>> {
  const prefix = `${policy}\u001f`;
  const out = new Map<string, Map<string, Lease>>();
  for (const key of Object.keys(table)) {
    if (!key.startsWith(prefix)) continue;
    const cut = key.lastIndexOf('\u001f');
    if (cut < prefix.length) continue;
    const target = key.slice(prefix.length, cut);
    let families = out.get(target);
    if (families === undefined) out.set(target, (families = new Map<string, Lease>()));
    families.set(key.slice(cut + 1), table[key]);
  }
  return out;
}

/** The policy's view of `table`; the table must not change while the view is in use (one evaluation). */
export function makeView(table: LeaseTable, policy: string, windowMs?: number): PolicyView {
  let index: Map<string, Map<string, Lease>> | null = null;
  return {
    ...(windowMs === undefined ? {} : { windowMs }),
    lease(target: string, family: CommandFamily) {
      index ??= leasesByTarget(table, policy);
      const l = index.get(target)?.get(family);
      return l === undefined ? null : toView(l);
    },
    leases: () => leasesOf(table, policy).map(toView),
  };
}

/** Why a proposal cannot be used, or null when it is well formed. */
export function proposalProblem(p: Proposal): string | null {
  if (p === null || typeof p !== 'object') return 'a proposal is not an object';
  if (typeof p.target !== 'string' || p.target === '') return 'a proposal has no target';
  if (!isCommandType(p.type)) return `proposal for ${p.target}: unknown command type ${JSON.stringify(p.type)}`;
  if (p.kind !== 'set' && p.kind !== 'relax' && p.kind !== 'revert')
    return `proposal for ${p.target}: kind must be set, relax or revert`;
  if ((p.kind === 'revert') !== isRevertType(p.type))
    return `proposal for ${p.target}: kind ${p.kind} does not match type ${p.type}`;
  if (p.params === null || typeof p.params !== 'object' || typeof p.params.extra !== 'object') {
    return `proposal for ${p.target}: params must be complete CommandParams (use completeParams())`;
  }
  for (const k of NUMERIC_PARAM_KEYS) {
    const v: unknown = p.params[k];
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v)))
      return `proposal for ${p.target}: params.${k} must be a finite number or null`;
  }
  for (const [k, v] of Object.entries(p.params.extra)) {
    if (typeof v !== 'string') return `proposal for ${p.target}: params.extra.${k} must be a string`;
  }
  if (!Number.isFinite(p.windowStart) || !Number.isFinite(p.windowEnd))
    return `proposal for ${p.target}: window bounds must be numbers`;
  if (typeof p.reason !== 'string') return `proposal for ${p.target}: reason must be a string`;
  if (!Array.isArray(p.evidence)) return `proposal for ${p.target}: evidence must be an array`;
  for (const e of p.evidence) {
    if (
      e === null ||
      typeof e !== 'object' ||
      typeof e.signal !== 'string' ||
      !Number.isFinite(e.value) ||
      !Number.isFinite(e.threshold)
    ) {
      return `proposal for ${p.target}: evidence needs a signal name and finite value and threshold`;
    }
    if (!COMPARISONS.includes(e.comparison))
      return `proposal for ${p.target}: evidence comparison must be one of ${COMPARISONS.join(' ')}`;
  }
  return null;
}

export function familyKey(target: string, family: CommandFamily): string {
  return `${target}\u001f${family}`;
}

export interface DecisionFields {
  policy: string;
  policyVersion: string;
  target: string;
  kind: DecisionKind;
  guardrail: string | null;
  commandId: string | null;
  actionType: string | null;
  mode: Mode;
  reason: string;
  evidence: readonly Evidence[];
  windowStart: number;
  windowEnd: number;
  eventTime: number;
}

/** A decision with its deterministic id (hash of every identifying field, reason included). */
export function makeDecision(f: DecisionFields): Decision {
  const evidence = f.evidence.map((e) => ({ ...e }));
  const id = canonicalHash(
    {
      policy: f.policy,
      policyVersion: f.policyVersion,
      target: f.target,
      kind: f.kind,
      guardrail: f.guardrail,
      commandId: f.commandId,
      actionType: f.actionType,
      reason: f.reason,
      windowStart: f.windowStart,
      windowEnd: f.windowEnd,
      eventTime: f.eventTime,
    },
    32,
  );
  return { id, ...f, evidence };
}

/** A decision about a lease (lapse, kill, pause, mode change), using its last command. */
export function leaseDecision(
  l: Lease,
  kind: DecisionKind,
  guardrail: string | null,
  reason: string,
  policyVersion: string,
  mode: Mode,
  eventTime: number,
  withCommand: boolean,
): Decision {
  return makeDecision({
    policy: l.policy,
    policyVersion,
    target: l.target,
    kind,
    guardrail,
    commandId: withCommand ? l.commandId : null,
    actionType: withCommand ? l.type : `${familyOf(l.type)}.revert`,
    mode,
    reason,
    evidence: l.evidence,
    windowStart: l.windowStart,
    windowEnd: l.windowEnd,
    eventTime,
  });
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function sortCommands(cmds: Command[]): Command[] {
  return cmds.sort(
    (a, b) => cmp(a.policy, b.policy) || cmp(a.target, b.target) || cmp(a.type, b.type) || cmp(a.id, b.id),
  );
}

export function sortDecisions(ds: Decision[]): Decision[] {
  return ds.sort(
    (a, b) =>
      cmp(a.policy, b.policy) ||
      cmp(a.target, b.target) ||
      cmp(a.actionType ?? '', b.actionType ?? '') ||
      cmp(a.kind, b.kind) ||
      cmp(a.id, b.id),
  );
}

const ACTION_RANK: Record<CandidateAction, number> = { revert: 0, relax: 1, renew: 2, set: 3 };

/**
 * Processing order: reductions first (they free lease and blast-radius room), then
 * renewals, then tightenings by descending severity; ties by policy, target and type.
 */
export function candidateOrder(
  a: { action: CandidateAction; severity: number; policy: string; target: string; type: string },
  b: { action: CandidateAction; severity: number; policy: string; target: string; type: string },
): number {
  return (
    ACTION_RANK[a.action] - ACTION_RANK[b.action] ||
    b.severity - a.severity ||
    cmp(a.policy, b.policy) ||
    cmp(a.target, b.target) ||
    cmp(a.type, b.type)
  );
}

/**
 * What the guardrails read about the leases in force while a window is processed: the
 * engine's LeaseIndex over the whole table, or a sharded stage's arbiter's counts
 * (src/pipeline/arbiter.ts), which holds the fleet's totals and only the candidates' targets.
 */
export interface LeaseCounts {
  readonly total: number;
  policyLeases(policy: string): number;
  /** Distinct targets of `policy` with a lease in force. */
  targetsUnderAction(policy: string): number;
  /** `key` is `targetKey(policy, target)`, made once by the caller; a count may read either. */
  underAction(policy: string, target: string, key: string): boolean;
  add(policy: string, target: string): void;
  remove(policy: string, target: string): void;
}

/** Counts of leases in force, kept in step with the table while a window is processed. */
export class LeaseIndex implements LeaseCounts {
  total = 0;
  readonly perPolicy = new Map<string, number>();
  readonly targets = new Map<string, Map<string, number>>();
  constructor(table: LeaseTable) {
    for (const l of Object.values(table)) this.add(l.policy, l.target);
  }
  policyLeases(policy: string): number {
    return this.perPolicy.get(policy) ?? 0;
  }
  targetsUnderAction(policy: string): number {
    return this.targets.get(policy)?.size ?? 0;
  }
  underAction(policy: string, target: string): boolean {
    return this.targets.get(policy)?.has(target) ?? false;
  }
  add(policy: string, target: string): void {
    this.total++;
    this.perPolicy.set(policy, (this.perPolicy.get(policy) ?? 0) + 1);
    const t = this.targets.get(policy) ?? new Map<string, number>();
    t.set(target, (t.get(target) ?? 0) + 1);
    this.targets.set(policy, t);
  }
  remove(policy: string, target: string): void {
    this.total--;
    this.perPolicy.set(policy, (this.perPolicy.get(policy) ?? 1) - 1);
    const t = this.targets.get(policy);
    const n = t?.get(target) ?? 0;
    if (t && n <= 1) t.delete(target);
    else if (t) t.set(target, n - 1);
  }
}

export function renewal(l: Lease, batch: { windowStart: number; windowEnd: number }): Candidate {
  return {
    policy: l.policy,
    target: l.target,
    family: l.family,
    type: l.type,
    action: 'renew',
    params: l.params,
    streak: 0,
    severity: 0,
    reason: `renew lease (expires ${l.expiresAt}): ${l.reason.replace(/^(\[[^\]]*\] )?(renew lease \(expires \d+\): )?/, '')}`,
    evidence: l.evidence,
    windowStart: batch.windowStart,
    windowEnd: batch.windowEnd,
  };
}

export function policyError(
  cp: ConfiguredPolicy,
  mode: Mode,
  reason: string,
  batch: { windowStart: number; windowEnd: number },
  eventTime: number,
): Decision {
  return makeDecision({
    policy: cp.name,
    policyVersion: cp.version,
    target: ALL,
    kind: 'escalated',
    guardrail: null,
    commandId: null,
    actionType: null,
    mode,
    reason,
    evidence: [],
    windowStart: batch.windowStart,
    windowEnd: batch.windowEnd,
    eventTime,
  });
}
