/**
 * Sources whose records arrive on more than one partition of the telemetry topic. homeostat
 * reads a partition in order and holds each source's samples to that order; a producer that
 * does not key its records by source spreads one source over several partitions — the
 * OpenTelemetry Collector's Kafka exporter does, at its defaults. Its samples then race each
 * other across partitions (the ones that fall behind the watermark are dead-lettered as LATE),
 * cumulative OTLP streams restart per partition, and scaled out two processes window the same
 * series. The fix is at the producer; this says so, once per source, in the log (rate-limited)
 * and in a counter.
 */
import type { Logger } from '../ops/logger';
import type { Telemetry } from '../model/telemetry';

export interface SourcePartitionWatch {
  /** The accepted samples of one record and the partition it came from. */
  see(samples: readonly Telemetry[], partition: number): void;
  /** Sources found on more than one partition so far (each counted once). */
  split(): number;
}

export interface SourcePartitionWatchOptions {
  logger: Logger;
  /** Called once per source found on a second partition (the metric). */
  onSplit?(source: string, partitions: readonly [number, number]): void;
  /** Sources remembered (oldest forgotten first): bounds memory against a flood of sources. Default 100 000. */
  maxSources?: number;
  /** At most one log line per this many ms; the sources in between are counted in the next. Default 60 000. */
  logEveryMs?: number;
  /** Wall clock for the log's rate limit only (never decisions). */
  now?: () => number;
}

/** What the operator should change; named in the log and docs/ingest.md. */
export const SPLIT_SOURCE_FIX =
  'key the records by source so that each source stays on one partition: in the OpenTelemetry Collector Kafka ' +
  'exporter set `partition_metrics_by_resource_attributes: true`; in Telegraf set the Kafka output\'s `routing_tag` (e.g. "host")';

export function createSourcePartitionWatch(options: SourcePartitionWatchOptions): SourcePartitionWatch {
  const { logger } = options;
  const maxSources = options.maxSources ?? 100_000;
  const logEveryMs = options.logEveryMs ?? 60_000;
  const now = options.now ?? Date.now;
  /** Source → the partition it was first seen on. */
  const firstSeen = new Map<string, number>();
  /** Sources already reported (bounded like firstSeen). */
  const reported = new Set<string>();
  let splitCount = 0;
  let lastLog = -Infinity;
  let unlogged = 0;

  const remember = <K>(
    add: () => void,
    sized: { size: number; keys(): IterableIterator<K>; delete(k: K): boolean },
  ): void => {
    add();
    if (sized.size > maxSources) sized.delete(sized.keys().next().value as K);
  };

  const onSplit = (source: string, first: number, partition: number): void => {
    remember(() => reported.add(source), reported);
    splitCount++;
    options.onSplit?.(source, [first, partition]);
    const t = now();
    if (t - lastLog < logEveryMs) {
      unlogged++;
      return;
    }
    lastLog = t;
    logger.warn(
      { source, partitions: [first, partition], sourcesSplit: splitCount, notLoggedSince: unlogged },
      `source ${JSON.stringify(source)} arrives on more than one partition of the telemetry topic: ` +
        'its records are not keyed by source, so its samples race each other across partitions ' +
        `and some may be dead-lettered as LATE; ${SPLIT_SOURCE_FIX}`,
    );
    unlogged = 0;
  };

  return {
    see(samples, partition) {
      // A record usually holds one or a few sources: look each up once per run of samples.
      let last: string | undefined;
      for (let i = 0; i < samples.length; i++) {
        const source = samples[i].source;
        if (source === last) continue;
        last = source;
        const first = firstSeen.get(source);
        if (first === undefined) remember(() => firstSeen.set(source, partition), firstSeen);
        else if (first !== partition && !reported.has(source)) onSplit(source, first, partition);
      }
    },
    split: () => splitCount,
  };
}
