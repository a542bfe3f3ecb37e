/**
 * The dashboard's memory: everything it shows, bounded, fed by the processor's outputs and
 * read as a snapshot (a new client) or as deltas (every connected client). No clock, no
 * I/O: time is the event time of what was fed, so the same outputs give the same views.
 *
 * Bounds: `maxTargets` (policy, target) groups, least recently active evicted first; per
 * group one panel per cited signal with `maxPointsPerSeries` line and evidence points,
 * as many markers, and 64 lease spans; `maxDecisions` decisions; `maxSeries` window-signal
 * series of `seriesHistory` windows for back-filling panels.
 */
import { familyOf } from '../actions';
import type { Command, CommandFamily, Mode } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import { createLeaseTracker, summarizeParams, type CommandAction } from './leases';
import { createLruMap, createTimeRing } from './ring';
import { createSeriesStore, indexKey, parseSignalName } from './series-store';
import {
  MAX_SPANS,
  SEP,
  addTo,
  decisionMarkerKind,
  decisionView,
  fillDelta,
  isLapse,
  newDirty,
  panelView,
  targetView,
  type Group,
  type Panel,
} from './store-model';
import type {
  DashboardCounts,
  DashboardDelta,
  DashboardLimits,
  DashboardSnapshot,
  DecisionView,
  LeaseSpanView,
  MarkerView,
  PolicyInfo,
} from './types';

export interface DashboardStoreOptions extends DashboardLimits {
  maxSeries: number;
  seriesHistory: number;
}

export interface DashboardStore {
  addSignals(finals: readonly WindowSignal[]): void;
  addCommands(commands: readonly Command[]): void;
  addDecisions(decisions: readonly Decision[]): void;
  setPolicies(list: readonly PolicyInfo[]): void;
  setModes(modes: Readonly<Record<string, Mode>>): void;
  snapshot(): DashboardSnapshot;
  /** What changed since the last call, or null when nothing did. */
  takeDelta(): DashboardDelta | null;
}

