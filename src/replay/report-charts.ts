/**
 * The charts of one policy in a replay report: the signals the policy reads, per target, with
 * its thresholds — read from the policy's own (validated) config, so the lines drawn are the
 * ones it compared against — plus its decisions as markers, its leases as spans and the
 * labelled incident windows as spans. Pure: signals, commands, decisions and config in, charts
 * out. Signal points sit at their window's start (the time of the data they summarise); the
 * decisions sit at their event time, the window's end, when the policy could first act.
 */
import { describeTrigger, type Trigger as TriggerThreshold } from '../signals/levels';
import type { CommandRecord, DecisionRecord } from '../codec';
import type { WindowSignal } from '../model/signal';
import type { PolicyConfig } from '../policies';
import { total, worst, type SignalStat } from '../policies/signals';
import type { Chart, Marker, MarkerKind, Point, Series, Span, Threshold } from '../report';
import { classifyDecision } from './actions';
import { describeParams, leaseSpans, settingSteps, type LeaseSpan } from './lease-spans';
import { shareLineName, thresholdFloor } from '../policies/herd-shares';

/** Everything the charts of one policy are drawn from. */
export interface PolicyChartInput {
  config: PolicyConfig;
  signals: readonly WindowSignal[];
  commands: readonly CommandRecord[];
  decisions: readonly DecisionRecord[];
  /** Labelled incident spans per target ('*' = every target). */
  incidents: ReadonlyMap<string, readonly Span[]>;
  /** Targets drawn at most (those with most actions first). Default 8. */
  maxTargets?: number;
  /** Markers per chart at most (earliest kept). Default 400. */
  maxMarkers?: number;
}

export interface PolicyCharts {
  charts: Chart[];
  /** Targets with signals or decisions, and how many were left out of the charts. */
  targets: string[];
  omitted: number;
}

/** The end of the recording: the last window end of any signal or decision. */
function endOf(input: PolicyChartInput): number {
  let end = -Infinity;
  for (const s of input.signals) if (s.windowEnd > end) end = s.windowEnd;
  for (const d of input.decisions) if (d.eventTime > end) end = d.eventTime;
  return end;
}

type Reduce = (sigs: readonly WindowSignal[]) => number | null;

/** Per target, one point per window start: `reduce` over the target's signals of that window. */
function perTarget(
  signals: readonly WindowSignal[],
  keep: (s: WindowSignal) => boolean,
  targetOf: (s: WindowSignal) => string | null,
  reduce: Reduce,
): Map<string, Point[]> {
  const byTarget = new Map<string, Map<number, WindowSignal[]>>();
  for (const s of signals) {
    if (s.partial || !keep(s)) continue;
    const t = targetOf(s);
    if (t === null) continue;
    let byWin = byTarget.get(t);
    if (byWin === undefined) byTarget.set(t, (byWin = new Map<number, WindowSignal[]>()));
    const list = byWin.get(s.windowStart);
    if (list === undefined) byWin.set(s.windowStart, [s]);
    else list.push(s);
  }
  const out = new Map<string, Point[]>();
  for (const [t, byWin] of byTarget) {
    const pts: Point[] = [];
    for (const start of [...byWin.keys()].sort((a, b) => a - b)) {
      const v = reduce(byWin.get(start) as WindowSignal[]);
      if (v !== null) pts.push([start, v]);
    }
    if (pts.length > 0) out.set(t, pts);
  }
  return out;
}

function markerKind(d: DecisionRecord): MarkerKind | null {
  const cls = classifyDecision(d);
  if (cls === 'renew') return null; // a renewal shows as the lease span going on
  if (cls === 'blocked') return 'blocked';
  if (cls === 'escalated') return 'escalated';
  if (cls === 'lapse') return 'expired';
  if (d.kind === 'shadowed' || d.kind === 'control') return 'shadow';
  return cls === 'revert' ? 'revert' : 'set';
}

