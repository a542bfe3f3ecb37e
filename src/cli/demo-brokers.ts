/**
 * The `--brokers` side of `homeostat demo`: runs the on runs through Kafka (src/demo), shows
 * progress on stderr and says what went through which topic and whether the run equals the
 * in-process one.
 */
import { HomeostatError } from '../errors';
import { checkPrefix, newRunId } from '../demo/topics';
import { createDemoLogger } from '../demo/logger';
import type { KafkaProgress } from '../demo/lockstep';
import { runDemoThroughKafka, type KafkaScenarioRun } from '../demo/run';
import type { Report } from '../report';
import type { ScenarioName } from '../sim';

export interface OnBrokersOptions {
  seed: number;
  scenarios: readonly ScenarioName[];
  durationMs?: number;
  /** As given to --brokers: host:port[,host:port]. */
  brokers: string;
  registry?: string;
  prefix: string;
  keepTopics: boolean;
  progress(p: KafkaProgress): void;
}

const BROKER = /^[^:\s,]+:\d+$/;

export function parseBrokers(list: string): string[] {
  const brokers = list
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  const bad = brokers.filter((b) => !BROKER.test(b));
  if (brokers.length === 0 || bad.length > 0) {
    throw new HomeostatError(
      'USAGE',
      `--brokers ${JSON.stringify(list)}: ${bad.length > 0 ? `${bad.join(', ')} is not host:port` : 'empty'}; give ` +
        `host:port[,host:port], e.g. 127.0.0.1:9092`,
      { field: 'brokers' },
    );
  }
  return brokers;
}

export async function runDemoOnBrokers(o: OnBrokersOptions): Promise<{ runs: KafkaScenarioRun[]; report: Report }> {
  const brokers = parseBrokers(o.brokers);
  const prefix = checkPrefix(o.prefix);
  const runId = newRunId();
  process.stderr.write(
    `running ${o.scenarios.join(', ')} with remediation on through Kafka at ${brokers.join(',')} (topics ` +
      `${prefix}.${runId}.<scenario>.*, ${o.registry ? 'Avro' : 'JSON'}), off in-process...\n`,
  );
  // Ctrl-C stops at the next simulated second and still deletes the run's topics.
  const abort = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\ninterrupted: stopping and cleaning up the run’s topics...\n');
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    return await runDemoThroughKafka({
      seed: o.seed,
      scenarios: o.scenarios,
      durationMs: o.durationMs,
      brokers,
      registry: o.registry,
      prefix,
      runId,
      keepTopics: o.keepTopics,
      logger: createDemoLogger(),
      onProgress: o.progress,
      signal: abort.signal,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/**
 * Progress on `out`: one line rewritten in place on a terminal, else a line every 30
 * simulated seconds (logs and CI keep it readable), and always the last second.
 */
export function progressPrinter(out: NodeJS.WriteStream): (p: KafkaProgress) => void {
  return (p) => {
    const line =
      `  ${p.scenario} through Kafka: ${p.second}/${p.seconds} simulated s, ` +
      `${p.records.toLocaleString('en-US')} records, ${p.commands} commands, ${(p.wallMs / 1000).toFixed(1)} s`;
    const last = p.second === p.seconds;
    if (out.isTTY) out.write(`\r${line}${last ? '\n' : ''}`);
    else if (last || p.second % 30 === 0) out.write(`${line}\n`);
  };
}

/** What went through which topic, what the executor did, and whether the run equals the in-process one. */
export function printKafkaRuns(out: NodeJS.WritableStream, runs: readonly KafkaScenarioRun[]): void {
  out.write('\nthrough Kafka:\n');
  for (const r of runs) {
    const s = r.stats;
    const done = Object.entries(s.executor)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ');
    out.write(
      `  ${r.scenario}: ${s.records.toLocaleString('en-US')} telemetry records → ${s.names.topics.telemetry}; ` +
        `${s.commands} signed commands → ${s.names.topics.actions}; executor SDK: ${done || 'nothing'} → ` +
        `${s.names.topics.actionResults}; ${s.transactions} processor transactions, ${(s.wallMs / 1000).toFixed(1)} s\n`,
    );
    if (r.differences.length === 0)
      out.write(
        `    identical to the in-process run: figures, series, ${r.on.commands.length} command ids, executor timeline, counters\n`,
      );
    else out.write(`    DIFFERS from the in-process run:\n${r.differences.map((d) => `      ${d}\n`).join('')}`);
    if (s.cleanupError !== undefined)
      out.write(`    topics NOT deleted (${s.cleanupError}); they are under ${s.names.base}\n`);
    else
      out.write(
        s.deleted
          ? `    topics and groups${s.subjectsDeleted > 0 ? ` and ${s.subjectsDeleted} schema subjects` : ''} under ` +
              `${s.names.base} deleted\n`
          : `    topics kept under ${s.names.base}\n`,
      );
  }
}
