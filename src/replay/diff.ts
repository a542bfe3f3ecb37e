/**
 * What would have changed: two decision streams (production vs a candidate replay, or two
 * configs over the same recording) compared action by action. Pure.
 *
 * Decisions are matched on (policy, target, windowEnd, actionType) — the kind of action on
 * the same target for the same window — with the decision kind standing in when there is no
 * action type. Within a key, decisions of equal kind pair first, the rest pair in order; what
 * is left is "only in A" / "only in B". A matched pair differs when
 * - its kind differs (acted in A, blocked in B), or
 * - its parameters differ: compared from the commands when both sides' commands are given,
 *   else by command id when both sides run the same policy version (the id hashes the
 *   parameters), else by the reason text (which states the parameters, e.g. `timeout 30000 →
 *   15000 ms`). The basis is reported with each change.
 * Policy versions are expected to differ between two configs and are not a difference.
 */
import { canonicalJson } from '../actions';
import type { CommandRecord, DecisionRecord } from '../codec';

export type ChangeBasis = 'params' | 'commandId' | 'reason';

export interface DiffEntry {
  /** Event time of the decision (B's when both exist). */
  time: number;
  policy: string;
  target: string;
  windowEnd: number;
  /** actionType, or `(kind)` for decisions without one. */
  action: string;
  status: 'onlyA' | 'onlyB' | 'changed';
  a: DecisionRecord | null;
  b: DecisionRecord | null;
  /** For `changed`: what differs. */
  changes: string[];
  /** For `changed` params: the parameters on each side when known (canonical JSON). */
  paramsA?: string;
  paramsB?: string;
}

export interface DiffCounts {
  same: number;
  onlyA: number;
  onlyB: number;
  changed: number;
}

export interface DecisionDiff {
  identical: boolean;
  totals: DiffCounts & { a: number; b: number };
  perPolicy: Record<string, DiffCounts>;
  perTarget: Record<string, DiffCounts>;
  /** Earliest event time of any difference; null when identical. */
  firstDivergence: number | null;
  /** Every difference, by time, then policy, target, action. */
  entries: DiffEntry[];
  /** Policy → versions seen on each side (informational). */
  versions: Record<string, { a: string[]; b: string[] }>;
}

export interface DiffInput {
  decisions: readonly DecisionRecord[];
  /** Commands of the same run, to compare parameters exactly. */
  commands?: readonly CommandRecord[];
}

function actionOf(d: DecisionRecord): string {
  return d.actionType ?? `(${d.kind})`;
}

function keyOf(d: DecisionRecord): string {
  return `${d.policy}\u0000${d.target}\u0000${d.windowEnd}\u0000${actionOf(d)}`;
}

function group(ds: readonly DecisionRecord[]): Map<string, DecisionRecord[]> {
  const m = new Map<string, DecisionRecord[]>();
  for (const d of ds) {
    const k = keyOf(d);
    const g = m.get(k);
    if (g === undefined) m.set(k, [d]);
    else g.push(d);
  }
  return m;
}

function paramsIndex(commands: readonly CommandRecord[] | undefined): Map<string, string> | null {
  if (commands === undefined) return null;
  const m = new Map<string, string>();
  for (const c of commands) m.set(c.id, canonicalJson(c.params));
  return m;
}

const zero = (): DiffCounts => ({ same: 0, onlyA: 0, onlyB: 0, changed: 0 });

