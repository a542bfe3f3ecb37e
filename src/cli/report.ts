import type { Command } from 'commander';
import { createRecordCodec, type CommandRecord, type DecisionRecord } from '../codec';
import { HomeostatError } from '../errors';
import { createKafka, explainKafkaError } from '../kafka/client';
import { createRegistryResolver } from '../kafka/registry';
import type { WindowSignal } from '../model/signal';
import { loadConfig, type HomeostatConfig } from '../config/homeostat-config';
import { parsePolicyConfig, type PolicyConfig } from '../policies';
import { writeReport } from '../report';
import { collect, parseMode, parsePositiveInt, parseTimeArg } from '../replay/cli-support';
import { loadLabelledSeries, parseDataFileArg, type LabelFormat } from '../replay/labels-load';
import { formatBytes } from '../replay/progress';
import type { ReplayCounters } from '../replay/replay';
import { buildReplayReport, type LabelledSeries } from '../replay/report-model';
import { replaySetupFromConfig } from '../replay/setup';
import { readTopicRange } from '../replay/topic-read';
import { decodeTopicRecords } from '../replay/topic-io';
import { addConnectionOptions, type ConnectionOptions } from './options';
import { openReplaySource, runReplay } from './replay';

interface ReportCliOptions extends ConnectionOptions {
  replayInput?: string[];
  fromTopics?: boolean;
  from?: string;
  to?: string;
  labels?: string;
  dataFile?: string[];
  nabLabels?: string;
  shiftTo?: string;
  mode?: string;
  title?: string;
  maxTargets?: string;
  out?: string;
  progress?: boolean;
}

interface ReportData {
  signals: WindowSignal[];
  commands: CommandRecord[];
  decisions: DecisionRecord[];
  counters?: ReplayCounters;
  modes: Record<string, string>;
  generatedFrom: string;
}

async function fromReplay(
  config: HomeostatConfig,
  files: readonly string[],
  opts: ReportCliOptions,
): Promise<ReportData> {
  const source = await openReplaySource(config, { inputs: files });
  const setup = replaySetupFromConfig(config, {
    partitions: source.partitions,
    partitionCount: source.partitions.length,
    mode: parseMode(opts.mode),
  });
  const signals: WindowSignal[] = [];
  const commands: CommandRecord[] = [];
  const decisions: DecisionRecord[] = [];
  const { counters } = await runReplay(
    setup,
    source,
    {
      signals: (s) => {
        for (const x of s) signals.push(x);
      },
      commands: (c) => {
        for (const x of c) commands.push(x);
      },
      decisions: (d) => {
        for (const x of d) decisions.push(x);
      },
    },
    opts.progress !== false,
  );
  const modes = Object.fromEntries(setup.policies.map((p) => [p.name, p.mode]));
  return {
    signals,
    commands,
    decisions,
    counters,
    modes,
    generatedFrom: `replay of ${files.join(', ')}${opts.config === undefined ? '' : ` with ${opts.config}`}`,
  };
}

