import type { Command } from 'commander';
import { createTelemetryDecoder, resolveTelemetryLimits } from '../codec';
import { HomeostatError } from '../errors';
import { createKafka, explainKafkaError } from '../kafka/client';
import { createRegistryResolver } from '../kafka/registry';
import { loadConfig, type HomeostatConfig } from '../config/homeostat-config';
import { collect, formatReplaySummary, parseMode, parseTimeArg } from '../replay/cli-support';
import { createJsonlWriter, type JsonlWriter } from '../replay/jsonl';
import { createProgress } from '../replay/progress';
import { createReplay, type ReplayCounters, type ReplayFeed, type ReplaySink } from '../replay/replay';
import { replaySetupFromConfig, type ReplaySetup } from '../replay/setup';
import { fileSources } from '../replay/sources';
import { readTopicRange } from '../replay/topic-read';
import { topicReplayInputs } from '../replay/topic-io';
import { ingestDecoderFor } from '../config/resolve-ingest';
import { addConnectionOptions, type ConnectionOptions } from './options';

interface ReplayCliOptions extends ConnectionOptions {
  input?: string[];
  topic?: string;
  from?: string;
  to?: string;
  out?: string;
  commands?: string;
  signals?: string;
  mode?: string;
  progress?: boolean;
}

export interface ReplaySourceOptions {
  inputs?: readonly string[];
  topic?: string;
  from?: number;
  to?: number;
}

/** Where a replay reads: files (one partition each) or a topic range (its real partitions). */
export interface OpenedReplaySource {
  /** Inputs in replay order, in batches. */
  batches: Iterable<readonly ReplayFeed[]> | AsyncIterable<readonly ReplayFeed[]>;
  /** Bytes read of the input files so far (updated while reading), for the progress bar. */
  bytes?: { read: number; total: number };
  partitions: number[];
  description: string;
}

/** Opens the replay input the flags name; a topic range is read completely before the replay starts. */
export async function openReplaySource(config: HomeostatConfig, src: ReplaySourceOptions): Promise<OpenedReplaySource> {
  const files = src.inputs ?? [];
  if (files.length > 0 && src.topic !== undefined)
    throw new HomeostatError('USAGE', 'give --input files or --topic, not both');
  if (files.length > 0) {
    const bytes = { read: 0, total: 0 };
    return {
      batches: fileSources(files, {
        // The same record checks as the live processor, so a replay dead-letters what it would.
        limits: resolveTelemetryLimits(config.limits),
        onProgress: (p) => {
          bytes.read = p.bytesRead;
          bytes.total = p.totalBytes;
        },
      }),
      bytes,
      partitions: files.map((_, i) => i),
      description: files.join(', '),
    };
  }
  if (src.topic === undefined)
    throw new HomeostatError(
      'USAGE',
      'nothing to replay: give --input <file.jsonl> (repeatable) or --topic <topic> with --from/--to',
    );
  const kafka = createKafka(config.kafka);
  try {
    const read = await readTopicRange(kafka, src.topic, { from: src.from, to: src.to });
    const resolver = createRegistryResolver(config.registry);
    const decoder = createTelemetryDecoder({ resolver, limits: config.limits });
    // As `homeostat run` reads the topic: foreign formats too, a multi-sample record one arrival.
    const ingest = ingestDecoderFor(config, resolver);
    const range =
      `${src.from === undefined ? 'the beginning' : new Date(src.from).toISOString()} → ` +
      `${src.to === undefined ? 'the end' : new Date(src.to).toISOString()}`;
    return {
      batches: await topicReplayInputs(read, decoder, ingest),
      partitions: read.partitions,
      description: `topic ${src.topic}, ${range}`,
    };
  } catch (err) {
    if (err instanceof HomeostatError && err.code !== 'KAFKA') throw err;
    throw explainKafkaError(err, config.kafka.brokers);
  }
}

