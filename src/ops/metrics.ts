import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError, HomeostatError } from '../errors';

/**
 * Prometheus metrics for the processor and the executors. The metric names are a
 * contract (DESIGN.md, docs/metrics.md): dashboards and alerts are written against them,
 * so a rename is a breaking change. Every instance gets its own Registry unless one is
 * passed in, so tests and several processors in one process never collide on names.
 */

export interface MetricsOptions {
  /** Prepended to every metric name. Default `homeostat_`; must be a valid Prometheus name prefix. */
  prefix?: string;
  /** Register into this registry instead of a fresh one (e.g. to share one /metrics endpoint). */
  registry?: Registry;
  /** Also collect Node's process metrics (CPU, memory, event-loop lag, GC), prefixed the same. Default false. */
  defaultMetrics?: boolean;
}

/**
 * Command latency is window close → command written. Sub-millisecond is noise; beyond 10 s
 * the window that caused the command is stale enough that the exact figure no longer matters.
 */
export const COMMAND_LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** One consumed batch: decode → windows → policies → transactional write; 0.5 ms .. 10 s. */
export const BATCH_DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Executors call real systems (config reloads, API calls), so the range reaches 30 s. */
export const EXECUTOR_APPLY_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Metric names without the prefix, keyed by handle. The docs test checks each is documented. */
export const METRIC_NAMES = {
  consumerLag: 'consumer_lag',
  recordsConsumed: 'records_consumed_total',
  recordsAggregated: 'records_aggregated_total',
  recordsLate: 'records_late_total',
  recordsDeadLettered: 'records_dead_lettered_total',
  recordsRestored: 'records_restored_total',
  dlqRecords: 'dlq_records_total',
  sourcesSplit: 'sources_split_total',
  windowsClosed: 'windows_closed_total',
  watermarkDelaySeconds: 'watermark_delay_seconds',
  watermarkMs: 'watermark_ms',
  seriesActive: 'series_active',
  seriesEvicted: 'series_evicted_total',
  decisions: 'decisions_total',
  guardrailBlocks: 'guardrail_blocks_total',
  leasesActive: 'leases_active',
  commands: 'commands_total',
  commandLatencySeconds: 'command_latency_seconds',
  batchDurationSeconds: 'batch_duration_seconds',
  transactions: 'transactions_total',
  controlRecords: 'control_records_total',
  stageTwoOwner: 'stage_two_owner',
  stageTwoBufferedWindows: 'stage_two_buffered_windows',
  stageTwoLate: 'stage_two_late_total',
  splitRefused: 'stage_two_split_refused_total',
  splitControlRaces: 'stage_two_split_control_races_total',
  executorResults: 'executor_results_total',
  executorApplySeconds: 'executor_apply_seconds',
  ready: 'ready',
} as const;

export type MetricHandle = keyof typeof METRIC_NAMES;

export interface HomeostatMetrics {
  readonly registry: Registry;
  readonly prefix: string;

  // consuming
  /** High watermark − committed/fetched position, set by the runner per assigned partition. */
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly recordsConsumed: Counter<'topic'>;
  readonly recordsAggregated: Counter<never>;
  readonly recordsLate: Counter<never>;
  /** `reason` is the ErrorCode from src/errors.ts (bounded set, safe as a label). */
  readonly recordsDeadLettered: Counter<'reason'>;
  /** Records re-read after a restart to rebuild open windows; not part of `consumed`. */
  readonly recordsRestored: Counter<never>;
  /** DLQ records written: one per input record, however many of its samples were refused; `reason` is the first refusal's code. */
  readonly dlqRecords: Counter<'reason'>;
  /** Sources seen on more than one telemetry partition (records not keyed by source), each counted once. */
  readonly sourcesSplit: Counter<never>;

  // windows and state
  readonly windowsClosed: Counter<never>;
  /** Event-time lag: max event time seen − watermark, in seconds. */
  readonly watermarkDelaySeconds: Gauge<never>;
  readonly watermarkMs: Gauge<never>;
  readonly seriesActive: Gauge<never>;
  readonly seriesEvicted: Counter<never>;

  // policies and commands
  readonly decisions: Counter<'policy' | 'mode' | 'kind'>;
  readonly guardrailBlocks: Counter<'policy' | 'guardrail'>;
  readonly leasesActive: Gauge<'policy'>;
  readonly commands: Counter<'policy' | 'type' | 'mode'>;
  readonly commandLatencySeconds: Histogram<never>;
  readonly batchDurationSeconds: Histogram<never>;
  readonly transactions: Counter<'result'>;
  /**
   * Control records read, by result: applied, unchanged, refused (stale, cap, ceiling),
   * forged (unsigned, bad signature, key not allowed), unreadable.
   */
  readonly controlRecords: Counter<'result'>;

