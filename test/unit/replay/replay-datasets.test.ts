/**
 * End to end on files only: every series in data imports, replays through the
 * example config of its family (examples/*.yaml) and is scored against its labels in a report
 * that renders. The mapping here is the one docs/replay.md and the example headers document.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Telemetry } from '../../../src/model/telemetry';
import { loadConfig } from '../../../src/config/homeostat-config';
import { parsePolicyConfig } from '../../../src/policies';
import { renderReport } from '../../../src/report';
import { importAll } from '../../../src/import';
import { loadLabelledSeries, type LabelFormat } from '../../../src/replay/labels-load';
import { mergeByEventTime } from '../../../src/replay/merge';
import { replayRecordsSync } from '../../../src/replay/replay';
import { buildReplayReport } from '../../../src/replay/report-model';
import { replaySetupFromConfig } from '../../../src/replay/setup';

const DATA = path.resolve(process.cwd(), 'data');
const EXAMPLES = path.resolve(process.cwd(), 'examples');

interface Series {
  file: string;
  source: string;
  metric: string;
  tags?: Record<string, string>;
  valueScale?: number;
  labels: LabelFormat;
  /** Labelled windows in the data (NAB combined_windows.json, runs of Microsoft Label=1). */
  windows: number;
  /** Score only this target's actions against the file's windows (a fleet replayed together). */
  target?: string;
}

interface Family {
  name: string;
  config: string;
  /** Replayed together, one partition each (the Mongo tenants share one timeline). */
  series: Series[];
}

const nab = (f: string): string => path.join(DATA, 'nab', f);
const ms = (f: string): string => path.join(DATA, 'ms-cloud-monitoring', f);
const mongo = (i: string, windows: number): Series => ({
  file: ms(`mongodb-application-rps/mongo-${i}.csv`),
  source: `mongo-${i}`,
  metric: 'tenant.requests',
  tags: { tenant: `mongo-${i}` },
  valueScale: 60,
  labels: 'ms',
  windows,
});

const outbound = (i: number, windows: number): Series => ({
  file: ms(`middle-tier-api-dependency-latency/outbound-0${i}.csv`),
  source: `outbound-0${i}`,
  metric: 'query.latency_ms',
  labels: 'ms',
  windows,
  target: `outbound-0${i}`,
});

const FAMILIES: Family[] = [
  {
    name: 'latency',
    config: 'nab-latency.yaml',
    series: [
      {
        file: nab('realKnownCause/ec2_request_latency_system_failure.csv'),
        source: 'ec2-latency',
        metric: 'query.latency_ms',
        labels: 'nab',
        windows: 3,
      },
    ],
  },
  {
    name: 'cpu asg',
    config: 'cpu.yaml',
    series: [
      {
        file: nab('realKnownCause/cpu_utilization_asg_misconfiguration.csv'),
        source: 'asg',
        metric: 'cpu.util',
        valueScale: 0.01,
        labels: 'nab',
        windows: 1,
      },
    ],
  },
  {
    name: 'cpu ec2',
    config: 'cpu.yaml',
    series: [
      {
        file: nab('realAWSCloudwatch/ec2_cpu_utilization_fe7f93.csv'),
        source: 'ec2-fe7f93',
        metric: 'cpu.util',
        valueScale: 0.01,
        labels: 'nab',
        windows: 3,
      },
    ],
  },
  {
    name: 'cpu rds',
    config: 'cpu.yaml',
    series: [
      {
        file: nab('realAWSCloudwatch/rds_cpu_utilization_e47b3b.csv'),
        source: 'rds-e47b3b',
        metric: 'cpu.util',
        valueScale: 0.01,
        labels: 'nab',
        windows: 2,
      },
    ],
  },
  {
    name: 'elb requests',
    config: 'nab-requests.yaml',
    series: [
      {
        file: nab('realAWSCloudwatch/elb_request_count_8c0756.csv'),
        source: 'elb-8c0756',
        metric: 'requests',
        tags: { service: 'elb' },
        labels: 'nab',
        windows: 2,
      },
    ],
  },
  {
    name: 'api rps',
    config: 'ms-api.yaml',
    series: [
      {
        file: ms('ecommerce-api-incoming-rps/api-01.csv'),
        source: 'api-01',
        metric: 'requests',
        tags: { service: 'api' },
        valueScale: 3600,
        labels: 'ms',
        windows: 19,
      },
    ],
  },
  {
    name: 'mongo tenants',
    config: 'ms-rps.yaml',
    series: [mongo('01', 0), mongo('02', 1), mongo('03', 1), mongo('04', 0)],
  },
  {
    name: 'outbound latency fleet',
    config: 'ms-latency.yaml',
    series: [
      outbound(1, 2),
      outbound(2, 9),
      outbound(3, 3),
      outbound(4, 3),
      outbound(5, 4),
      outbound(6, 1),
      outbound(7, 4),
      outbound(8, 2),
    ],
  },
];

