import { resolve } from 'node:path';
import type { Command } from 'commander';
import { HomeostatError } from '../errors';
import { writeReport, type Table } from '../report';
import { runAllScenarios } from '../sim';

interface DemoOptions {
  seed: string;
  out: string;
}

/**
 * `homeostat demo`: the three closed-loop scenarios in-process (no Kafka), remediation off
 * and on, a summary table on stdout and a self-contained HTML report.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the three self-healing scenarios with remediation off and on; print the figures and write an HTML report')
    .option('--seed <n>', 'seed of the simulations (same seed, same figures and report)', '1')
    .option('--out <dir>', 'folder for report.html', 'out')
    .action(async (opts: DemoOptions) => {
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new HomeostatError('USAGE', `--seed must be an integer, got '${opts.seed}'`);
      const started = Date.now();
      process.stderr.write('running overloaded workers, thundering herd and noisy tenant, each with remediation off and on...\n');
      const { report } = runAllScenarios({ seed });
      const file = resolve(opts.out, 'report.html');
      const bytes = await writeReport(file, report);
      if (report.summary) process.stdout.write(`${formatTable(report.summary)}\n`);
      for (const note of report.summary?.notes ?? []) process.stdout.write(`  ${note}\n`);
      process.stdout.write(`\nreport: ${file} (${Math.round(bytes / 1024)} KiB), ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    });
}

/** A plain-text table: first column left-aligned, numbers right-aligned. */
export function formatTable(t: Table): string {
  const cell = (v: string | number | null): string => (v === null ? '—' : typeof v === 'number' ? formatNumber(v) : v);
  const rows = [t.columns, ...t.rows.map((r) => r.map(cell))];
  const widths = t.columns.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  // Columns of figures (every cell starts like a number) are right-aligned, text left-aligned.
  const numeric = t.columns.map((_, i) => rows.slice(1).every((r) => /^[-+−]?[\d.,]|^—$/.test(r[i] ?? '')));
  const line = (r: string[]): string => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);
}
