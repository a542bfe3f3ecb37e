/**
 * `homeostat backtest`: sweep a policy's parameters over labelled recorded telemetry through the
 * replay core, choose a point on one part of the data, score it on the other, print the Pareto
 * table, and write the chosen config, the study (JSON) and its HTML page.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { configForPoint } from '../backtest/evaluate';
import type { LabelledRecords } from '../backtest/evaluate';
import { gapReport, withoutGapWindows, type GapReport } from '../backtest/gaps';
import { describePoint, expandGrid, parseGridFile, type GridPoint } from '../backtest/grid';
import { loadBacktestSeries } from '../backtest/load';
import { backtestReport, gapLines, paretoTable, summaryLines } from '../backtest/output';
import { runGrid } from '../backtest/run';
import {
  choosePoint,
  DEFAULT_AIMS,
  makeSplit,
  markPareto,
  studyPoint,
  type PointStudy,
  type SeriesOutcome,
  type Split,
  type SplitKind,
} from '../backtest/study';
import { ConfigError, HomeostatError } from '../errors';
import { loadConfig, type HomeostatConfig } from '../config/homeostat-config';
import { engineConfigFrom } from '../config/resolve-engine';
import { parsePolicyConfig } from '../policies';
import { writeReport } from '../report';
import { collect, parsePositiveInt } from '../replay/cli-support';
import type { LabelFormat } from '../replay/labels-load';

interface BacktestCliOptions {
  config?: string;
  grid?: string;
  labels?: string;
  dataFile?: string[];
  nabLabels?: string;
  metric: string;
  tag?: string[];
  valueScale?: string;
  split: string;
  workers?: string;
  outConfig?: string;
  json?: string;
  report?: string;
}

function tagsOf(args: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new HomeostatError('USAGE', `--tag must be key=value, got '${a}'`);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

function writeFile(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

/** Every point must make a valid policy: say which point and key before any replay (or worker) starts. */
function checkPoints(config: HomeostatConfig, policyIndex: number, points: readonly GridPoint[]): void {
  const issues: string[] = [];
  points.forEach((point, i) => {
    try {
      parsePolicyConfig(configForPoint(config, policyIndex, point).policies[policyIndex], `policies.${policyIndex}`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues.map((m) => `grid point #${i} (${describePoint(point)}): ${m}`));
    }
  });
  if (issues.length > 0) throw new ConfigError(issues.slice(0, 20));
}

/** The telemetry gaps of the series, printed apart from the actions, with the chosen point on the windows that hold none. */
function studyGaps(
  series: readonly LabelledRecords[],
  outcomes: readonly SeriesOutcome[],
  chosen: PointStudy,
  split: Split,
  windowMs: number,
): GapReport & { chosenWithoutGapWindows: PointStudy } {
  const gaps = gapReport(series);
  const without = studyPoint(
    chosen.index,
    chosen.point,
    withoutGapWindows(outcomes, series),
    split,
    windowMs,
    DEFAULT_AIMS,
  );
  process.stdout.write(`${gapLines(gaps, without).join('\n')}\n`);
  return { ...gaps, chosenWithoutGapWindows: without };
}

