/**
 * What a decision means as an action, for scoring, diffs and report markers. Decisions name
 * their kind (acted, shadowed, renewed, ...) but in shadow and canary-control mode every action
 * is `shadowed`/`control`, and a relaxation is a `.set` like a tightening; the meaning is
 * recovered from the record itself:
 * - renewal: kind `renewed`, or a reason starting with `renew lease` (how the engine words
 *   every renewal, src/policies/engine-support.ts) after an optional `[canary group]` note;
 * - lapse: kind `reverted` without a command (the lease expired);
 * - revert: a `.revert` action type;
 * - relax: a `.set` whose evidence is all below-threshold comparisons (`<`, `<=`): built-in
 *   policies give above-threshold evidence (`>`) for a tightening and calm evidence for a
 *   relaxation;
 * - tighten: any other `.set` — the intervention a scoring counts.
 */
import type { DecisionRecord } from '../codec';
import type { DecisionKind } from '../model/decision';

export type ActionClass = 'tighten' | 'relax' | 'renew' | 'revert' | 'lapse' | 'blocked' | 'escalated' | 'other';

/** The fields of a decision the classification reads (DecisionRecord read from a file has them too). */
export type DecisionLike = Pick<
  DecisionRecord,
  'kind' | 'guardrail' | 'actionType' | 'commandId' | 'reason' | 'evidence'
>;

const RENEW_REASON = /^(\[[^\]]*\] )?renew lease/;

export function classifyDecision(d: DecisionLike): ActionClass {
  if (d.kind === 'blocked') return 'blocked';
  if (d.kind === 'escalated') return 'escalated';
  if (d.kind === 'reverted' && d.commandId === null) return 'lapse';
  if (d.kind === 'renewed' || RENEW_REASON.test(d.reason)) return 'renew';
  const type = d.actionType ?? '';
  if (type.endsWith('.revert')) return 'revert';
  if (type.endsWith('.set')) {
    const calm = d.evidence.length > 0 && d.evidence.every((e) => e.comparison === '<' || e.comparison === '<=');
    return calm ? 'relax' : 'tighten';
  }
  return 'other';
}

export interface ActionEvent {
  /** When the command was (or would have been) issued: the decision's event time. */
  time: number;
  policy: string;
  target: string;
  actionType: string | null;
  kind: DecisionKind;
  cls: ActionClass;
}

export interface ActionFilter {
  /** Decision kinds counted. Default: acted, shadowed, control — the policy's judgement whatever its mode. */
  kinds?: readonly DecisionKind[];
  /** Action classes counted. Default: tighten — the start or escalation of an intervention. */
  classes?: readonly ActionClass[];
  /** Only these targets (default all). */
  targets?: readonly string[];
  /** Only these policies (default all). */
  policies?: readonly string[];
}

/** The interventions among decisions, in input order (which is event-time order for a replay). */
export function actionsFromDecisions(decisions: Iterable<DecisionRecord>, filter: ActionFilter = {}): ActionEvent[] {
  const kinds = new Set<DecisionKind>(filter.kinds ?? ['acted', 'shadowed', 'control']);
  const classes = new Set<ActionClass>(filter.classes ?? ['tighten']);
  const targets = filter.targets === undefined ? null : new Set(filter.targets);
  const policies = filter.policies === undefined ? null : new Set(filter.policies);
  const out: ActionEvent[] = [];
  for (const d of decisions) {
    if (!kinds.has(d.kind)) continue;
    if (targets !== null && !targets.has(d.target)) continue;
    if (policies !== null && !policies.has(d.policy)) continue;
    const cls = classifyDecision(d);
    if (!classes.has(cls)) continue;
    out.push({ time: d.eventTime, policy: d.policy, target: d.target, actionType: d.actionType, kind: d.kind, cls });
  }
  return out;
}
