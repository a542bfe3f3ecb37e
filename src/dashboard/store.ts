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
  const m = new DashboardMemory(o);
  return {
    addSignals: (finals) => m.addSignals(finals),
    addCommands: (commands) => m.addCommands(commands),
    addDecisions: (list) => m.addDecisions(list),
    setPolicies: (list) => m.setPolicies(list),
    setModes: (modes) => m.setModes(modes),
    snapshot: () => m.snapshot(),
    takeDelta: () => m.takeDelta(),
  };
}

/**
 * The store's state: groups of panels (least recently active evicted), the series that
 * back-fill them, leases, policies and decisions, and what changed since the last delta.
 */
class DashboardMemory {
  private readonly series: ReturnType<typeof createSeriesStore>;
  private readonly groups: ReturnType<typeof createLruMap<string, Group>>;
  private readonly panels = new Map<string, Panel>();
  /** metric\u0000target → panel ids that read it. */
  private readonly readers = new Map<string, Set<string>>();
  private readonly leases = createLeaseTracker();
  private readonly policies = new Map<string, PolicyInfo>();
  private readonly decisions: DecisionView[] = [];
  private readonly decisionIds = new Set<string>();
  private readonly totals = { signals: 0, commands: 0, decisions: 0 };
  private now: number | null = null;
  private seq = 0;
  private dirty = newDirty();
  /** The leases list last sent: leases also lapse as event time passes, without any command. */
  private sentLeases = '[]';

  constructor(private readonly o: DashboardStoreOptions) {
    this.series = createSeriesStore({ maxSeries: o.maxSeries, history: o.seriesHistory });
    this.groups = createLruMap<string, Group>(o.maxTargets);
  }