export function registerBacktestCommand(program: Command): void {
  program
    .command('backtest')
    .description(
      'sweep a policy parameter grid over labelled recordings: choose on one part, score on the other, Pareto table, chosen config',
    )
    .requiredOption('-c, --config <file>', 'the base YAML config (its policy is the one swept)')
    .requiredOption('--grid <file>', 'YAML: { policy?: name, grid: { dotted.path: [values…] } }')
    .requiredOption('--labels <format>', 'nab or ms')
    .option(
      '--data-file <csv[=series]>',
      'a labelled data file, repeatable; its series (target) is =series or the file name',
      collect,
    )
    .option('--nab-labels <file>', 'NAB combined_windows.json (default: found above the data file)')
    .option('--metric <name>', 'metric the files are imported as', 'query.latency_ms')
    .option('--tag <key=value>', 'tag added to every record (repeatable)', collect)
    .option('--value-scale <x>', 'multiply every value (as import --value-scale)')
    .option('--split <kind>', 'series (alternate series choose / score), time (first / second half) or none', 'series')
    .option('--workers <n>', "worker threads (default: the machine's cores)")
    .option('--out-config <file>', 'write the base config with the chosen point applied')
    .option('--json <file>', 'write the whole study as JSON')
    .option('--report <file>', 'write the study as an HTML page (trade-off chart)')
    .action(async (opts: BacktestCliOptions) => {
      const format = opts.labels as LabelFormat;
      if (format !== 'nab' && format !== 'ms')
        throw new HomeostatError('USAGE', `--labels must be nab or ms, got '${String(opts.labels)}'`);
      if ((opts.dataFile ?? []).length === 0)
        throw new HomeostatError('USAGE', '--data-file <csv> is required (repeatable)');
      const split = opts.split as SplitKind;
      if (!['series', 'time', 'none'].includes(split))
        throw new HomeostatError('USAGE', `--split must be series, time or none, got '${opts.split}'`);
      const valueScale = opts.valueScale === undefined ? undefined : Number(opts.valueScale);
      if (valueScale !== undefined && !Number.isFinite(valueScale))
        throw new HomeostatError('USAGE', `--value-scale must be a number, got '${opts.valueScale}'`);
      const config = loadConfig({ file: opts.config, env: {} });
      const grid = parseGridFile(parseYaml(readFileSync(opts.grid as string, 'utf8')) as unknown, opts.grid);
      const names = config.policies.map((p) =>
        p !== null && typeof p === 'object' ? (p as { name?: unknown }).name : undefined,
      );
      const policyIndex = grid.policy === undefined ? (names.length === 1 ? 0 : -1) : names.indexOf(grid.policy);
      if (policyIndex < 0)
        throw new HomeostatError(
          'USAGE',
          `${opts.grid}: name the swept policy with 'policy:' (one of ${names.map(String).join(', ')})`,
        );
      const series = await loadBacktestSeries(format, opts.dataFile ?? [], {
        metric: opts.metric,
        tags: tagsOf(opts.tag),
        valueScale,
        nabLabels: opts.nabLabels,
      });
      const points = expandGrid(grid.grid);
      checkPoints(config, policyIndex, points);
      const workers = parsePositiveInt(opts.workers, '--workers') ?? os.availableParallelism();
      const started = process.hrtime.bigint();
      const outcomes = await runGrid({
        config,
        policyIndex,
        series,
        points,
        workers,
        onPoint: (d, n) => process.stderr.write(`\r${d}/${n} points`),
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      process.stderr.write('\n');
      const times = series.flatMap((s) => s.records.map((r) => r.ts));
      const cutAt = (Math.min(...times) + Math.max(...times)) / 2;
      const windowMs = engineConfigFrom(config).window.advanceMs; // delay and lead in steps of the data
      const studies = markPareto(
        outcomes.map((o, i) => studyPoint(i, points[i], o, makeSplit(split, cutAt), windowMs, DEFAULT_AIMS)),
      );
      const chosen = choosePoint(studies);
      process.stdout.write(`${paretoTable(studies, chosen)}\n\n${summaryLines(chosen, split).join('\n')}\n`);
      const gaps = studyGaps(series, outcomes[chosen.index], chosen, makeSplit(split, cutAt), windowMs);
      process.stdout.write(
        `${points.length} points × ${series.length} series in ${seconds.toFixed(1)} s on ` +
          `${Math.min(workers, points.length)} worker thread(s)\n`,
      );
      if (opts.outConfig !== undefined) {
        const raw = parseYaml(readFileSync(opts.config as string, 'utf8')) as Record<string, unknown>;
        const chosenConfig = configForPoint(
          { ...config, policies: (raw.policies as unknown[]) ?? [] },
          policyIndex,
          chosen.point,
        );
        writeFile(
          opts.outConfig,
          `# Chosen by homeostat backtest (point #${chosen.index}, split ${split}) from ` +
            `${opts.config}\n${stringifyYaml({ ...raw, policies: chosenConfig.policies })}`,
        );
      }
      const study = {
        grid: grid.grid,
        policy: names[policyIndex],
        split,
        cutAt: split === 'time' ? cutAt : null,
        aims: DEFAULT_AIMS,
        series: series.map((s) => s.series),
        chosen: chosen.index,
        gaps,
        seconds,
        workers,
        points: studies,
      };
      if (opts.json !== undefined) writeFile(opts.json, `${JSON.stringify(study, null, 2)}\n`);
      if (opts.report !== undefined) {
        await writeReport(
          opts.report,
          backtestReport(
            studies,
            chosen,
            `Backtest of ${String(names[policyIndex])}`,
            `${points.length} points over ${series.map((s) => s.series).join(', ')} (split: ${split})`,
            gapLines(gaps, gaps.chosenWithoutGapWindows),
          ),
        );
      }
    });
}
