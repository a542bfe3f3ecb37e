/**
 * The replay report's model (src/report renders it): a summary of the run, the scoring of the
 * actions against labelled incident windows when labels are given, and one section per policy
 * with its signals, thresholds, decisions, leases and the incident windows. Pure: the same
 * replay outputs and labels give the same model, hence the same HTML bytes.
 */
import type { CommandRecord, DecisionRecord } from '../codec';
import type { WindowSignal } from '../model/signal';
import type { PolicyConfig } from '../policies';
import {
  formatDuration,
  formatTimestamp,
  scoringTable,
  type Chart,
  type Point,
  type Report,
  type Section,
  type Span,
  type Table,
  type TableCell,
} from '../report';
import { actionsFromDecisions, classifyDecision, type ActionClass, type ActionFilter } from './actions';
import { GAP_LOOKBACK, signalGaps, type SeriesGaps } from './gaps';
import type { ReplayCounters } from './replay';
import { policyCharts } from './report-charts';
import { combineScores, scoreActions, type Score, type ScoreOptions } from './score';

/** Labelled incident windows of one series (a data file), and the target its actions are scored on. */
export interface LabelledSeries {
  /** Shown in the report, e.g. `realKnownCause/ec2_request_latency_system_failure.csv`. */
  name: string;
  windows: readonly { start: number; end: number }[];
  /** Only this target's actions count; undefined: every target's. */
  target?: string;
}

export interface ReplayReportInput {
  title?: string;
  /** "replay of recordings/x.jsonl with homeostat.yaml", "topics homeostat.* from … to …". */
  generatedFrom: string;
  /** Validated policy configs (parsePolicyConfig), for names, thresholds and signals. */
  policies: readonly PolicyConfig[];
  /** Effective modes, by policy name (a --mode override); default each config's mode. */
  modes?: Readonly<Record<string, string>>;
  /** Final signals (partial ones are ignored). */
  signals: readonly WindowSignal[];
  commands: readonly CommandRecord[];
  decisions: readonly DecisionRecord[];
  counters?: ReplayCounters;
  labels?: readonly LabelledSeries[];
  /** Which decisions count as actions when scoring (default: tightenings that passed the guardrails, any mode). */
  actions?: ActionFilter;
  score?: ScoreOptions;
  /** Targets charted per policy. Default 8. */
  maxTargets?: number;
}

export interface SeriesScore {
  name: string;
  target: string | null;
  score: Score;
}

export interface ReplayReport {
  report: Report;
  scores: SeriesScore[];
  /** All labelled series together; null without labels. */
  overall: Score | null;
  /** Telemetry gaps of the series (gaps.ts), apart from the actions; empty when none. */
  gaps: SeriesGaps[];
}

const CLASSES: readonly ActionClass[] = ['tighten', 'relax', 'renew', 'revert', 'lapse', 'blocked', 'escalated'];

function summaryTable(input: ReplayReportInput): Table {
  const rows: TableCell[][] = [];
  const c = input.counters;
  if (c !== undefined) {
    rows.push(['Records replayed', c.inputs]);
    if (c.firstEventTime !== null && c.lastEventTime !== null) {
      rows.push([
        'Event time',
        `${formatTimestamp(c.firstEventTime)} → ${formatTimestamp(c.lastEventTime)} ` +
          `(${formatDuration(c.lastEventTime - c.firstEventTime)})`,
      ]);
    }
    rows.push(
      ['Windows evaluated', c.evaluations],
      ['Final signals', c.finals],
      ['Late or rejected records (DLQ)', c.deadLettered + c.late],
    );
  } else {
    rows.push(['Final signals', input.signals.filter((s) => !s.partial).length]);
  }
  rows.push(['Commands', input.commands.length], ['Decisions', input.decisions.length]);
  const byKind = new Map<string, number>();
  for (const d of input.decisions) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1);
  for (const k of [...byKind.keys()].sort()) rows.push([`  ${k}`, byKind.get(k) as number]);
  for (const p of input.policies) rows.push([`Policy ${p.name}`, `${p.type}, mode ${input.modes?.[p.name] ?? p.mode}`]);
  return { columns: ['Replay', 'Value'], rows };
}