  // stage two of a scaled-out group (docs/scale-out.md)
  /** Per part (`stage-two`; split: `shard-<i>`, `arbiter`): 1 in the process that runs it, 0 in the others. */
  readonly stageTwoOwner: Gauge<'part'>;
  /** Windows waiting for every partition to pass them. */
  readonly stageTwoBufferedWindows: Gauge<never>;
  /** Series finals and partials that arrived for a window already released (published, not decided on). */
  readonly stageTwoLate: Counter<never>;
  /** Split stage two (runner.decisionShards): records of a part's topic it could not take, each dead-lettered with the reason. */
  readonly splitRefused: Counter<'part'>;
  /** Split stage two: windows whose shards had applied another number of control records than the arbiter. */
  readonly splitControlRaces: Counter<never>;

  // executor side
  readonly executorResults: Counter<'executor' | 'status'>;
  readonly executorApplySeconds: Histogram<never>;

  /** 1 when partitions are assigned and state is restored, else 0. */
  readonly ready: Gauge<never>;

  /** The exposition text of the whole registry. */
  render(): Promise<string>;
  /** The Content-Type to serve `render()` with. */
  readonly contentType: string;
}

const PREFIX_PATTERN = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/** Makes each metric under its handle's name in `registry`, saying how to fix a name already taken there. */
function metricMakers(prefix: string, registry: Registry) {
  const registers = [registry];
  const name = (handle: MetricHandle): string => prefix + METRIC_NAMES[handle];

  const guard = <T>(handle: MetricHandle, make: () => T): T => {
    try {
      return make();
    } catch (err) {
      // prom-client throws when a name is taken; say why that happens here and how to fix it.
      throw new HomeostatError(
        'INVALID_STATE',
        `metric ${name(handle)} is already registered in this registry: ` +
          'create one metrics set per registry, or give each a distinct prefix',
        { cause: err },
      );
    }
  };
  const counter = <L extends string>(handle: MetricHandle, help: string, labelNames: readonly L[] = []) =>
    guard(handle, () => new Counter<L>({ name: name(handle), help, labelNames, registers }));
  const gauge = <L extends string>(handle: MetricHandle, help: string, labelNames: readonly L[] = []) =>
    guard(handle, () => new Gauge<L>({ name: name(handle), help, labelNames, registers }));
  const histogram = (handle: MetricHandle, help: string, buckets: readonly number[]) =>
    guard(handle, () => new Histogram<never>({ name: name(handle), help, buckets: [...buckets], registers }));
  return { counter, gauge, histogram };
}

