/**
 * The simulations as report sections (src/report model): an off/on comparison table and
 * the charts people look at, with the policy's thresholds drawn, commands as markers and
 * leases as spans. "Off" runs the same policies in shadow mode — they decide, nothing is
 * applied — so the two runs differ only in whether the loop is closed.
 */
import { HomeostatError } from '../errors';
import {
  OKABE_ITO,
  formatNumber,
  type Chart,
  type Marker,
  type Section,
  type Series,
  type Span,
  type Table,
  type TableCell,
} from '../report';
import type { ScenarioResult } from './types';

export const OFF_COLOR = OKABE_ITO.vermillion;
export const ON_COLOR = OKABE_ITO.blue;

/** Figures shown in the cross-scenario summary, per scenario: the whole run first, then the disturbance. */
export const HEADLINE: Readonly<Record<ScenarioResult['scenario'], readonly string[]>> = {
  'overloaded-workers': ['goodputRun', 'p99Run', 'goodputSurge', 'timeToRecover'],
  'thundering-herd': ['successShare', 'retryAmplification', 'peakToMean', 'timeToRecover'],
  'noisy-tenant': ['victimsP99Run', 'victimsP99', 'victimsP99Steady', 'timeToRecover'],
};

const DESCRIPTION: Readonly<Record<ScenarioResult['scenario'], string>> = {
  'overloaded-workers':
    '8 workers with hidden speeds (0.75–1.25×), 4 slots each, log-normal query costs; the offered load doubles for 90 s. ' +
    'Clients give up after 2 s, and the workers’ own timeout is 2 s too (a competent setting). ' +
    'Off: that static setting. On: adaptive-timeout on its documented defaults cuts a worker’s timeout (AIMD) from its own ' +
    'queue and latency signals, one worker at a time (the default blast radius).',
  'thundering-herd':
    '200 clients at 1 request/s each call a 300 requests/s service that is down for 15 s; the clients run the retry library’s ' +
    'defaults (full jitter, 3 attempts), and every rejection costs the service 15% of a served request. ' +
    'Off: the clients’ own policy. On: herd-control on its defaults sees the retry share during the outage and pushes its ' +
    'level-0 policy, escalating while the storm lasts.',
  'noisy-tenant':
    'Five tenants (alpha weighted 2) share a 100 MB/s cluster at 65% load; omega bursts to 5× for 90 s, past capacity. ' +
    'Off: no quotas, everyone queues behind the burst. On: watermark-quota on its defaults throttles omega to its weighted ' +
    'fair share of 77.5% of capacity (between the 70% and 85% watermarks), and the others keep their latency.',
};

function cell(v: number | null, unit: string): TableCell {
  if (v === null || !Number.isFinite(v)) return null;
  return unit === '' ? (Number.isInteger(v) ? v : Number(v.toPrecision(4))) : `${formatNumber(v)} ${unit}`;
}

/** The off/on comparison table of one scenario. */
export function comparisonTable(off: ScenarioResult, on: ScenarioResult): Table {
  const rows: TableCell[][] = [];
  const better: NonNullable<Table['compare']>['better'] = [];
  const notes: string[] = [];
  for (const f of on.figures) {
    const o = off.figures.find((x) => x.key === f.key);
    rows.push([f.label, cell(o?.value ?? null, f.unit), cell(f.value, f.unit)]);
    better.push(f.better);
    if (f.note !== undefined) notes.push(`${f.label}: ${f.note}.`);
  }
  notes.push(
    `Seed ${on.seed}; off = policies in shadow mode (decide, never act), on = enforce. — = not reached within the run.`,
  );
  return {
    columns: ['figure', 'homeostat off', 'homeostat on'],
    rows,
    compare: { baseline: 1, candidate: 2, better },
    notes,
  };
}

/** Overlapping lease spans merged into one band each (a fleet chart would otherwise stack eight). */
export function mergedLeases(spans: readonly Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: { start: number; end: number; targets: Set<string> }[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s.start <= last.end) {
      last.end = Math.max(last.end, s.end);
      last.targets.add(s.label);
    } else out.push({ start: s.start, end: s.end, targets: new Set([s.label]) });
  }
  return out.map((o) => ({
    start: o.start,
    end: o.end,
    kind: 'lease',
    label: o.targets.size === 1 ? [...o.targets][0] : `leases on ${o.targets.size} targets`,
  }));
}

/**
 * The disturbance band and the lease bands of the on run. A lease that starts within a label's
 * width of the disturbance would print its label over the disturbance's: it keeps only its
 * tooltip (≈6.2 px per character at 11 px, on a plot about 900 px wide).
 */
export function spansFor(on: ScenarioResult): Span[] {
  const d = on.disturbance;
  const kind = on.scenario === 'thundering-herd' ? 'outage' : 'incident';
  const msPerPx = on.durationMs / 900;
  const clear = (d.label.length * 6.2 + 16) * msPerPx;
  const leases = mergedLeases(on.leases).map((l) => (Math.abs(l.start - d.start) < clear ? { ...l, label: '' } : l));
  return [{ start: d.start, end: d.end, label: d.label, kind }, ...leases];
}

interface ChartOpts {
  thresholds?: boolean;
  logY?: boolean;
  /** Extra series drawn after off/on (e.g. offered load). */
  extra?: Series[];
  yMin?: number;
  /** Which markers to draw (default: everything but relax). */
  markers?: (m: Marker) => boolean;
}

const notRelax = (m: Marker): boolean => m.kind !== 'relax';