describe('every recorded dataset in data/ imports, replays and is scored in a report', () => {
  it('covers every CSV in the data folder', () => {
    const covered = FAMILIES.flatMap((f) => f.series.map((s) => s.file));
    const csvs = readdirSync(DATA, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.csv'))
      .map((f) => path.join(DATA, f));
    expect(csvs.length).toBeGreaterThan(0);
    expect([...new Set(covered)].sort()).toEqual(csvs.sort());
  });

  it.each(FAMILIES.map((f) => [f.name, f] as const))(
    '%s',
    async (_name, family) => {
      const config = loadConfig({ file: path.join(EXAMPLES, family.config), env: {} });
      const imported: Telemetry[][] = [];
      for (const s of family.series) {
        const r = await importAll(s.file, {
          mapping: { source: s.source, metric: s.metric, tags: s.tags ?? {}, valueScale: s.valueScale },
        });
        expect(r.errors).toEqual([]);
        imported.push(r.records);
      }
      const partitions = family.series.map((_, i) => i);
      const setup = replaySetupFromConfig(config, { partitions, env: {} });
      const inputs = imported.map((records, partition) =>
        records.map((record, offset) => ({ partition, offset, record })),
      );
      const result = replayRecordsSync(mergeByEventTime(inputs), setup);
      const total = imported.reduce((n, r) => n + r.length, 0);
      expect(result.counters.inputs).toBe(total);
      // Nothing is lost: every record lands in a window (the files are in time order).
      expect(result.counters.aggregated).toBe(total);
      expect(result.signals.length).toBeGreaterThan(0);

      const labels = await Promise.all(
        family.series.map((s) => loadLabelledSeries(s.labels, s.file, { target: s.target ?? s.tags?.tenant })),
      );
      expect(labels.map((l) => l.windows.length)).toEqual(family.series.map((s) => s.windows));
      const built = buildReplayReport({
        generatedFrom: `replay of ${family.name}`,
        policies: config.policies.map((p, i) => parsePolicyConfig(p, `policies.${i}`)),
        signals: result.signals,
        commands: result.commands,
        decisions: result.decisions,
        counters: result.counters,
        labels,
      });
      const overall = built.overall;
      expect(overall).not.toBeNull();
      expect(overall?.windows).toBe(family.series.reduce((n, s) => n + s.windows, 0));
      expect(overall?.actionsInWindows).toBe((overall?.actions ?? 0) - (overall?.actionsOutsideWindows ?? 0));
      // A policy section with at least one chart of the signal it reads, with the incident windows on it.
      const policy = built.report.sections.find((s) => s.title.startsWith('Policy '));
      expect(policy?.charts.length).toBeGreaterThan(0);
      const spans = policy?.charts.flatMap((c) => c.spans ?? []) ?? [];
      if ((overall?.windows ?? 0) > 0) expect(spans.some((s) => s.kind === 'incident')).toBe(true);
      const html = renderReport(built.report);
      expect(html).toContain('<svg');
      expect(html).toContain('Scoring against labelled incidents');
      // A whole dataset imported, replayed and rendered: seconds on a loaded 2-core machine, more
      // than jest's 5 s default (a guard against a hang, not a timing assertion).
    },
    60_000,
  );
});
