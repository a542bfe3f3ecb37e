/** Public surface of the telemetry producer SDK. */
export { createTelemetryProducer, type TelemetryProducer } from './producer';
export {
  createProducerCore,
  type CoreOptions,
  type OutgoingBatch,
  type PartialSendFailure,
  type ProducerCore,
  type ProducerStats,
  type Timer,
} from './core';
export type { Counter, Gauge } from './instruments';
export {
  PRODUCER_DEFAULTS,
  resolveProducerOptions,
  type OnFull,
  type ProducerCompression,
  type ProducerFormat,
  type ResolvedProducerOptions,
  type TelemetryProducerOptions,
} from './options';
