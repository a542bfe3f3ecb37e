import type { Command } from 'commander';
import { HomeostatError } from '../errors';
import { createKafka, explainKafkaError } from '../kafka/client';
import type { Telemetry } from '../model/telemetry';
import { loadConfig } from '../config/homeostat-config';
import {
  collect,
  createErrorPrinter,
  parseColumn,
  parseTags,
  parseTimeArg,
  parsePositiveInt,
} from '../replay/cli-support';
import {
  importRecords,
  writeTelemetryJsonl,
  type ImportMapping,
  type ImportOptions,
  type ImportProgress,
} from '../import';
import { createProgress, formatCount } from '../replay/progress';
import { createTelemetryTopicWriter } from '../replay/topic-io';
import { addConnectionOptions, type ConnectionOptions } from './options';

interface ImportCliOptions extends ConnectionOptions {
  source?: string;
  metric?: string;
  tag?: string[];
  valueScale?: string;
  labelTag?: string;
  format?: 'auto' | 'csv' | 'jsonl';
  tsColumn?: string;
  valueColumn?: string;
  labelColumn?: string;
  header?: boolean;
  epochUnit?: 'ms' | 's';
  shiftTo?: string;
  out?: string;
  topic?: string;
  batchSize?: string;
  timestamp?: 'event' | 'now';
}

/** Import options from the flags (docs/import.md lists them). */
export function importOptionsFrom(opts: ImportCliOptions): ImportOptions {
  const tags = parseTags(opts.tag ?? []);
  let mapping: ImportMapping | undefined;
  if (
    opts.source !== undefined ||
    opts.metric !== undefined ||
    Object.keys(tags).length > 0 ||
    opts.valueScale !== undefined ||
    opts.labelTag !== undefined
  ) {
    const valueScale = opts.valueScale === undefined ? undefined : Number(opts.valueScale);
    if (valueScale !== undefined && !Number.isFinite(valueScale))
      throw new HomeostatError('USAGE', `--value-scale must be a number, got '${opts.valueScale}'`);
    mapping = { source: opts.source ?? '', metric: opts.metric ?? '', tags, valueScale, labelTag: opts.labelTag };
  }
  const csv =
    opts.tsColumn !== undefined ||
    opts.valueColumn !== undefined ||
    opts.labelColumn !== undefined ||
    opts.header === false ||
    opts.epochUnit !== undefined
      ? {
          timestampColumn: parseColumn(opts.tsColumn),
          valueColumn: parseColumn(opts.valueColumn),
          labelColumn: parseColumn(opts.labelColumn),
          header: opts.header !== false,
          epochUnit: opts.epochUnit,
        }
      : undefined;
  return {
    mapping,
    format: opts.format ?? 'auto',
    csv,
    rebaseTo: opts.shiftTo === undefined ? undefined : parseTimeArg(opts.shiftTo, '--shift-to'),
  };
}