function perTargetTable(decisions: readonly DecisionRecord[], targets: readonly string[]): Table {
  const counts = new Map<string, Record<ActionClass, number>>();
  for (const t of targets) counts.set(t, Object.fromEntries(CLASSES.map((k) => [k, 0])) as Record<ActionClass, number>);
  for (const d of decisions) {
    const row = counts.get(d.target) ?? (Object.fromEntries(CLASSES.map((k) => [k, 0])) as Record<ActionClass, number>);
    counts.set(d.target, row);
    const cls = classifyDecision(d);
    if (cls !== 'other') row[cls]++;
  }
  const names = [...counts.keys()].sort();
  return {
    columns: ['Target', 'Tightened', 'Relaxed', 'Renewed', 'Reverted', 'Lapsed', 'Blocked', 'Escalated'],
    rows: names.map((t) => {
      const r = counts.get(t) as Record<ActionClass, number>;
      return [t, r.tighten, r.relax, r.renew, r.revert, r.lapse, r.blocked, r.escalated];
    }),
    notes: [
      'Counts of decisions, in any mode (shadowed and control-group decisions included): ' +
        'what the policy decided, whether or not it was enforced.',
    ],
  };
}

function scoringSections(scores: readonly SeriesScore[], overall: Score): Section[] {
  const fmt = (ms: number | null | undefined): TableCell =>
    ms === undefined || ms === null ? null : formatDuration(ms);
  const rows: TableCell[][] = scores.map((s) => [
    s.name,
    s.target ?? 'all',
    s.score.windows,
    s.score.windowsActedOn,
    fmt(s.score.meanDelayMs),
    fmt(s.score.meanLeadMs),
    s.score.actions,
    s.score.actionsOutsideWindows,
  ]);
  const perWindow: TableCell[][] = scores.flatMap((s) =>
    s.score.perWindow.map((w) => [
      s.name,
      formatTimestamp(w.start),
      formatTimestamp(w.end),
      w.actions,
      w.firstActionAt === null ? 'missed' : formatTimestamp(w.firstActionAt),
      fmt(w.delayMs),
      fmt(w.leadMs),
    ]),
  );
  const overallTable = scoringTable(overall);
  return [
    {
      title: 'Scoring against labelled incidents',
      description:
        `${overall.windowsActedOn} of ${overall.windows} labelled incident windows acted on; ` +
        `${overall.actionsOutsideWindows} of ${overall.actions} actions outside every window. ` +
        'An action is a tightening (the start or escalation of an intervention) that passed the guardrails, counted in every mode.',
      table: {
        columns: ['Series', 'Target', 'Windows', 'Acted on', 'Mean delay', 'Mean lead', 'Actions', 'Outside windows'],
        rows,
        notes: [
          ...(overallTable.notes ?? []),
          'Delay: window start to the first action in it. Lead: first action to the window end (how much of the incident was still ahead).',
        ],
      },
      charts: [],
    },
    {
      title: 'Incident windows',
      table: {
        columns: ['Series', 'Window start', 'Window end', 'Actions in it', 'First action', 'Delay', 'Lead'],
        rows: perWindow,
      },
      charts: [],
    },
  ];
}

/** The telemetry gaps, apart from the actions: where, and which labelled windows hold one. */
function gapSection(gaps: readonly SeriesGaps[], labels: readonly LabelledSeries[]): Section {
  const holds = (l: LabelledSeries, w: { start: number; end: number }) =>
    gaps.some((g) => (l.target === undefined || g.source === l.target) && g.at.some((t) => t >= w.start && t <= w.end));
  const windows = labels.flatMap((l) => l.windows.map((w) => ({ l, w })));
  const holding = windows.filter(({ l, w }) => holds(l, w)).length;
  return {
    title: 'Telemetry gaps',
    description:
      `${gaps.reduce((n, g) => n + g.at.length, 0)} window(s) in which a series reported exactly 0 after ` +
      `${GAP_LOOKBACK} windows above 0: no call completed, or no telemetry — not an overload, and not acted on.` +
      (windows.length > 0 ? ` ${holding} of ${windows.length} labelled windows hold one.` : ''),
    table: {
      columns: ['Series', 'Source', 'Metric', 'Window start'],
      rows: gaps.flatMap((g) => g.at.map((t) => [g.key, g.source, g.metric, formatTimestamp(t)])),
    },
    charts: [],
  };
}