function markersFor(
  decisions: readonly DecisionRecord[],
  commandsById: ReadonlyMap<string, CommandRecord>,
  max: number,
  withTarget = false,
): Marker[] {
  const out: Marker[] = [];
  for (const d of decisions) {
    const kind = markerKind(d);
    if (kind === null) continue;
    const cmd = d.commandId === null ? undefined : commandsById.get(d.commandId);
    const what = cmd !== undefined ? describeParams(cmd.type, cmd.params) : (d.actionType ?? d.kind);
    const label = `${withTarget ? `${d.target} ` : ''}${d.kind}${d.guardrail === null ? '' : ` (${d.guardrail})`}: ${what}`;
    out.push({ x: d.eventTime, kind, label, detail: d.reason });
    if (out.length >= max) break;
  }
  return out;
}

/** How a lease span's label says it ended. */
const LEASE_ENDINGS: Readonly<Record<LeaseSpan['ended'], string>> = {
  open: 'in force at the end',
  revert: 'reverted',
  lapse: 'lapsed',
};

function leaseSpansFor(commands: readonly CommandRecord[], target: string | null, endTime: number): Span[] {
  return leaseSpans(target === null ? commands : commands.filter((c) => c.target === target), endTime).map((l) => ({
    start: l.start,
    end: l.end,
    kind: 'lease',
    label: `${target === null ? `${l.target}: ` : ''}${l.label} (${LEASE_ENDINGS[l.ended]})`,
  }));
}

function incidentsFor(incidents: ReadonlyMap<string, readonly Span[]>, target: string | null): Span[] {
  const all = [...(incidents.get('*') ?? [])];
  if (target !== null) {
    all.push(...(incidents.get(target) ?? []));
    return all;
  }
  for (const [t, spans] of incidents) {
    if (t !== '*') all.push(...spans.map((s) => ({ ...s, label: `${t}: ${s.label}` })));
  }
  return all;
}

