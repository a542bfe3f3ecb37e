/** Inputs, outputs and counters of the windowing engine. */
import type { Telemetry } from '../model/telemetry';
import type { WindowSignal } from '../model/signal';

/** Kafka offsets arrive as strings from kafkajs; replay may use numbers. Never compared, only returned. */
export type Offset = string | number;

export type EngineInput =
  /** One decoded record; records of a partition must arrive in offset order. */
  | { kind: 'record'; partition: number; offset: Offset; record: Telemetry }
  /**
   * The samples of one Kafka record (an OTLP export, a batch of line protocol): one arrival.
   * Every sample is judged against the watermark as it stood before the record, and the
   * watermark advances once, after the last — as a source-level watermark does in Flink. Stepped
   * one by one, a record whose points span a window boundary would make its own earlier points late.
   */
  | { kind: 'records'; partition: number; offset: Offset; records: readonly Telemetry[] }
  /** Partitions now owned. A partition that has delivered nothing holds the watermark back until idle. */
  | { kind: 'assign'; partitions: readonly number[] }
  /** Partitions no longer owned: their series' open windows are discarded (the new owner re-reads them). */
  | { kind: 'revoke'; partitions: readonly number[] }
  /** Whether a partition holds unread records (consumer lag > 0): a partition with a backlog is never idle. */
  | { kind: 'backlog'; partition: number; backlog: boolean }
  /** Raises the watermark to at least `watermark` (e.g. a source known to be complete up to then). */
  | { kind: 'tick'; watermark: number }
  /** End of stream (replay): closes every open window, as if the watermark were +∞. Later records are late. */
  | { kind: 'flush' };

export type EngineOutput =
  /** A closed window of a series (`scope: 'series'`) or a stage-one scope partial. */
  | { kind: 'signal'; signal: WindowSignal }
  /** A record every window of which had already closed: DLQ it with reason `late`. */
  | { kind: 'late'; partition: number; offset: Offset; record: Telemetry; watermark: number }
  /**
   * A record the engine could not aggregate: `series_limit` (maxSeries live series, all with
   * open windows) or `invalid_value` (non-finite ts or value). DLQ it with this reason.
   */
  | { kind: 'rejected'; reason: RejectReason; partition: number; offset: Offset; record: Telemetry }
  /** A dormant series dropped to make room (its EWMA/trend history is lost, no data is). */
  | { kind: 'evicted'; key: string; partition: number; latestEventTime: number };

export type RejectReason = 'series_limit' | 'invalid_value';

export interface StepResult {
  state: WindowEngineState;
  outputs: readonly EngineOutput[];
}

/**
 * Counters. Identity, after every step: consumed = aggregated + late + rejected.
 */
export interface EngineCounters {
  /** Records input (samples: each of a `records` input counts). */
  consumed: number;
  /** Records added to at least one window. */
  aggregated: number;
  /** Records side-output as late (every covering window had closed). */
  late: number;
  /** Records side-output as rejected (series_limit or invalid_value). */
  rejected: number;
  /**
   * Records aggregated although some (not all) of their hopping windows had closed: they
   * count in the open ones only — Flink's rule. Included in `aggregated`.
   */
  partiallyLate: number;
  /** Dormant series evicted at the maxSeries cap. */
  evicted: number;
  /** Window intervals closed that emitted at least one signal. */
  windowsClosed: number;
  /** Series signals emitted (including zero-count ones). */
  signals: number;
  /** Of which zero-count (zero-fill) signals. */
  zeroSignals: number;
  /** Stage-one scope partials emitted. */
  partials: number;
  /** Series dropped with their open windows on partition revocation. */
  revokedSeries: number;
}

/** Opaque engine state; owned by the engine and updated in place by `step`. */
export interface WindowEngineState {
  readonly __engineState: true;
}