/** Runs a replay to its end with progress on stderr; returns the counters and the seconds it took. */
export async function runReplay(
  setup: ReplaySetup,
  source: OpenedReplaySource,
  sink: ReplaySink,
  showProgress: boolean,
): Promise<{ counters: ReplayCounters; seconds: number }> {
  const progress = createProgress({ label: 'replay' });
  const replay = createReplay(setup, sink);
  let records = 0;
  const push = (b: readonly ReplayFeed[]): void => {
    for (let i = 0; i < b.length; i++) replay.push(b[i]);
    records += b.length;
    if (showProgress) progress.update({ bytesRead: source.bytes?.read, totalBytes: source.bytes?.total, records });
  };
  const batches = source.batches;
  if (Symbol.asyncIterator in batches) for await (const b of batches) push(b);
  else for (const b of batches) push(b);
  const counters = replay.finish();
  progress.done();
  return { counters, seconds: progress.elapsedSec() };
}

export function registerReplayCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('replay')
      .description(
        'run recorded telemetry through the pipeline (windows, signals, policies, guardrails) as fast as possible; same ' +
          'input and config ⇒ byte-identical outputs',
      )
      .option(
        '--input <file>',
        'telemetry JSONL (from homeostat import); repeatable, one partition per file, merged by event time',
        collect,
      )
      .option('--topic <topic>', 'replay this telemetry topic instead (its partitions and offsets)')
      .option('--from <time>', 'with --topic: first Kafka timestamp (ISO-8601 or epoch ms)')
      .option('--to <time>', 'with --topic: end Kafka timestamp, exclusive')
      .option('--out <file>', 'write the decisions as canonical JSON lines')
      .option('--commands <file>', 'write the commands as canonical JSON lines')
      .option('--signals <file>', 'write the final signals as canonical JSON lines')
      .option('--mode <mode>', "override every policy's mode: shadow, canary or enforce")
      .option('--no-progress', 'no progress on stderr'),
  ).action(async (opts: ReplayCliOptions) => {
    const config = loadConfig({ file: opts.config, brokers: opts.brokers, registry: opts.registry });
    const mode = parseMode(opts.mode);
    const from = opts.from === undefined ? undefined : parseTimeArg(opts.from, '--from');
    const to = opts.to === undefined ? undefined : parseTimeArg(opts.to, '--to');
    if ((from !== undefined || to !== undefined) && opts.topic === undefined)
      throw new HomeostatError('USAGE', '--from and --to select a range of a --topic; files are replayed whole');
    const source = await openReplaySource(config, { inputs: opts.input, topic: opts.topic, from, to });
    const setup = replaySetupFromConfig(config, {
      partitions: source.partitions,
      partitionCount: source.partitions.length === 0 ? 1 : Math.max(...source.partitions) + 1,
      mode,
    });
    const decisions = opts.out === undefined ? undefined : createJsonlWriter('decision', opts.out);
    const commands = opts.commands === undefined ? undefined : createJsonlWriter('command', opts.commands);
    const signals = opts.signals === undefined ? undefined : createJsonlWriter('signal', opts.signals);
    const writers = [decisions, commands, signals].filter((w): w is JsonlWriter<never> => w !== undefined);
    const sink: ReplaySink = {
      decisions: decisions === undefined ? undefined : (d) => decisions.write(d),
      commands: commands === undefined ? undefined : (c) => commands.write(c),
      signals: signals === undefined ? undefined : (s) => signals.write(s),
    };
    let result: { counters: ReplayCounters; seconds: number };
    try {
      result = await runReplay(setup, source, sink, opts.progress !== false);
    } finally {
      for (const w of writers) w.close();
    }
    const written = writers.map((w) => `${w.path} (${w.records} lines)`);
    const extra = [
      `signing      ${
        setup.signing === 'none'
          ? 'none (unsigned commands: set signing.keyFile or HOMEOSTAT_SIGNING_KEY to sign)'
          : `key ${setup.keyId ?? ''} from ${setup.signing}`
      }`,
      `input        ${source.description}`,
      ...(written.length > 0 ? [`wrote        ${written.join(', ')}`] : []),
    ];
    process.stdout.write(formatReplaySummary(result.counters, result.seconds, extra));
  });
}
