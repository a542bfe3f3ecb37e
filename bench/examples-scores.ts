/**
 * Every example config on the recordings it was written for, scored against their labelled
 * windows: windows acted on, actions outside every window, mean delay and lead in windows of the
 * data step — the figures docs/replay.md quotes. Deterministic (a replay), so no timing here.
 *
 *   npx tsx bench/examples-scores.ts        → bench/results/examples-scores/<time>.json
 */
import { join } from 'node:path';
import { evaluatePoint } from '../src/backtest/evaluate';
import { loadBacktestSeries } from '../src/backtest/load';
import { DEFAULT_AIMS, figures } from '../src/backtest/study';
import { loadConfig } from '../src/config/homeostat-config';
import { engineConfigFrom } from '../src/config/resolve-engine';
import type { LabelFormat } from '../src/replay/labels-load';
import { writeResult } from './lib/results';

const ROOT = join(__dirname, '..');
const nab = (f: string, name: string) => `${join(ROOT, 'data/nab', f)}=${name}`;
const ms = (f: string, name: string) => `${join(ROOT, 'data/ms-cloud-monitoring', f)}=${name}`;

interface Example {
  config: string;
  labels: LabelFormat;
  metric: string;
  valueScale?: number;
  tags?: Record<string, string>;
  files: string[];
}

const EXAMPLES: Example[] = [
  {
    config: 'ms-latency.yaml',
    labels: 'ms',
    metric: 'query.latency_ms',
    files: [1, 2, 3, 4, 5, 6, 7, 8].map((i) =>
      ms(`middle-tier-api-dependency-latency/outbound-0${i}.csv`, `outbound-0${i}`),
    ),
  },
  {
    config: 'nab-latency.yaml',
    labels: 'nab',
    metric: 'query.latency_ms',
    files: [nab('realKnownCause/ec2_request_latency_system_failure.csv', 'ec2-latency')],
  },
  {
    config: 'cpu.yaml',
    labels: 'nab',
    metric: 'cpu.util',
    valueScale: 0.01,
    files: [
      nab('realKnownCause/cpu_utilization_asg_misconfiguration.csv', 'asg'),
      nab('realAWSCloudwatch/ec2_cpu_utilization_fe7f93.csv', 'ec2-fe7f93'),
      nab('realAWSCloudwatch/rds_cpu_utilization_e47b3b.csv', 'rds-e47b3b'),
    ],
  },
  {
    config: 'nab-requests.yaml',
    labels: 'nab',
    metric: 'requests',
    files: [nab('realAWSCloudwatch/elb_request_count_8c0756.csv', 'elb-8c0756')],
  },
  {
    config: 'ms-api.yaml',
    labels: 'ms',
    metric: 'requests',
    valueScale: 3600,
    files: [ms('ecommerce-api-incoming-rps/api-01.csv', 'api-01')],
  },
];

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  for (const e of EXAMPLES) {
    const config = loadConfig({ file: join(ROOT, 'examples', e.config), env: {} });
    const series = await loadBacktestSeries(e.labels, e.files, {
      metric: e.metric,
      tags: e.tags ?? {},
      valueScale: e.valueScale,
    });
    const outcomes = evaluatePoint({ config, policyIndex: 0, point: {}, series });
    const f = figures(outcomes, engineConfigFrom(config).window.advanceMs, DEFAULT_AIMS);
    results.push({ config: e.config, ...f, series: series.map((s) => s.series) });
    process.stdout.write(
      `${e.config.padEnd(18)} ${f.windowsActedOn}/${f.windows} windows acted on, ${f.actionsOutside}/${f.actions} actions outside, delay ${f.meanDelayWindows?.toFixed(2) ?? '—'} windows\n`,
    );
  }
  const file = writeResult('examples-scores', { aims: DEFAULT_AIMS, examples: results });
  process.stdout.write(`wrote ${file}\n`);
}

void main();