export function registerImportCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('import <file>')
      .description(
        'turn a CSV (NAB, Microsoft, generic) or JSONL file into telemetry: a JSONL file (stdout by default) or records on a topic',
      )
      .option('--source <name>', 'source of every record (required for CSV; a default for JSONL lines without one)')
      .option('--metric <name>', 'metric of every record (required for CSV), e.g. query.latency_ms, cpu.util, requests')
      .option('--tag <key=value>', 'tag added to every record (repeatable), e.g. --tag service=api', collect)
      .option('--value-scale <x>', 'multiply every value (unit conversion, e.g. 0.01 for percent → 0..1)')
      .option('--label-tag <name>', 'also keep a CSV label column as this tag')
      .option('--format <format>', 'auto, csv or jsonl (default auto)')
      .option('--ts-column <name|index>', 'generic CSV: the timestamp column')
      .option('--value-column <name|index>', 'generic CSV: the value column')
      .option('--label-column <name|index>', 'generic CSV: a 0/1 label column')
      .option('--no-header', 'generic CSV: line 1 is data (columns by index)')
      .option('--epoch-unit <unit>', 'generic CSV: unit of numeric timestamps, ms or s (default ms)')
      .option(
        '--shift-to <time>',
        'shift every timestamp so the first record lands at this time (ISO-8601 or epoch ms)',
      )
      .option('--out <file>', 'write telemetry JSONL to this file (default: stdout)')
      .option('--topic <topic>', 'produce the records to this existing topic instead (JSON telemetry, key = source)')
      .option('--batch-size <n>', 'messages per produce request (default 5000)')
      .option('--timestamp <which>', 'Kafka timestamp of produced records: event (the record ts, default) or now'),
  ).action(async (file: string, opts: ImportCliOptions) => {
    if (opts.out !== undefined && opts.topic !== undefined)
      throw new HomeostatError('USAGE', 'give --out or --topic, not both');
    if (opts.timestamp !== undefined && opts.timestamp !== 'event' && opts.timestamp !== 'now')
      throw new HomeostatError('USAGE', `--timestamp must be event or now, got '${String(opts.timestamp)}'`);
    const toStdout = opts.out === undefined && opts.topic === undefined;
    // Row errors and progress go to stderr; the summary to stdout unless stdout carries the data.
    const say = (s: string): void => void (toStdout ? process.stderr : process.stdout).write(s);
    const errors = createErrorPrinter((s) => void process.stderr.write(s));
    const progress = createProgress({ label: 'import' });
    const seen: { last?: ImportProgress } = {};
    let labelled = 0;
    const options: ImportOptions = {
      ...importOptionsFrom(opts),
      onProgress: (p) => {
        seen.last = p;
        progress.update({
          bytesRead: p.bytesRead,
          totalBytes: p.totalBytes,
          records: p.records,
          note: p.errors > 0 ? `${p.errors} malformed` : undefined,
        });
      },
    };
    async function* records(): AsyncGenerator<Telemetry> {
      for await (const ev of importRecords(file, options)) {
        if (ev.kind === 'error') errors.add(ev);
        else {
          if (ev.label === 1) labelled++;
          yield ev.record;
        }
      }
    }
    let written: number;
    let where: string;
    if (opts.topic !== undefined) {
      const config = loadConfig({ file: opts.config, brokers: opts.brokers, registry: opts.registry });
      const kafka = createKafka(config.kafka);
      await assertTopicExists(kafka, opts.topic, config.kafka.brokers);
      const writer = await createTelemetryTopicWriter(kafka, opts.topic, {
        batchSize: parsePositiveInt(opts.batchSize, '--batch-size'),
        timestamp: opts.timestamp,
      });
      let closed = false;
      try {
        for await (const r of records()) await writer.add(r);
        closed = true;
        written = (await writer.close()).produced;
      } catch (err) {
        if (!closed) await writer.close().catch(() => undefined);
        throw err instanceof HomeostatError ? err : explainKafkaError(err, config.kafka.brokers);
      }
      where = `topic ${opts.topic}`;
    } else {
      written = (await writeTelemetryJsonl(records(), opts.out ?? process.stdout)).records;
      where = opts.out ?? 'stdout';
    }
    progress.done();
    errors.finish();
    const secs = progress.elapsedSec();
    const p = seen.last;
    const shift = p !== undefined && p.shiftMs !== 0 ? `; timestamps shifted by ${p.shiftMs} ms` : '';
    const labels = labelled > 0 ? `; ${labelled} rows labelled 1` : '';
    say(
      `imported ${written} records from ${file} (${p?.format ?? 'empty'}) to ${where} in ${secs.toFixed(2)} s ` +
        `(${formatCount(written / Math.max(secs, 1e-9))} records/s); ` +
        `${errors.count()} malformed line${errors.count() === 1 ? '' : 's'} skipped${shift}${labels}\n`,
    );
    if (written === 0) {
      throw new HomeostatError(
        'INVALID_STATE',
        `nothing imported from ${file}${errors.count() > 0 ? ': every data line was malformed' : ': it holds no data rows'}`,
      );
    }
  });
}

async function assertTopicExists(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
  brokers: readonly string[],
): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      throw new HomeostatError(
        'USAGE',
        `topic ${topic} does not exist; create it first (homeostat topics create, or kafka-topics.sh --create --topic ${topic})`,
      );
    }
  } catch (err) {
    if (err instanceof HomeostatError) throw err;
    throw explainKafkaError(err, brokers);
  } finally {
    await admin.disconnect();
  }
}