  addSignals(finals: readonly WindowSignal[]): void {
    const { series, panels, dirty } = this;
    this.totals.signals += finals.length;
    for (const s of finals) if (!s.partial) this.advance(s.windowEnd);
    for (const [key, times] of series.add(finals)) {
      const ids = this.readers.get(key);
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
  }

  addCommands(commands: readonly Command[]): void {
    this.totals.commands += commands.length;
    for (const cmd of commands) {
      this.advance(cmd.issuedAt);
      const action = this.leases.apply(cmd);
      const g = this.groupFor(cmd.policy, cmd.target);
      const prior = g.markers.get(cmd.id);
      this.putMarker(g, {
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
      this.spanFor(g, familyOf(cmd.type), cmd, action);
      // A renewal carries the lease's old evidence: plotting it at the renewal would lie.
      if (action !== 'renew') this.addEvidence(g, cmd.evidence, cmd.windowEnd);
    }
    this.dirty.any = true;
  }

  addDecisions(list: readonly Decision[]): void {
    this.totals.decisions += list.length;
    for (const d of list) {
      this.advance(d.eventTime);
      this.notePolicy(d);
      this.keepDecision(d);
      const lapse = isLapse(d);
      if (lapse && d.actionType) {
        this.leases.lapse(d.policy, d.target, familyOf(d.actionType as Command['type']));
      }
      // Policy failures name no target and cite nothing: the decisions table shows them.
      if (d.evidence.length === 0 && d.commandId === null && !lapse) continue;
      this.markDecision(d);
    }
    this.dirty.any = true;
  }

  setPolicies(list: readonly PolicyInfo[]): void {
    const { policies } = this;
    policies.clear();
    for (const p of list) policies.set(p.name, { name: p.name, type: p.type, version: p.version, mode: p.mode });
    this.dirty.policies = true;
    this.dirty.any = true;
  }

  setModes(modes: Readonly<Record<string, Mode>>): void {
    const { policies } = this;
    for (const [name, mode] of Object.entries(modes)) {
      const p = policies.get(name);
      policies.set(name, p ? { ...p, mode } : { name, type: '', version: '', mode });
    }
    this.dirty.policies = true;
    this.dirty.any = true;
  }

  snapshot(): DashboardSnapshot {
    const { o } = this;
    const all = [...this.groups.values()];
    return {
      seq: this.seq,
      now: this.now,
      limits: { maxPointsPerSeries: o.maxPointsPerSeries, maxDecisions: o.maxDecisions, maxTargets: o.maxTargets },
      counts: this.counts(),
      policies: [...this.policies.values()],
      targets: all.map(targetView),
      panels: all.flatMap((g) => [...g.panels.values()].map(panelView)),
      markers: all.flatMap((g) => [...g.markers.values()]),
      spans: all.flatMap((g) => g.spans.map((s) => ({ ...s }))),
      leases: this.leases.current(this.now),
      decisions: this.decisions.slice(),
    };
  }

  takeDelta(): DashboardDelta | null {
    const { groups, panels } = this;
    const d = this.dirty;
    if (!d.any && !d.policies && d.removed.size === 0) return null;
    this.dirty = newDirty();
    this.seq += 1;
    const delta: DashboardDelta = {
      seq: this.seq,
      now: this.now,
      counts: this.counts(),
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
    if (d.policies) delta.policies = [...this.policies.values()];
    const current = this.leases.current(this.now);
    const json = JSON.stringify(current);
    if (json !== this.sentLeases) {
      delta.leases = current;
      this.sentLeases = json;
    }
    return delta;
  }

  private advance(t: number): void {
    if (Number.isFinite(t) && (this.now === null || t > this.now)) this.now = t;
  }

  private counts(): DashboardCounts {
    return { series: this.series.size, targets: this.groups.size, panels: this.panels.size, ...this.totals };
  }

  /** Forgets an evicted group: its panels, their series watches and whatever was pending for them. */
  private dropGroup(g: Group): void {
    const { dirty, readers } = this;
    for (const p of g.panels.values()) {
      this.panels.delete(p.id);
      if (p.source) {
        const key = indexKey(p.source.metric, p.target);
        readers.get(key)?.delete(p.id);
        if (readers.get(key)?.size === 0) readers.delete(key);
        this.series.unwatch(p.source.metric, p.target);
      }
      dirty.panels.delete(p.id);
      dirty.points.delete(p.id);
      dirty.evidence.delete(p.id);
    }
    dirty.targets.delete(g.key);
    dirty.markers.delete(g.key);
    dirty.spans.delete(g.key);
    dirty.removed.add(g.key);
  }

  /** The (policy, target) group, made most recent; a new one may evict the least recent. */
  private groupFor(policy: string, target: string): Group {
    const key = `${policy}${SEP}${target}`;
    const found = this.groups.get(key);
    if (found) {
      this.groups.touch(key);
      return found;
    }
    const g: Group = { key, policy, target, panels: new Map(), markers: new Map(), spans: [] };
    for (const [, old] of this.groups.set(key, g)) this.dropGroup(old);
    this.dirty.removed.delete(key);
    this.dirty.targets.add(key);
    return g;
  }

  /** The group's panel for a cited signal; a new one is back-filled from the series held. */
  private panelFor(g: Group, signal: string): Panel {
    const found = g.panels.get(signal);
    if (found) return found;
    const { o, series } = this;
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
    this.panels.set(p.id, p);
    if (p.source) {
      const { metric, stat } = p.source;
      addTo(this.readers, indexKey(metric, g.target), p.id);
      series.watch(metric, g.target);
      // Back-fill the run-up from the recent windows held for every series.
      for (const t of series.timesOf(metric, g.target)) {
        const v = series.valueAt(metric, stat, g.target, t);
        if (v !== null) p.points.upsert(t, v);
      }
    }
    this.dirty.panels.add(p.id);
    return p;
  }

  private addEvidence(g: Group, evidence: Command['evidence'], t: number): void {
    const { dirty } = this;
    for (const e of evidence) {
      if (!Number.isFinite(e.value)) continue;
      const p = this.panelFor(g, e.signal);
      const held = p.evidence.get(t);
      // A command and its decision cite the same evidence: only news is sent.
      if (held && held[0] === e.value && held[1] === e.threshold && held[2] === e.comparison) continue;
      if (p.evidence.upsert(t, [e.value, e.threshold, e.comparison]) !== 'dropped' && !dirty.panels.has(p.id))
        addTo(dirty.evidence, p.id, t);
    }
  }

  private putMarker(g: Group, m: MarkerView): void {
    g.markers.set(m.id, m);
    if (g.markers.size > this.o.maxPointsPerSeries) g.markers.delete(g.markers.keys().next().value as string);
    addTo(this.dirty.markers, g.key, m.id);
  }

  /** Opens, extends or closes the lease span a command touches. */
  private spanFor(g: Group, family: CommandFamily, cmd: Command, action: CommandAction): void {
    const { dirty } = this;
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
  }

  private notePolicy(d: Decision): void {
    const p = this.policies.get(d.policy);
    if (!p) this.policies.set(d.policy, { name: d.policy, type: '', version: d.policyVersion, mode: d.mode });
    else if (p.mode === d.mode && p.version === d.policyVersion) return;
    else this.policies.set(d.policy, { ...p, mode: d.mode, version: d.policyVersion });
    this.dirty.policies = true;
  }

  /** Adds a decision to the table once (by id), keeping the last maxDecisions. */
  private keepDecision(d: Decision): void {
    const { decisions, decisionIds } = this;
    if (decisionIds.has(d.id)) return;
    const view = decisionView(d);
    decisions.push(view);
    decisionIds.add(d.id);
    if (decisions.length > this.o.maxDecisions) decisionIds.delete(decisions.shift()!.id);
    this.dirty.decisions.push(view);
  }

  /** The decision's marker on its target (merged into its command's marker) and the evidence it cites. */
  private markDecision(d: Decision): void {
    const g = this.groupFor(d.policy, d.target);
    const issued = d.commandId !== null && d.kind !== 'blocked' && d.kind !== 'escalated';
    const id = issued ? (d.commandId as string) : d.id;
    const prior = g.markers.get(id);
    const kind = prior?.kind ?? decisionMarkerKind(d);
    if (prior) {
      if (prior.decision !== d.kind) this.putMarker(g, { ...prior, decision: d.kind });
    } else {
      this.putMarker(g, {
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
    if (kind !== 'renew' && kind !== 'expired') this.addEvidence(g, d.evidence, d.windowEnd);
  }
}