/** Compares two decision streams; see the module comment for the matching rules. */
export function diffDecisions(a: DiffInput, b: DiffInput): DecisionDiff {
  const pa = paramsIndex(a.commands);
  const pb = paramsIndex(b.commands);
  const ga = group(a.decisions);
  const gb = group(b.decisions);
  const entries: DiffEntry[] = [];
  const perPolicy: Record<string, DiffCounts> = {};
  const perTarget: Record<string, DiffCounts> = {};
  const totals = { ...zero(), a: a.decisions.length, b: b.decisions.length };
  const count = (d: DecisionRecord, what: keyof DiffCounts): void => {
    (perPolicy[d.policy] ??= zero())[what]++;
    (perTarget[d.target] ??= zero())[what]++;
    totals[what]++;
  };
  const only = (d: DecisionRecord, side: 'onlyA' | 'onlyB'): void => {
    count(d, side);
    entries.push({
      time: d.eventTime,
      policy: d.policy,
      target: d.target,
      windowEnd: d.windowEnd,
      action: actionOf(d),
      status: side,
      a: side === 'onlyA' ? d : null,
      b: side === 'onlyB' ? d : null,
      changes: [],
    });
  };
  const compare = (x: DecisionRecord, y: DecisionRecord): void => {
    const changes: string[] = [];
    if (x.kind !== y.kind) changes.push(`kind ${x.kind} → ${y.kind}`);
    if (x.kind === y.kind && x.guardrail !== y.guardrail)
      changes.push(`guardrail ${x.guardrail ?? '—'} → ${y.guardrail ?? '—'}`);
    let paramsA: string | undefined;
    let paramsB: string | undefined;
    const px = x.commandId === null ? undefined : pa?.get(x.commandId);
    const py = y.commandId === null ? undefined : pb?.get(y.commandId);
    if (px !== undefined && py !== undefined) {
      if (px !== py) {
        changes.push('params');
        paramsA = px;
        paramsB = py;
      }
    } else if (x.policyVersion === y.policyVersion) {
      if (x.commandId !== y.commandId) changes.push('params (command id)');
    } else if (x.reason !== y.reason) changes.push('params (reason)');
    if (changes.length === 0) {
      count(y, 'same');
      return;
    }
    count(y, 'changed');
    entries.push({
      time: y.eventTime,
      policy: y.policy,
      target: y.target,
      windowEnd: y.windowEnd,
      action: actionOf(y),
      status: 'changed',
      a: x,
      b: y,
      changes,
      paramsA,
      paramsB,
    });
  };

  for (const [k, xs] of ga) {
    const ys = gb.get(k) ?? [];
    const usedY = new Set<number>();
    const leftX: DecisionRecord[] = [];
    // Equal kinds pair first, so a window with (acted, blocked) in A and (blocked, acted) in B matches up.
    for (const x of xs) {
      const j = ys.findIndex((y, i) => !usedY.has(i) && y.kind === x.kind);
      if (j === -1) leftX.push(x);
      else {
        usedY.add(j);
        compare(x, ys[j]);
      }
    }
    const leftY = ys.filter((_, i) => !usedY.has(i));
    const n = Math.min(leftX.length, leftY.length);
    for (let i = 0; i < n; i++) compare(leftX[i], leftY[i]);
    for (let i = n; i < leftX.length; i++) only(leftX[i], 'onlyA');
    for (let i = n; i < leftY.length; i++) only(leftY[i], 'onlyB');
  }
  for (const [k, ys] of gb) if (!ga.has(k)) for (const y of ys) only(y, 'onlyB');

  entries.sort(
    (p, q) =>
      p.time - q.time ||
      cmp(p.policy, q.policy) ||
      cmp(p.target, q.target) ||
      cmp(p.action, q.action) ||
      cmp(p.status, q.status),
  );
  const versions: Record<string, { a: string[]; b: string[] }> = {};
  const note = (ds: readonly DecisionRecord[], side: 'a' | 'b'): void => {
    for (const d of ds) {
      const v = (versions[d.policy] ??= { a: [], b: [] });
      if (!v[side].includes(d.policyVersion)) v[side].push(d.policyVersion);
    }
  };
  note(a.decisions, 'a');
  note(b.decisions, 'b');
  return {
    identical: entries.length === 0,
    totals,
    perPolicy: sortKeys(perPolicy),
    perTarget: sortKeys(perTarget),
    firstDivergence: entries.length === 0 ? null : entries[0].time,
    entries,
    versions: sortKeys(versions),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}