/** One signal, off and on, on one chart: the on run's thresholds, markers and leases. */
export function offOnChart(
  title: string,
  yLabel: string,
  off: ScenarioResult,
  on: ScenarioResult,
  key: string,
  opts: ChartOpts = {},
): Chart {
  const a = off.series[key];
  const b = on.series[key];
  if (a === undefined || b === undefined)
    throw new HomeostatError(
      'USAGE',
      `no series '${key}' in the ${on.scenario} results (have: ${Object.keys(on.series).join(', ')})`,
    );
  return {
    title,
    yLabel,
    xType: 'time',
    series: [
      { name: `off — ${a.name}`, points: a.points, color: OFF_COLOR, style: a.style },
      { name: `on — ${b.name}`, points: b.points, color: ON_COLOR, style: b.style },
      ...(opts.extra ?? []),
    ],
    thresholds: opts.thresholds === false ? [] : (on.thresholds[key] ?? []),
    markers: on.markers.filter(opts.markers ?? notRelax),
    spans: spansFor(on),
    logY: opts.logY,
    yMin: opts.yMin,
  };
}

function settingsChart(title: string, yLabel: string, on: ScenarioResult, prefix: string, logY: boolean): Chart {
  const keys = Object.keys(on.series)
    .filter((k) => k.startsWith(prefix))
    .sort();
  return {
    title,
    yLabel,
    xType: 'time',
    series: keys.map((k) => ({ name: on.series[k].name, points: on.series[k].points, style: 'step' })),
    markers: on.markers,
    spans: spansFor(on).slice(0, 1),
    logY,
  };
}

function charts(off: ScenarioResult, on: ScenarioResult): Chart[] {
  switch (on.scenario) {
    case 'overloaded-workers':
      return [
        offOnChart('Queue depth of the worst worker (window mean)', 'queries', off, on, 'queueMax', { logY: true }),
        offOnChart('Goodput: queries answered within the 2 s deadline', 'queries/s', off, on, 'goodput', {
          extra: [{ name: 'offered load', points: on.series.offered.points, color: OKABE_ITO.black }],
          yMin: 0,
        }),
        offOnChart('p99 latency of the worst worker', 'ms', off, on, 'p99Max', { logY: true }),
        settingsChart('Query timeout in force per worker (on)', 'ms', on, 'timeout:', true),
      ];
    case 'thundering-herd':
      return [
        offOnChart('Load at the service (all attempts)', 'requests/s', off, on, 'attempts', {
          extra: [
            { name: 'off — of which retries', points: off.series.retries.points, color: OKABE_ITO.orange },
            { name: 'on — of which retries', points: on.series.retries.points, color: OKABE_ITO.skyBlue },
          ],
          yMin: 0,
        }),
        offOnChart(
          'Retry share of requests (herd-control’s storm signal)',
          'retries / requests',
          off,
          on,
          'retryShare',
          { yMin: 0 },
        ),
        offOnChart('Logical requests that succeeded', 'requests/s', off, on, 'succeeded', {
          extra: [{ name: 'logical requests started', points: on.series.offered.points, color: OKABE_ITO.black }],
          yMin: 0,
        }),
        settingsChart('Retry policy in force at the clients (on)', 'level', on, 'retryLevel', false),
      ];
    case 'noisy-tenant':
      return [
        offOnChart('Cluster utilization', 'ingress ÷ capacity', off, on, 'utilization', { yMin: 0 }),
        offOnChart('p99 latency of the other tenants', 'ms', off, on, 'p99Victims', { logY: true }),
        offOnChart('omega’s ingress (the bursting tenant)', 'bytes/s', off, on, 'in:omega', {
          extra:
            on.series['quota:omega'] === undefined
              ? []
              : [
                  {
                    name: 'on — omega’s quota',
                    points: on.series['quota:omega'].points,
                    style: 'step',
                    color: OKABE_ITO.bluishGreen,
                  },
                ],
          yMin: 0,
          markers: () => true,
        }),
        {
          title: 'Ingress per tenant (on)',
          yLabel: 'bytes/s',
          xType: 'time',
          series: Object.keys(on.series)
            .filter((k) => k.startsWith('in:'))
            .sort()
            .map((k) => ({ name: on.series[k].name, points: on.series[k].points })),
          spans: spansFor(on),
          markers: on.markers,
          yMin: 0,
        },
      ];
  }
}

/** One report section comparing a scenario's off and on runs. */
export function scenarioReport(off: ScenarioResult, on: ScenarioResult): Section {
  if (off.scenario !== on.scenario || off.remediation || !on.remediation) {
    throw new HomeostatError(
      'USAGE',
      `scenarioReport needs the same scenario without and with remediation (got ${off.scenario}/${String(off.remediation)} and ` +
        `${on.scenario}/${String(on.remediation)})`,
    );
  }
  return {
    title: on.title,
    description: DESCRIPTION[on.scenario],
    table: comparisonTable(off, on),
    charts: charts(off, on),
  };
}

/** The headline rows of every scenario, for the report's summary table. */
export function summaryTable(pairs: readonly { off: ScenarioResult; on: ScenarioResult }[]): Table {
  const rows: TableCell[][] = [];
  const better: NonNullable<Table['compare']>['better'] = [];
  for (const { off, on } of pairs) {
    for (const key of HEADLINE[on.scenario]) {
      const f = on.figures.find((x) => x.key === key);
      const o = off.figures.find((x) => x.key === key);
      if (f === undefined) continue;
      rows.push([on.title.split(':')[0], f.label, cell(o?.value ?? null, f.unit), cell(f.value, f.unit)]);
      better.push(f.better);
    }
  }
  return {
    columns: ['scenario', 'figure', 'homeostat off', 'homeostat on'],
    rows,
    compare: { baseline: 2, candidate: 3, better },
    notes: [
      'Each scenario runs twice with the same seed: off = the policies in shadow mode, on = enforce. Details and every figure ' +
        'in the sections below.',
    ],
  };
}