function signalsOnlySection(signals: readonly WindowSignal[], incidents: readonly Span[]): Section {
  const bySeries = new Map<string, Point[]>();
  for (const s of signals) {
    if (s.partial || s.count <= 0) continue;
    const pts = bySeries.get(s.key) ?? [];
    pts.push([s.windowStart, s.mean]);
    bySeries.set(s.key, pts);
  }
  const keys = [...bySeries.keys()].sort().slice(0, 8);
  const charts: Chart[] = keys.map((k) => ({
    title: k,
    yLabel: 'window mean',
    xType: 'time',
    series: [{ name: k, points: bySeries.get(k) as Point[] }],
    spans: [...incidents],
  }));
  return {
    title: 'Signals',
    description: `No policy is configured: the window means of ${keys.length} of ${bySeries.size} series.`,
    charts,
  };
}

export function buildReplayReport(input: ReplayReportInput): ReplayReport {
  const labels = input.labels ?? [];
  const incidents = new Map<string, Span[]>();
  for (const l of labels) {
    const key = l.target ?? '*';
    const spans = incidents.get(key) ?? [];
    for (const w of l.windows)
      spans.push({ start: w.start, end: w.end, kind: 'incident', label: `labelled incident (${l.name})` });
    incidents.set(key, spans);
  }
  const scores: SeriesScore[] = labels.map((l) => {
    const actions = actionsFromDecisions(input.decisions, {
      ...input.actions,
      ...(l.target === undefined ? {} : { targets: [l.target] }),
    });
    return { name: l.name, target: l.target ?? null, score: scoreActions(l.windows, actions, input.score) };
  });
  const overall = scores.length === 0 ? null : combineScores(scores.map((s) => s.score));
  const sections: Section[] = [];
  if (overall !== null) sections.push(...scoringSections(scores, overall));
  const gaps = signalGaps(input.signals);
  if (gaps.length > 0) sections.push(gapSection(gaps, labels));
  for (const config of input.policies) {
    const pc = policyCharts({
      config,
      signals: input.signals,
      commands: input.commands,
      decisions: input.decisions,
      incidents,
      maxTargets: input.maxTargets,
    });
    const decisions = input.decisions.filter((d) => d.policy === config.name);
    const version = decisions[0]?.policyVersion;
    sections.push({
      title: `Policy ${config.name}`,
      description:
        `${config.type}${version === undefined ? '' : ` version ${version}`}, mode ${input.modes?.[config.name] ?? config.mode}; ` +
        `${pc.targets.length} target${pc.targets.length === 1 ? '' : 's'}` +
        (pc.omitted > 0 ? ` (the ${pc.targets.length - pc.omitted} with most decisions drawn)` : '') +
        '. ' +
        'Markers: decisions (renewals are shown as the lease going on); shaded: leases in force and labelled incident windows.',
      table: perTargetTable(decisions, pc.targets),
      charts: pc.charts,
    });
  }
  if (input.policies.length === 0) sections.push(signalsOnlySection(input.signals, [...incidents.values()].flat()));
  const report: Report = {
    title: input.title ?? 'homeostat replay report',
    generatedFrom: input.generatedFrom,
    summary:
      overall === null
        ? summaryTable(input)
        : { ...summaryTable(input), rows: [...summaryTable(input).rows, ...scoringTable(overall).rows] },
    sections,
  };
  return { report, scores, overall, gaps };
}
