/**
 * The store's parts: what it holds per (policy, target) group and panel, what it marks as
 * changed between deltas, and how decisions become markers and rows.
 */
import type { Comparison } from '../model/command';
import type { Decision } from '../model/decision';
import type { TimeRing } from './ring';
import type { Stat } from './series-store';
import type {
  DashboardDelta,
  DecisionView,
  LeaseSpanView,
  MarkerKind,
  MarkerView,
  PanelView,
  TargetView,
} from './types';

export interface Panel {
  id: string;
  group: string;
  policy: string;
  target: string;
  signal: string;
  source: { metric: string; stat: Stat } | null;
  points: TimeRing<number>;
  evidence: TimeRing<[number, number, Comparison]>;
}

export interface Group {
  key: string;
  policy: string;
  target: string;
  panels: Map<string, Panel>;
  /** Insertion order ≈ event-time order; the first is evicted when over the bound. */
  markers: Map<string, MarkerView>;
  spans: LeaseSpanView[];
}

export interface Dirty {
  any: boolean;
  targets: Set<string>;
  panels: Set<string>;
  points: Map<string, Set<number>>;
  evidence: Map<string, Set<number>>;
  markers: Map<string, Set<string>>;
  spans: Map<string, Set<string>>;
  policies: boolean;
  decisions: DecisionView[];
  removed: Set<string>;
}

export const MAX_SPANS = 64;
export const SEP = '\u001f';

export const newDirty = (): Dirty => ({
  any: false,
  targets: new Set(),
  panels: new Set(),
  points: new Map(),
  evidence: new Map(),
  markers: new Map(),
  spans: new Map(),
  policies: false,
  decisions: [],
  removed: new Set(),
});

export function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

/** The marker of a decision that has no command (or whose command was not fed). */
export function decisionMarkerKind(d: Decision): MarkerKind {
  const revert = d.actionType?.endsWith('.revert') === true;
  switch (d.kind) {
    case 'blocked':
      return 'blocked';
    case 'escalated':
      return 'escalated';
    case 'renewed':
      return 'renew';
    default:
      if (d.commandId === null && revert) return 'expired';
      return revert ? 'revert' : 'set';
  }
}

/** A lease lapsed un-renewed: the engine records it as a decision without a command. */
export function isLapse(d: Decision): boolean {
  return (
    d.commandId === null &&
    d.actionType?.endsWith('.revert') === true &&
    (d.kind === 'reverted' || d.kind === 'shadowed' || d.kind === 'control')
  );
}

export function decisionView(d: Decision): DecisionView {
  return {
    id: d.id,
    eventTime: d.eventTime,
    windowStart: d.windowStart,
    windowEnd: d.windowEnd,
    policy: d.policy,
    target: d.target,
    kind: d.kind,
    mode: d.mode,
    actionType: d.actionType,
    guardrail: d.guardrail,
    commandId: d.commandId,
    reason: d.reason,
    evidence: d.evidence,
  };
}

export const panelView = (p: Panel): PanelView => ({
  id: p.id,
  group: p.group,
  policy: p.policy,
  target: p.target,
  signal: p.signal,
  derived: p.points.size === 0,
  points: p.points.entries(),
  evidence: p.evidence.entries().map(([t, [v, th, c]]) => [t, v, th, c]),
});

export const targetView = (g: Group): TargetView => ({ key: g.key, policy: g.policy, target: g.target });

/** Adds to `delta` the points, evidence, markers and spans `d` marks as changed and still held. */
export function fillDelta(
  delta: DashboardDelta,
  d: Dirty,
  panels: ReadonlyMap<string, Panel>,
  groups: { get(key: string): Group | undefined },
): void {
  for (const [id, times] of d.points) {
    const p = panels.get(id);
    if (!p) continue;
    for (const t of [...times].sort((a, b) => a - b)) {
      const v = p.points.get(t);
      if (v !== undefined) delta.points.push([id, t, v]);
    }
  }
  for (const [id, times] of d.evidence) {
    const p = panels.get(id);
    if (!p) continue;
    for (const t of [...times].sort((a, b) => a - b)) {
      const e = p.evidence.get(t);
      if (e) delta.evidence.push([id, t, e[0], e[1], e[2]]);
    }
  }
  for (const [key, ids] of d.markers) {
    const g = groups.get(key);
    for (const id of ids) {
      const m = g?.markers.get(id);
      if (m) delta.markers.push(m);
    }
  }
  for (const [key, ids] of d.spans) {
    const g = groups.get(key);
    for (const s of g?.spans ?? []) if (ids.has(s.id)) delta.spans.push({ ...s });
  }
}