export function createMetrics(options: MetricsOptions = {}): HomeostatMetrics {
  const prefix = options.prefix ?? 'homeostat_';
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new ConfigError([
      `metrics.prefix: ${JSON.stringify(prefix)} is not a valid Prometheus name prefix; ` +
        'use letters, digits, "_" or ":" and do not start with a digit (e.g. "homeostat_")',
    ]);
  }
  const registry = options.registry ?? new Registry();
  const { counter, gauge, histogram } = metricMakers(prefix, registry);

  const metrics: HomeostatMetrics = {
    registry,
    prefix,
    consumerLag: gauge('consumerLag', 'Records behind the high watermark, per assigned partition', [
      'topic',
      'partition',
    ]),
    recordsConsumed: counter('recordsConsumed', 'Telemetry records consumed (first reads only)', ['topic']),
    recordsAggregated: counter<never>('recordsAggregated', 'Consumed records added to a window'),
    recordsLate: counter<never>('recordsLate', 'Consumed records behind the watermark, counted and side-output'),
    recordsDeadLettered: counter('recordsDeadLettered', 'Consumed records written to the DLQ, by error code', [
      'reason',
    ]),
    recordsRestored: counter<never>(
      'recordsRestored',
      'Records re-read after a restart to rebuild open windows (not counted as consumed)',
    ),
    dlqRecords: counter('dlqRecords', 'DLQ records written, one per input record, by the code of its first refusal', [
      'reason',
    ]),
    sourcesSplit: counter<never>(
      'sourcesSplit',
      'Sources seen on more than one telemetry partition (records not keyed by source; fix the producer)',
    ),
    windowsClosed: counter<never>('windowsClosed', 'Event-time windows closed by the watermark'),
    watermarkDelaySeconds: gauge<never>(
      'watermarkDelaySeconds',
      'Event-time lag: max event time seen minus the watermark, in seconds',
    ),
    watermarkMs: gauge<never>('watermarkMs', 'Current event-time watermark, epoch milliseconds'),
    seriesActive: gauge<never>('seriesActive', 'Keyed series currently held in window state'),
    seriesEvicted: counter<never>('seriesEvicted', 'Keyed series evicted from state (idle or over the cap)'),
    decisions: counter('decisions', 'Policy decisions, by policy, mode and kind', ['policy', 'mode', 'kind']),
    guardrailBlocks: counter('guardrailBlocks', 'Proposed actions blocked by a guardrail', ['policy', 'guardrail']),
    leasesActive: gauge('leasesActive', 'Enforcing leases currently held, by policy', ['policy']),
    commands: counter('commands', 'Commands written to the actions topic', ['policy', 'type', 'mode']),
    commandLatencySeconds: histogram(
      'commandLatencySeconds',
      'Wall-clock time from window close to command written, in seconds',
      COMMAND_LATENCY_BUCKETS,
    ),
    batchDurationSeconds: histogram(
      'batchDurationSeconds',
      'Wall-clock time to process one consumed batch, in seconds',
      BATCH_DURATION_BUCKETS,
    ),
    transactions: counter('transactions', 'Producer transactions, by result', ['result']),
    controlRecords: counter(
      'controlRecords',
      'Control records read, by result (applied, unchanged, refused, forged, unreadable)',
      ['result'],
    ),
    stageTwoOwner: gauge(
      'stageTwoOwner',
      'Scaled out: 1 in the process that runs the part of stage two (stage-two; split: shard-<i>, arbiter), 0 in the others',
      ['part'],
    ),
    stageTwoBufferedWindows: gauge<never>(
      'stageTwoBufferedWindows',
      'Scaled out: windows stage two holds until every partition has passed them',
    ),
    stageTwoLate: counter<never>(
      'stageTwoLate',
      'Scaled out: signals for windows already released (published, not given to the policies)',
    ),
    splitRefused: counter(
      'splitRefused',
      "Split stage two: records of a part's topic it could not take, dead-lettered",
      ['part'],
    ),
    splitControlRaces: counter<never>(
      'splitControlRaces',
      'Split stage two: windows judged while a control record had reached some shards and not others',
    ),
    executorResults: counter('executorResults', 'Commands applied by executors, by executor and status', [
      'executor',
      'status',
    ]),
    executorApplySeconds: histogram(
      'executorApplySeconds',
      'Wall-clock time for an executor to apply one command, in seconds',
      EXECUTOR_APPLY_BUCKETS,
    ),
    ready: gauge<never>('ready', '1 when partitions are assigned and state is restored, else 0'),
    render: () => registry.metrics(),
    get contentType(): string {
      return registry.contentType;
    },
  };

  if (options.defaultMetrics === true) {
    // Collected on scrape (prom-client >= 13), so this starts no timers of its own.
    collectDefaultMetrics({ register: registry, prefix });
  }
  return metrics;
}

/** The record counts whose balance DESIGN.md promises: nothing lost, nothing invented. */
export interface AccountingSnapshot {
  consumed: number;
  aggregated: number;
  late: number;
  deadLettered: number;
  /** Reported alongside, but outside the identity: restored records are re-reads, not new input. */
  restored: number;
}

/**
 * consumed = aggregated + late + deadLettered. Holds at quiescent points (between batches);
 * mid-batch a consumed record may not have reached its destination yet.
 */
export function accountingHolds(
  s: Pick<AccountingSnapshot, 'consumed' | 'aggregated' | 'late' | 'deadLettered'>,
): boolean {
  return s.consumed === s.aggregated + s.late + s.deadLettered;
}

/** Consumed records not (yet) accounted for; negative means records were counted twice. */
export function accountingGap(
  s: Pick<AccountingSnapshot, 'consumed' | 'aggregated' | 'late' | 'deadLettered'>,
): number {
  return s.consumed - (s.aggregated + s.late + s.deadLettered);
}

async function total(metric: Counter<string>): Promise<number> {
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** Reads the counters, summed over their labels, e.g. for the periodic accounting log line. */
export async function accountingSnapshot(metrics: HomeostatMetrics): Promise<AccountingSnapshot> {
  const [consumed, aggregated, late, deadLettered, restored] = await Promise.all([
    total(metrics.recordsConsumed),
    total(metrics.recordsAggregated),
    total(metrics.recordsLate),
    total(metrics.recordsDeadLettered),
    total(metrics.recordsRestored),
  ]);
  return { consumed, aggregated, late, deadLettered, restored };
}

/**
 * `homeostat_dashboard_streams_total{outcome}`: dashboard event streams refused at the cap
 * (`refused`) and cut off for reading too slowly (`dropped`), read from the dashboard at
 * each scrape.
 */
export function countDashboardStreams(
  registry: Registry,
  source: { streamCounts(): { refused: number; dropped: number } },
): void {
  new Counter({
    name: 'homeostat_dashboard_streams_total',
    help:
      'Dashboard event streams refused at http.maxDashboardStreams (outcome=refused) ' +
      'or cut off for reading too slowly (outcome=dropped), since start',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const c = source.streamCounts();
      this.reset();
      this.inc({ outcome: 'refused' }, c.refused);
      this.inc({ outcome: 'dropped' }, c.dropped);
    },
  });
}