async function fromTopics(
  config: HomeostatConfig,
  from: number | undefined,
  to: number | undefined,
): Promise<ReportData> {
  const kafka = createKafka(config.kafka);
  const resolver = createRegistryResolver(config.registry);
  const t = config.topics;
  try {
    const [rs, rc, rd] = await Promise.all([
      readTopicRange(kafka, t.signals, { from, to }),
      readTopicRange(kafka, t.actions, { from, to }),
      readTopicRange(kafka, t.decisions, { from, to }),
    ]);
    const signals = await decodeTopicRecords(rs, createRecordCodec('signal').createDecoder({ resolver }));
    const commands = await decodeTopicRecords(rc, createRecordCodec('command').createDecoder({ resolver }));
    const decisions = await decodeTopicRecords(rd, createRecordCodec('decision').createDecoder({ resolver }));
    // Partitions are keyed by target: put the audit records back in event-time order.
    commands.records.sort(
      (a, b) =>
        a.issuedAt - b.issuedAt ||
        cmp(a.policy, b.policy) ||
        cmp(a.target, b.target) ||
        cmp(a.type, b.type) ||
        cmp(a.id, b.id),
    );
    decisions.records.sort(
      (a, b) => a.eventTime - b.eventTime || cmp(a.policy, b.policy) || cmp(a.target, b.target) || cmp(a.id, b.id),
    );
    const range =
      `${from === undefined ? 'the beginning' : new Date(from).toISOString()} → ` +
      `${to === undefined ? 'the end' : new Date(to).toISOString()}`;
    const skipped = signals.invalid + commands.invalid + decisions.invalid;
    return {
      signals: signals.records.filter((s) => !s.partial),
      commands: commands.records,
      decisions: decisions.records,
      modes: {},
      generatedFrom:
        `topics ${t.signals}, ${t.actions}, ${t.decisions} from ` +
        `${range}${skipped > 0 ? ` (${skipped} undecodable records skipped)` : ''}`,
    };
  } catch (err) {
    if (err instanceof HomeostatError && err.code !== 'KAFKA') throw err;
    throw explainKafkaError(err, config.kafka.brokers);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function registerReportCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('report')
      .description(
        'an HTML report of a replay (or of a live run from its topics): signals with thresholds, commands, leases, and ' +
          'scoring against labelled incidents',
      )
      .option(
        '--replay-input <file>',
        'replay this telemetry JSONL first (repeatable, one partition per file)',
        collect,
      )
      .option('--from-topics', "read a live run's signals, actions and decisions topics (config topics.*) instead")
      .option('--from <time>', 'with --from-topics: first Kafka timestamp (ISO-8601 or epoch ms)')
      .option('--to <time>', 'with --from-topics: end Kafka timestamp, exclusive')
      .option('--labels <format>', 'labelled incidents: nab (labels/combined_windows.json) or ms (the Label column)')
      .option(
        '--data-file <csv[=target]>',
        "the labelled data file (repeatable); =target scores only that target's actions against it",
        collect,
      )
      .option('--nab-labels <file>', 'NAB combined_windows.json (default: found above the data file)')
      .option('--shift-to <time>', 'the --shift-to the data was imported with, so the label windows move with it')
      .option('--mode <mode>', "with --replay-input: override every policy's mode")
      .option('--title <text>', 'report title')
      .option('--max-targets <n>', 'targets charted per policy (default 8)')
      .option('--out <file>', 'the HTML file to write', 'out/report.html')
      .option('--no-progress', 'no progress on stderr'),
  ).action(async (opts: ReportCliOptions) => {
    const files = opts.replayInput ?? [];
    if (files.length > 0 === (opts.fromTopics === true))
      throw new HomeostatError('USAGE', 'give either --replay-input <file> (repeatable) or --from-topics');
    const labelFormat = opts.labels as LabelFormat | undefined;
    if (labelFormat !== undefined && labelFormat !== 'nab' && labelFormat !== 'ms')
      throw new HomeostatError('USAGE', `--labels must be nab or ms, got '${String(opts.labels)}'`);
    if (labelFormat !== undefined && (opts.dataFile ?? []).length === 0)
      throw new HomeostatError('USAGE', '--labels needs --data-file <csv> (the labelled data file)');
    if (labelFormat === undefined && (opts.dataFile ?? []).length > 0)
      throw new HomeostatError('USAGE', '--data-file needs --labels nab or ms');
    const config = loadConfig({ file: opts.config, brokers: opts.brokers, registry: opts.registry });
    const policies: PolicyConfig[] = config.policies.map((p, i) => parsePolicyConfig(p, `policies.${i}`));
    const shiftTo = opts.shiftTo === undefined ? undefined : parseTimeArg(opts.shiftTo, '--shift-to');
    const labels: LabelledSeries[] = [];
    for (const arg of opts.dataFile ?? []) {
      const { file, target } = parseDataFileArg(arg);
      labels.push(
        await loadLabelledSeries(labelFormat as LabelFormat, file, { nabLabels: opts.nabLabels, shiftTo, target }),
      );
    }
    const data =
      files.length > 0
        ? await fromReplay(config, files, opts)
        : await fromTopics(
            config,
            opts.from === undefined ? undefined : parseTimeArg(opts.from, '--from'),
            opts.to === undefined ? undefined : parseTimeArg(opts.to, '--to'),
          );
    const built = buildReplayReport({
      title: opts.title,
      generatedFrom: data.generatedFrom,
      policies,
      modes: data.modes,
      signals: data.signals,
      commands: data.commands,
      decisions: data.decisions,
      counters: data.counters,
      labels,
      maxTargets: parsePositiveInt(opts.maxTargets, '--max-targets'),
    });
    const out = opts.out ?? 'out/report.html';
    const bytes = await writeReport(out, built.report);
    const charts = built.report.sections.reduce((n, s) => n + s.charts.length, 0);
    process.stdout.write(
      `wrote ${out} (${formatBytes(bytes)}, ${built.report.sections.length} sections, ${charts} charts)\n`,
    );
    if (built.overall !== null) {
      const o = built.overall;
      process.stdout.write(
        `scoring: ${o.windowsActedOn} of ${o.windows} labelled windows acted on; ${o.actionsOutsideWindows} of ` +
          `${o.actions} actions outside every window\n`,
      );
    }
  });
}