/** Targets ordered by how many decisions they have (most first), then by name; every target with data listed. */
function rankTargets(names: Iterable<string>, decisions: readonly DecisionRecord[]): string[] {
  const n = new Map<string, number>();
  for (const t of names) n.set(t, 0);
  for (const d of decisions) n.set(d.target, (n.get(d.target) ?? 0) + 1);
  return [...n.keys()]
    .filter((t) => t !== '*')
    .sort((a, b) => (n.get(b) ?? 0) - (n.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
}

interface Panel {
  title: string;
  yLabel: string;
  points: Map<string, Point[]>;
  thresholds: Threshold[];
}

function panelsFor(config: PolicyConfig, signals: readonly WindowSignal[]): Panel[] {
  switch (config.type) {
    case 'adaptive-timeout': {
      const p = config.parameters;
      const bySource = (s: WindowSignal): string | null => (s.scope === 'series' ? s.source : null);
      const panel = (
        metric: string,
        stat: SignalStat,
        high: TriggerThreshold | null,
        low: TriggerThreshold | null,
        unit: string,
      ): Panel | null => {
        if (high === null || low === null) return null;
        // A relative threshold differs per target and moves with its baseline: its resolved value is in each decision's evidence.
        const relative = typeof high !== 'number' || typeof low !== 'number';
        return {
          title: `${metric} (${stat})${relative ? ` — thresholds ${describeTrigger(high)} / ${describeTrigger(low)}` : ''}`,
          yLabel: `${metric} ${stat}${unit}`,
          points: perTarget(
            signals,
            (s) => s.metric === metric,
            bySource,
            (sigs) => worst(sigs, metric, stat),
          ),
          thresholds: relative
            ? []
            : [
                { name: 'high', value: high, color: '#D55E00' },
                { name: 'low', value: low, color: '#009E73' },
              ],
        };
      };
      return [
        panel(p.metrics.latency, p.latencyQuantile, p.high.latencyMs, p.low.latencyMs, ' (ms)'),
        panel(p.metrics.queueDepth, p.gaugeStat, p.high.queueDepth, p.low.queueDepth, ''),
        panel(p.metrics.inflight, p.gaugeStat, p.high.inflight, p.low.inflight, ''),
      ].filter((x): x is Panel => x !== null && x.points.size > 0);
    }
    case 'herd-control': {
      const p = config.parameters;
      const targetOf = (s: WindowSignal): string | null =>
        s.tags[p.targetTag] ?? (s.scope === 'series' && s.source !== '' ? s.source : null);
      const rate = (metric: string): Panel => ({
        title: `${metric} rate`,
        yLabel: `${metric} per second`,
        points: perTarget(
          signals,
          (s) => s.metric === metric,
          targetOf,
          (sigs) => total(sigs, metric, 'ratePerSec'),
        ),
        thresholds: [],
      });
      const share: Panel = {
        title: 'retry share',
        yLabel: 'retries / requests',
        points: perTarget(
          signals,
          (s) => s.metric === p.metrics.requests || s.metric === p.metrics.retries,
          targetOf,
          (sigs) => {
            const req = total(sigs, p.metrics.requests, 'ratePerSec');
            const ret = total(sigs, p.metrics.retries, 'ratePerSec');
            return req === null || ret === null || req <= 0 ? null : ret / req;
          },
        ),
        thresholds: [
          // A relative threshold differs per service and window: its floor is the line that holds for all.
          {
            name: shareLineName('storm', p.storm.retryShare),
            value: thresholdFloor(p.storm.retryShare),
            color: '#D55E00',
          },
          {
            name: shareLineName('calm', p.calm.retryShare),
            value: thresholdFloor(p.calm.retryShare),
            color: '#009E73',
          },
        ],
      };
      return [rate(p.metrics.requests), rate(p.metrics.retries), share].filter((x) => x.points.size > 0);
    }
    case 'watermark-quota':
      return [];
    case 'module':
      return [];
  }
}

/** The policy's evidence values over time, per target, with each threshold it compared against: for module policies. */
function evidencePanels(decisions: readonly DecisionRecord[]): Panel[] {
  const bySignal = new Map<string, { points: Map<string, Point[]>; thresholds: Set<number> }>();
  for (const d of decisions) {
    for (const e of d.evidence) {
      let g = bySignal.get(e.signal);
      if (g === undefined) bySignal.set(e.signal, (g = { points: new Map(), thresholds: new Set() }));
      const pts = g.points.get(d.target) ?? [];
      pts.push([d.eventTime, e.value]);
      g.points.set(d.target, pts);
      g.thresholds.add(e.threshold);
    }
  }
  return [...bySignal.entries()].map(([signal, g]) => ({
    title: `${signal} (evidence)`,
    yLabel: signal,
    points: g.points,
    thresholds: [...g.thresholds]
      .sort((a, b) => a - b)
      .slice(0, 4)
      .map((v) => ({ name: `threshold ${v}`, value: v })),
  }));
}

export function policyCharts(input: PolicyChartInput): PolicyCharts {
  const { config } = input;
  const decisions = input.decisions.filter((d) => d.policy === config.name);
  const commands = input.commands.filter((c) => c.policy === config.name);
  const commandsById = new Map(commands.map((c) => [c.id, c]));
  const maxMarkers = input.maxMarkers ?? 400;
  if (config.type === 'watermark-quota') return quotaCharts(input, decisions, commands, commandsById, maxMarkers);
  const panels = config.type === 'module' ? evidencePanels(decisions) : panelsFor(config, input.signals);
  const names = new Set<string>();
  for (const panel of panels) for (const t of panel.points.keys()) names.add(t);
  const ranked = rankTargets(names, decisions);
  const shown = ranked.slice(0, input.maxTargets ?? 8);
  const end = endOf(input);
  const charts: Chart[] = [];
  for (const target of shown) {
    const ds = decisions.filter((d) => d.target === target);
    const markers = markersFor(ds, commandsById, maxMarkers);
    const spans = [...incidentsFor(input.incidents, target), ...leaseSpansFor(commands, target, end)];
    for (const panel of panels) {
      const pts = panel.points.get(target);
      if (pts === undefined) continue;
      charts.push({
        title: `${target}: ${panel.title}`,
        yLabel: panel.yLabel,
        xType: 'time',
        series: [{ name: target, points: pts }],
        thresholds: panel.thresholds,
        markers,
        spans,
      });
    }
    const steps = settingSteps(commands, config.name, target);
    if (steps.length > 0) {
      const family = commands.find((c) => c.target === target)?.type.split('.')[0] ?? 'setting';
      // The chart's time axis follows its markers: two neutral ones at the first and last data
      // point keep it aligned with the signal charts above instead of zooming on the commands.
      let first = Infinity;
      let last = -Infinity;
      for (const panel of panels) {
        const pts = panel.points.get(target);
        if (pts === undefined || pts.length === 0) continue;
        first = Math.min(first, pts[0][0]);
        last = Math.max(last, pts[pts.length - 1][0]);
      }
      const range: Marker[] = Number.isFinite(first)
        ? [
            { x: first, kind: 'range', label: 'first data' },
            { x: last, kind: 'range', label: 'last data' },
          ]
        : [];
      charts.push({
        title: `${target}: ${family} in force`,
        yLabel: family === 'query_timeout' ? 'timeout (ms)' : family === 'retry_policy' ? 'retry level' : 'setting',
        xType: 'time',
        series: [
          {
            name: `${family} in force (gap: nothing in force)`,
            points: steps.map((s) => [s.time, s.value] as Point),
            style: 'step',
          },
        ],
        markers: [...range, ...markers],
        spans,
      });
    }
  }
  return { charts, targets: ranked, omitted: ranked.length - shown.length };
}

/** watermark-quota: cluster utilization against the watermarks, then every tenant's demand with its quota. */
function quotaCharts(
  input: PolicyChartInput,
  decisions: readonly DecisionRecord[],
  commands: readonly CommandRecord[],
  commandsById: ReadonlyMap<string, CommandRecord>,
  maxMarkers: number,
): PolicyCharts {
  if (input.config.type !== 'watermark-quota') throw new Error('quotaCharts: not a watermark-quota policy');
  const p = input.config.parameters;
  const demand = perTarget(
    input.signals,
    (s) => s.metric === p.metrics.demand && s.scope === p.demandScope,
    (s) => s.tags[p.tenantTag] ?? null,
    (sigs) => total(sigs, p.metrics.demand, 'ratePerSec'),
  );
  const capacityAt = new Map<number, number>();
  if (p.capacityBytesPerSec === null) {
    for (const s of input.signals) {
      if (s.partial || s.metric !== p.metrics.capacity || s.count <= 0) continue;
      const v = s[p.capacityStat];
      const prev = capacityAt.get(s.windowStart);
      if (Number.isFinite(v))
        capacityAt.set(
          s.windowStart,
          prev === undefined ? v : p.capacityCombine === 'sum' ? prev + v : Math.max(prev, v),
        );
    }
  }
  const used = new Map<number, number>();
  for (const pts of demand.values()) for (const [t, v] of pts) used.set(t, (used.get(t) ?? 0) + Math.max(0, v));
  const util: Point[] = [];
  let capacity: number | null = p.capacityBytesPerSec;
  for (const t of [...used.keys()].sort((a, b) => a - b)) {
    if (p.capacityBytesPerSec === null) capacity = capacityAt.get(t) ?? capacity; // the policy keeps the last gauge seen
    if (capacity !== null && capacity > 0) util.push([t, (used.get(t) as number) / capacity]);
  }
  const tenants = rankTargets(demand.keys(), decisions);
  const shown = tenants.slice(0, input.maxTargets ?? 8);
  const markers = markersFor(decisions, commandsById, maxMarkers, true);
  const spans = [...incidentsFor(input.incidents, null), ...leaseSpansFor(commands, null, endOf(input))];
  const charts: Chart[] = [];
  if (util.length > 0) {
    charts.push({
      title: 'cluster utilization (Σ tenant demand / capacity)',
      yLabel: 'utilization',
      xType: 'time',
      series: [{ name: 'utilization', points: util }],
      thresholds: [
        { name: 'high watermark', value: p.highWatermark, color: '#D55E00' },
        { name: 'low watermark', value: p.lowWatermark, color: '#009E73' },
      ],
      markers,
      spans,
    });
  }
  const series: Series[] = [];
  for (const t of shown) {
    series.push({ name: t, points: demand.get(t) as Point[] });
    const steps = settingSteps(commands, input.config.name, t);
    if (steps.length > 0)
      series.push({ name: `quota ${t}`, points: steps.map((s) => [s.time, s.value] as Point), style: 'step' });
  }
  if (series.length > 0) {
    charts.push({
      title: `tenant demand (${p.metrics.demand} rate) and quotas`,
      yLabel: `${p.metrics.demand} per second`,
      xType: 'time',
      series,
      markers,
      spans,
    });
  }
  return { charts, targets: tenants, omitted: tenants.length - shown.length };
}
