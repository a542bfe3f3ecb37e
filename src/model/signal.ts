/**
 * The numeric statistics of a window, in one order: what the dashboard stores and charts, and
 * what stage two checks on a signal read back from the stage topic.
 */
export const WINDOW_STATS = [
  'count',
  'sum',
  'min',
  'max',
  'mean',
  'ratePerSec',
  'p50',
  'p90',
  'p99',
  'p999',
  'ewma',
  'trend',
] as const;

/**
 * A closed-window load signal: what the processor publishes to `homeostat.signals`
 * (schemas/signal.avsc) and what policies read. One per series and window.
 *
 * A series is (source, metric, dimension tags): the dimension tags are the configured
 * subset of a record's tags that identify a series (by default `tenant`, `service`),
 * so that high-cardinality tags do not multiply state.
 */
export interface WindowSignal {
  /**
   * `series` for a per-source series; otherwise the name of a two-stage scope
   * (e.g. `tenant`, `service`, `cluster`) whose aggregate spans every partition.
   */
  scope: string;
  /** Stable series key: for `series`, `${source}|${metric}|k=v,...`; for scopes, `${scope}|${metric}|k=v`. */
  key: string;
  source: string;
  metric: string;
  /** Dimension tags of the series (sorted keys when serialised). */
  tags: Record<string, string>;
  /** Window [start, end) in event time, epoch ms. */
  windowStart: number;
  windowEnd: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  /** sum / window length in seconds (for counters: events per second). */
  ratePerSec: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  /** Exponentially weighted moving average of `mean` across this series' closed windows. */
  ewma: number;
  /** Least-squares slope of `mean` per window over the recent closed windows (0 when too few). */
  trend: number;
  /**
   * True for a stage-one partial aggregate of a scope (to be merged by stage two);
   * false for a final signal that policies may act on.
   */
  partial: boolean;
  /** Input partitions whose records this aggregate covers (sorted). */
  partitions: number[];
  /** Serialised mergeable sketch (base64), present on partials so stage two can merge exactly. */
  sketch?: string;
}
