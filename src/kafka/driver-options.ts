/** What the processor's Kafka driver (processor-driver.ts) is built from. */
import type { SchemaResolver, TelemetryLimits } from '../codec';
import type { EngineConfig } from '../core';
import type { HomeostatError } from '../errors';
import type { IngestDecoder } from '../ingest';
import type { HomeostatConfig } from '../config/homeostat-config';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import type { BatchExtension } from './batch-extension';
import type { HistoryCheckpoint } from './history-checkpoint';
import type { KafkaPort } from './port';

import type { WindowSignal } from '../model/signal';

export interface RunnerOptions {
  config: HomeostatConfig;
  /** Decoder of foreign formats (OTLP, Influx); unset: homeostat's own Avro/JSON only. */
  ingest?: IngestDecoder;
  engine: EngineConfig;
  limits?: Partial<TelemetryLimits>;
  resolver?: SchemaResolver;
  logger: Logger;
  metrics?: HomeostatMetrics;
  extension?: BatchExtension;
  /** Watermark alignment: pause a partition this far (event time) ahead of the watermark. */
  maxAheadMs?: number;
  /** Carry EWMA/trend across restarts on this compacted topic (history-checkpoint.ts). */
  history?: HistoryCheckpoint;
  /**
   * Split stage two (runner.decisionShards): stage one writes each signal to the topics of the
   * decision shards `route` names, and its marks, with the windows it emitted, to every one.
   */
  split?: { topics: readonly string[]; route: (s: WindowSignal) => readonly number[] };
  /** The Kafka client (the fake of test/helpers/fake-kafka.ts in unit tests); default: kafkajs from config.kafka. */
  kafka?: KafkaPort;
  /** The runner cannot go on (e.g. the group refuses this process): the process should exit. */
  onFatal?(err: HomeostatError): void;
}