export function createDashboardStore(o: DashboardStoreOptions): DashboardStore {
  const series = createSeriesStore({ maxSeries: o.maxSeries, history: o.seriesHistory });
  const groups = createLruMap<string, Group>(o.maxTargets);
  const panels = new Map<string, Panel>();
  /** metric\u0000target → panel ids that read it. */
  const readers = new Map<string, Set<string>>();
  const leases = createLeaseTracker();
  const policies = new Map<string, PolicyInfo>();
  const decisions: DecisionView[] = [];
  const decisionIds = new Set<string>();
  const totals = { signals: 0, commands: 0, decisions: 0 };
  let now: number | null = null;
  let seq = 0;
  let dirty = newDirty();
  /** The leases list last sent: leases also lapse as event time passes, without any command. */
  let sentLeases = '[]';

  const advance = (t: number): void => {
    if (Number.isFinite(t) && (now === null || t > now)) now = t;
  };

  const dropGroup = (g: Group): void => {
    for (const p of g.panels.values()) {
      panels.delete(p.id);
      if (p.source) {
        const key = indexKey(p.source.metric, p.target);
        readers.get(key)?.delete(p.id);
        if (readers.get(key)?.size === 0) readers.delete(key);
        series.unwatch(p.source.metric, p.target);
      }
      dirty.panels.delete(p.id);
      dirty.points.delete(p.id);
      dirty.evidence.delete(p.id);
    }
    dirty.targets.delete(g.key);
    dirty.markers.delete(g.key);
    dirty.spans.delete(g.key);
    dirty.removed.add(g.key);
  };

  const groupFor = (policy: string, target: string): Group => {
    const key = `${policy}${SEP}${target}`;
    const found = groups.get(key);
    if (found) {
      groups.touch(key);
      return found;
    }
    const g: Group = { key, policy, target, panels: new Map(), markers: new Map(), spans: [] };
    for (const [, old] of groups.set(key, g)) dropGroup(old);
    dirty.removed.delete(key);
    dirty.targets.add(key);
    return g;
  };

  const panelFor = (g: Group, signal: string): Panel => {
    const found = g.panels.get(signal);
    if (found) return found;
    const p: Panel = {
      id: `${g.key}${SEP}${signal}`,
      group: g.key,
      policy: g.policy,
      target: g.target,
      signal,
      source: parseSignalName(signal),
      points: createTimeRing(o.maxPointsPerSeries),
      evidence: createTimeRing(o.maxPointsPerSeries),
    };
    g.panels.set(signal, p);
    panels.set(p.id, p);
    if (p.source) {
      const { metric, stat } = p.source;
      addTo(readers, indexKey(metric, g.target), p.id);
      series.watch(metric, g.target);
      // Back-fill the run-up from the recent windows held for every series.
      for (const t of series.timesOf(metric, g.target)) {
        const v = series.valueAt(metric, stat, g.target, t);
        if (v !== null) p.points.upsert(t, v);
      }
    }
    dirty.panels.add(p.id);
    return p;
  };

  const addEvidence = (g: Group, evidence: Command['evidence'], t: number): void => {
    for (const e of evidence) {
      if (!Number.isFinite(e.value)) continue;
      const p = panelFor(g, e.signal);
      const held = p.evidence.get(t);
      // A command and its decision cite the same evidence: only news is sent.
      if (held && held[0] === e.value && held[1] === e.threshold && held[2] === e.comparison) continue;
      if (p.evidence.upsert(t, [e.value, e.threshold, e.comparison]) !== 'dropped' && !dirty.panels.has(p.id))
        addTo(dirty.evidence, p.id, t);
    }
  };

  const putMarker = (g: Group, m: MarkerView): void => {
    g.markers.set(m.id, m);
    if (g.markers.size > o.maxPointsPerSeries) g.markers.delete(g.markers.keys().next().value as string);
    addTo(dirty.markers, g.key, m.id);
  };

  const spanFor = (g: Group, family: CommandFamily, cmd: Command, action: CommandAction): void => {
    const open = g.spans.find((s) => s.family === family && s.from <= cmd.issuedAt && s.to >= cmd.issuedAt);
    const hollow = cmd.mode === 'shadow';
    if (action === 'revert') {
      if (open && open.to > cmd.issuedAt) {
        open.to = cmd.issuedAt;
        addTo(dirty.spans, g.key, open.id);
      }
      return;
    }
    if (open) {
      if (cmd.expiresAt > open.to || open.hollow !== hollow) {
        open.to = Math.max(open.to, cmd.expiresAt);
        open.hollow = open.hollow && hollow;
        addTo(dirty.spans, g.key, open.id);
      }
      return;
    }
    const span: LeaseSpanView = {
      id: `${g.key}${SEP}${family}${SEP}${cmd.issuedAt}`,
      group: g.key,
      family,
      from: cmd.issuedAt,
      to: cmd.expiresAt,
      hollow,
    };
    g.spans.push(span);
    g.spans.sort((a, b) => a.from - b.from);
    if (g.spans.length > MAX_SPANS) g.spans.shift();
    addTo(dirty.spans, g.key, span.id);
  };

  const notePolicy = (d: Decision): void => {
    const p = policies.get(d.policy);
    if (!p) policies.set(d.policy, { name: d.policy, type: '', version: d.policyVersion, mode: d.mode });
    else if (p.mode === d.mode && p.version === d.policyVersion) return;
    else policies.set(d.policy, { ...p, mode: d.mode, version: d.policyVersion });
    dirty.policies = true;
  };

  const counts = (): DashboardCounts => ({ series: series.size, targets: groups.size, panels: panels.size, ...totals });

  return {
    addSignals(finals) {
      totals.signals += finals.length;
      for (const s of finals) if (!s.partial) advance(s.windowEnd);
      for (const [key, times] of series.add(finals)) {
        const ids = readers.get(key);
        if (!ids) continue;
        for (const id of ids) {
          const p = panels.get(id);
          if (!p?.source) continue;
          for (const t of times) {
            const v = series.valueAt(p.source.metric, p.source.stat, p.target, t);
            if (v === null || p.points.get(t) === v || p.points.upsert(t, v) === 'dropped') continue;
            if (!dirty.panels.has(id)) addTo(dirty.points, id, t);
          }
        }
      }
      dirty.any = true;
    },
    addCommands(commands) {
      totals.commands += commands.length;
      for (const cmd of commands) {
        advance(cmd.issuedAt);
        const action = leases.apply(cmd);
        const g = groupFor(cmd.policy, cmd.target);
        const prior = g.markers.get(cmd.id);
        putMarker(g, {
          id: cmd.id,
          group: g.key,
          t: cmd.issuedAt,
          kind: action,
          hollow: cmd.mode === 'shadow',
          type: cmd.type,
          mode: cmd.mode,
          decision: prior?.decision ?? null,
          params: summarizeParams(cmd.params),
          reason: cmd.reason,
        });
        spanFor(g, familyOf(cmd.type), cmd, action);
        // A renewal carries the lease's old evidence: plotting it at the renewal would lie.
        if (action !== 'renew') addEvidence(g, cmd.evidence, cmd.windowEnd);
      }
      dirty.any = true;
    },
    addDecisions(list) {
      totals.decisions += list.length;
      for (const d of list) {
        advance(d.eventTime);
        notePolicy(d);
        if (!decisionIds.has(d.id)) {
          const view = decisionView(d);
          decisions.push(view);
          decisionIds.add(d.id);
          if (decisions.length > o.maxDecisions) decisionIds.delete(decisions.shift()!.id);
          dirty.decisions.push(view);
        }
        const lapse = isLapse(d);
        if (lapse && d.actionType) {
          leases.lapse(d.policy, d.target, familyOf(d.actionType as Command['type']));
        }
        // Policy failures name no target and cite nothing: the decisions table shows them.
        if (d.evidence.length === 0 && d.commandId === null && !lapse) continue;
        const g = groupFor(d.policy, d.target);
        const issued = d.commandId !== null && d.kind !== 'blocked' && d.kind !== 'escalated';
        const id = issued ? (d.commandId as string) : d.id;
        const prior = g.markers.get(id);
        const kind = prior?.kind ?? decisionMarkerKind(d);
        if (prior) {
          if (prior.decision !== d.kind) putMarker(g, { ...prior, decision: d.kind });
        } else {
          putMarker(g, {
            id,
            group: g.key,
            t: d.eventTime,
            kind,
            hollow: d.mode === 'shadow' || d.kind === 'shadowed' || d.kind === 'control',
            type: d.actionType,
            mode: d.mode,
            decision: d.kind,
            params: '',
            reason: d.reason,
          });
        }
        if (kind !== 'renew' && kind !== 'expired') addEvidence(g, d.evidence, d.windowEnd);
      }
      dirty.any = true;
    },
    setPolicies(list) {
      policies.clear();
      for (const p of list) policies.set(p.name, { name: p.name, type: p.type, version: p.version, mode: p.mode });
      dirty.policies = true;
      dirty.any = true;
    },
    setModes(modes) {
      for (const [name, mode] of Object.entries(modes)) {
        const p = policies.get(name);
        policies.set(name, p ? { ...p, mode } : { name, type: '', version: '', mode });
      }
      dirty.policies = true;
      dirty.any = true;
    },
    snapshot() {
      const all = [...groups.values()];
      return {
        seq,
        now,
        limits: { maxPointsPerSeries: o.maxPointsPerSeries, maxDecisions: o.maxDecisions, maxTargets: o.maxTargets },
        counts: counts(),
        policies: [...policies.values()],
        targets: all.map(targetView),
        panels: all.flatMap((g) => [...g.panels.values()].map(panelView)),
        markers: all.flatMap((g) => [...g.markers.values()]),
        spans: all.flatMap((g) => g.spans.map((s) => ({ ...s }))),
        leases: leases.current(now),
        decisions: decisions.slice(),
      };
    },
    takeDelta() {
      if (!dirty.any && !dirty.policies && dirty.removed.size === 0) return null;
      const d = dirty;
      dirty = newDirty();
      seq += 1;
      const delta: DashboardDelta = {
        seq,
        now,
        counts: counts(),
        targets: [...d.targets].flatMap((k) => {
          const g = groups.get(k);
          return g ? [targetView(g)] : [];
        }),
        panels: [...d.panels].flatMap((id) => {
          const p = panels.get(id);
          return p ? [panelView(p)] : [];
        }),
        points: [],
        evidence: [],
        markers: [],
        spans: [],
        decisions: d.decisions,
        removed: [...d.removed],
      };
      fillDelta(delta, d, panels, groups);
      if (d.policies) delta.policies = [...policies.values()];
      const current = leases.current(now);
      const json = JSON.stringify(current);
      if (json !== sentLeases) {
        delta.leases = current;
        sentLeases = json;
      }
      return delta;
    },
  };
}
