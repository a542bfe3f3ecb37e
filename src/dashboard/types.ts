/**
 * The dashboard's wire types: what GET /dashboard/state returns and what the event stream
 * carries. Plain JSON (numbers are epoch ms of event time, never wall clock), compact where
 * a type repeats per point, so that a tab following a busy processor costs little.
 */
import type { Comparison, Evidence, Mode } from '../model/command';
import type { DecisionKind } from '../model/decision';

/** A configured policy as the dashboard shows it. */
export interface PolicyInfo {
  name: string;
  type: string;
  version: string;
  mode: Mode;
}

/** `[t, value]`: one point of a panel's line, t = the window's end. */
export type LinePoint = [number, number];

/** `[t, value, threshold, comparison]`: one evidence a decision compared, at its window's end. */
export type EvidencePoint = [number, number, number, Comparison];

/**
 * One chart: a policy's view of one signal of one target. Created the first time a
 * command or decision of the policy cites the signal as evidence for the target.
 */
export interface PanelView {
  id: string;
  /** The (policy, target) group it belongs to: see TargetView.key. */
  group: string;
  policy: string;
  target: string;
  /** The evidence's signal name, e.g. `queue.depth:mean` or `cluster.utilization`. */
  signal: string;
  /**
   * True when no window signal backs the line (a value the policy derives itself, such as
   * `retry.share`): the line is then drawn through the evidence points only.
   */
  derived: boolean;
  points: LinePoint[];
  evidence: EvidencePoint[];
}

/**
 * Marker kinds, named as in the report's palette (src/report/palette.ts) so both pages read
 * the same: set (also relax), renew, revert, expired (a lease lapsed), blocked, escalated.
 */
export type MarkerKind = 'set' | 'renew' | 'revert' | 'expired' | 'blocked' | 'escalated';

export interface MarkerView {
  /** The command id, or the decision id for a decision without a command. */
  id: string;
  group: string;
  /** Event time: the command's issuedAt or the decision's eventTime. */
  t: number;
  kind: MarkerKind;
  /** Nothing was enforced: a shadow command, or a canary's control group. */
  hollow: boolean;
  /** Command type, e.g. `query_timeout.set`; null for a decision without one. */
  type: string | null;
  mode: Mode;
  /** The decision kind once known. */
  decision: DecisionKind | null;
  /** Parameters in short, e.g. `timeoutMs=4000`. */
  params: string;
  reason: string;
}

/** A stretch of event time a lease was in force (renewals extend it), for the chart's shading. */
export interface LeaseSpanView {
  id: string;
  group: string;
  family: string;
  from: number;
  to: number;
  hollow: boolean;
}

/** A lease in force now (expiresAt after the dashboard's event time). */
export interface LeaseView {
  policy: string;
  target: string;
  family: string;
  type: string;
  mode: Mode;
  params: string;
  /** When the parameters in force were set (renewals keep it). */
  since: number;
  issuedAt: number;
  expiresAt: number;
  commandId: string;
}

export interface DecisionView {
  id: string;
  eventTime: number;
  windowStart: number;
  windowEnd: number;
  policy: string;
  target: string;
  kind: DecisionKind;
  mode: Mode;
  actionType: string | null;
  guardrail: string | null;
  commandId: string | null;
  reason: string;
  evidence: Evidence[];
}

/** A (policy, target) pair: its panels, markers and lease spans travel with this key. */
export interface TargetView {
  key: string;
  policy: string;
  target: string;
}

export interface DashboardLimits {
  maxPointsPerSeries: number;
  maxDecisions: number;
  maxTargets: number;
}

export interface DashboardCounts {
  /** Window-signal series held for back-filling new panels. */
  series: number;
  targets: number;
  panels: number;
  signals: number;
  commands: number;
  decisions: number;
}

/** GET /dashboard/state, and the first event (`snapshot`) of every stream. */
export interface DashboardSnapshot {
  /** Deltas produced so far; the next `update` has seq + 1. */
  seq: number;
  /** The dashboard's event time: the newest window end, command or decision seen. */
  now: number | null;
  limits: DashboardLimits;
  counts: DashboardCounts;
  policies: PolicyInfo[];
  targets: TargetView[];
  panels: PanelView[];
  markers: MarkerView[];
  spans: LeaseSpanView[];
  leases: LeaseView[];
  /** Oldest first. */
  decisions: DecisionView[];
}

/**
 * An `update` event: what changed since the previous one. Applying it is idempotent (points
 * upsert by time, everything else by id), so a delta that overlaps the snapshot a client
 * just received does no harm.
 */
export interface DashboardDelta {
  seq: number;
  now: number | null;
  counts: DashboardCounts;
  /** The full list, when it changed. */
  policies?: PolicyInfo[];
  targets: TargetView[];
  /** Panels created since the last delta, in full. */
  panels: PanelView[];
  /** `[panelId, t, value]` upserts on existing panels. */
  points: Array<[string, number, number]>;
  /** `[panelId, t, value, threshold, comparison]` upserts on existing panels. */
  evidence: Array<[string, number, number, number, Comparison]>;
  markers: MarkerView[];
  spans: LeaseSpanView[];
  /** The full list of leases in force, when it changed. */
  leases?: LeaseView[];
  /** New decisions, oldest first. */
  decisions: DecisionView[];
  /** Target groups evicted (bounded memory): drop them with their panels, markers and spans. */
  removed: string[];
}
