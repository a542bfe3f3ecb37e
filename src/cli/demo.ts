import { resolve } from 'node:path';
import type { Command } from 'commander';
import { HomeostatError } from '../errors';
import { writeReport, type Report, type Table } from '../report';
import { RECOVERY_SPAN_MS, runAllScenarios, scenarioDurationLimits, SCENARIOS, type ScenarioName } from '../sim';
import { printKafkaRuns, progressPrinter, runDemoOnBrokers } from './demo-brokers';

interface DemoOptions {
  seed: string;
  out: string;
  scenarios?: string;
  duration?: string;
  brokers?: string;
  registry?: string;
  prefix: string;
  keepTopics?: boolean;
}

/**
 * `homeostat demo`: the three closed-loop scenarios, remediation off and on, a summary table
 * on stdout and a self-contained HTML report. In-process by default (no Kafka); with
 * `--brokers` the on runs go through the real topics (src/demo).
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the three self-healing scenarios with remediation off and on; print the figures and write an HTML report',
    )
    .option('--seed <n>', 'seed of the simulations (same seed, same figures and report)', '1')
    .option('--out <dir>', 'folder for report.html', 'out')
    .option('--scenarios <list>', `comma-separated subset of ${SCENARIOS.join(', ')} (default: all)`)
    .option(
      '--duration <s>',
      'simulated seconds per run (default: each scenario its own, 150-240 s; at least its disturbance plus 30 s)',
    )
    .option(
      '--brokers <list>',
      'run remediation on through the real topics of these Kafka brokers (host:port[,host:port]): telemetry topic → ' +
        'homeostat runner → signed commands on the actions topic → executor SDK → action results; off stays in-process',
    )
    .option(
      '--registry <url>',
      'with --brokers: Schema Registry URL; telemetry, commands and results as Avro (default JSON)',
    )
    .option(
      '--prefix <name>',
      'with --brokers: prefix of the run’s topics, groups and transactional ids (each run adds its own id)',
      'homeostat-demo',
    )
    .option(
      '--keep-topics',
      'with --brokers: leave the run’s topics on the cluster to inspect them (default: deleted at the end)',
    )
    .addHelpText(
      'after',
      '\nWith --brokers each scenario takes 15-40 s of wall time: simulated time advances one second at a time,\n' +
        "in lockstep with the processor and the executor, so the figures and commands equal the in-process run's.\n" +
        'Progress goes to stderr, the table to stdout.',
    )
    .action(async (opts: DemoOptions) => {
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new HomeostatError('USAGE', `--seed must be an integer, got '${opts.seed}'`);
      const scenarios = parseScenarios(opts.scenarios);
      const durationMs = parseDuration(opts.duration);
      checkDuration(scenarios, durationMs);
      if (opts.brokers === undefined && (opts.registry !== undefined || opts.keepTopics)) {
        throw new HomeostatError(
          'USAGE',
          '--registry and --keep-topics apply to a run through Kafka; add --brokers <host:port>',
        );
      }
      const started = Date.now();
      let report: Report;
      if (opts.brokers !== undefined) {
        const r = await runDemoOnBrokers({
          seed,
          scenarios,
          durationMs,
          brokers: opts.brokers,
          registry: opts.registry,
          prefix: opts.prefix,
          keepTopics: opts.keepTopics === true,
          progress: progressPrinter(process.stderr),
        });
        report = r.report;
        printTable(report);
        printKafkaRuns(process.stdout, r.runs);
      } else {
        process.stderr.write(`running ${scenarios.join(', ')}, each with remediation off and on...\n`);
        report = runAllScenarios({ seed, scenarios, durationMs }).report;
        printTable(report);
      }
      const file = resolve(opts.out, 'report.html');
      const bytes = await writeReport(file, report);
      process.stdout.write(
        `\nreport: ${file} (${Math.round(bytes / 1024)} KiB), ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
    });
}

function printTable(report: Report): void {
  if (report.summary) process.stdout.write(`${formatTable(report.summary)}\n`);
  for (const note of report.summary?.notes ?? []) process.stdout.write(`  ${note}\n`);
}

export function parseScenarios(list: string | undefined): ScenarioName[] {
  if (list === undefined) return [...SCENARIOS];
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = names.filter((n) => !SCENARIOS.includes(n as ScenarioName));
  if (names.length === 0 || unknown.length > 0) {
    throw new HomeostatError(
      'USAGE',
      `--scenarios ${JSON.stringify(list)}: ${unknown.length > 0 ? `unknown ${unknown.join(', ')}` : 'empty'}; use a ` +
        `comma-separated subset of ${SCENARIOS.join(', ')}`,
      { field: 'scenarios' },
    );
  }
  return SCENARIOS.filter((s) => names.includes(s));
}

export function parseDuration(seconds: string | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  const s = Number(seconds);
  if (!Number.isInteger(s) || s <= 0)
    throw new HomeostatError('USAGE', `--duration must be a whole number of simulated seconds, got '${seconds}'`, {
      field: 'duration',
    });
  return s * 1000;
}

/** Refuses a --duration that a chosen scenario cannot run, before anything runs. */
export function checkDuration(scenarios: readonly ScenarioName[], durationMs: number | undefined): void {
  if (durationMs === undefined) return;
  const refused = scenarios
    .map((s) => ({ s, l: scenarioDurationLimits(s) }))
    .filter(({ l }) => durationMs < l.minMs || durationMs > l.maxMs);
  if (refused.length === 0) return;
  throw new HomeostatError(
    'USAGE',
    `--duration ${durationMs / 1000}: ` +
      `${refused.map(({ s, l }) => `${s} runs ${l.minMs / 1000}-${l.maxMs / 1000} s`).join(', ')} (a run covers the ` +
      `disturbance plus ${RECOVERY_SPAN_MS / 1000} s to recover); ` +
      "give a length every chosen scenario accepts, pick scenarios with --scenarios, or omit --duration for each one's default",
    { field: 'duration' },
  );
}

/** A plain-text table: first column left-aligned, numbers right-aligned. */
export function formatTable(t: Table): string {
  const cell = (v: string | number | null): string => (v === null ? '—' : typeof v === 'number' ? formatNumber(v) : v);
  const rows = [t.columns, ...t.rows.map((r) => r.map(cell))];
  const widths = t.columns.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  // Columns of figures (every cell starts like a number) are right-aligned, text left-aligned.
  const numeric = t.columns.map((_, i) => rows.slice(1).every((r) => /^[-+−]?[\d.,]|^—$/.test(r[i] ?? '')));
  const line = (r: string[]): string =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);
}
