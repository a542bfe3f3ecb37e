/**
 * Telemetry producer options: the public type with every default, and the checks run at
 * construction (one ConfigError listing each bad key, its value and the fix).
 */
import type { z } from 'zod';
import { DEFAULT_TELEMETRY_LIMITS, resolveTelemetryLimits, validateTelemetry, type TelemetryLimits } from '../codec';
import { ConfigError } from '../errors';
import { kafkaSchema, type KafkaConfig, type RegistryConfig } from '../config/kafka-schema';

/** What to do with a sample when `maxBufferedRecords` samples are already waiting to be sent. */
export type OnFull = 'block' | 'drop';
export type ProducerFormat = 'avro' | 'json';
export type ProducerCompression = 'gzip' | 'none';

export interface TelemetryProducerOptions {
  /** Brokers, TLS and SASL: the same `kafka` block as homeostat's config (unset keys take its defaults). */
  kafka: z.input<typeof kafkaSchema> | KafkaConfig;
  /** Telemetry topic. It must exist (`homeostat topics create`). */
  topic: string;
  /** `source` of every sample, and the Kafka key: the emitting worker, service, tenant or host id. */
  source: string;
  /** `avro` (Confluent-framed, schema registered under `<topic>-value`; needs `registry`) or `json`. Default `json`. */
  format?: ProducerFormat;
  /** Schema Registry; required for `avro`. */
  registry?: RegistryConfig;
  /** Tags added to every sample (instrument and call tags override them). Default {}. */
  defaultTags?: Record<string, string>;
  /** How long a batch waits for more samples before it is sent, ms. Default 50. */
  lingerMs?: number;
  /** Samples per Kafka request at most. Default 10 000. */
  maxBatchRecords?: number;
  /**
   * Bytes per Kafka request at most (encoded keys and values plus ~32 bytes each, before
   * compression): a batch above the broker's message.max.bytes (1 MiB by default) is refused
   * whole, so bigger batches go out in several requests. Default 900 000.
   */
  maxBatchBytes?: number;
  /** Samples held in memory at most (buffered and in flight). Default 100 000. */
  maxBufferedRecords?: number;
  /**
   * When the buffer is full: `block` (default) — record() resolves once there is room (await
   * it for backpressure; at most maxBufferedRecords callers wait, each for blockTimeoutMs);
   * `drop` — the sample is dropped and counted in stats().dropped.
   */
  onFull?: OnFull;
  /** How long a blocked record() waits for room before the sample is dropped, ms. Default 30 000. */
  blockTimeoutMs?: number;
  /** `gzip` or `none` (default): kafkajs compresses GZIP natively. */
  compression?: ProducerCompression;
  /** Idempotent producer (acks=all, one request in flight, broker de-duplicates retries). Default true. */
  idempotent?: boolean;
  /** Counters and gauges are turned into samples this often, ms. Default 1 000. */
  intervalMs?: number;
  /** close() gives up flushing after this long, ms (the rest counts as dropped). Default 30 000. */
  closeTimeoutMs?: number;
  /** Distinct counter/gauge/timer instruments at most (name + tags). Default 10 000. */
  maxInstruments?: number;
  /** Samples are checked against these limits when recorded (those a processor would dead-letter are refused). */
  limits?: Partial<TelemetryLimits>;
}

export interface ResolvedProducerOptions {
  kafka: KafkaConfig;
  topic: string;
  source: string;
  format: ProducerFormat;
  registry: RegistryConfig | undefined;
  defaultTags: Record<string, string>;
  lingerMs: number;
  maxBatchRecords: number;
  maxBatchBytes: number;
  maxBufferedRecords: number;
  onFull: OnFull;
  blockTimeoutMs: number;
  compression: ProducerCompression;
  idempotent: boolean;
  intervalMs: number;
  closeTimeoutMs: number;
  maxInstruments: number;
  limits: TelemetryLimits;
}

export const PRODUCER_DEFAULTS: Readonly<
  Omit<ResolvedProducerOptions, 'kafka' | 'topic' | 'source' | 'registry' | 'defaultTags' | 'limits'>
> = Object.freeze({
  format: 'json',
  lingerMs: 50,
  maxBatchRecords: 10_000,
  maxBatchBytes: 900_000,
  maxBufferedRecords: 100_000,
  onFull: 'block',
  blockTimeoutMs: 30_000,
  compression: 'none',
  idempotent: true,
  intervalMs: 1_000,
  closeTimeoutMs: 30_000,
  maxInstruments: 10_000,
});

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

function nonNegInt(v: number, key: string, issues: string[], min = 0): void {
  if (!Number.isSafeInteger(v) || v < min) issues.push(`${key} must be an integer ≥ ${min}, got ${String(v)}`);
}

export function resolveProducerOptions(o: TelemetryProducerOptions): ResolvedProducerOptions {
  const issues: string[] = [];
  const parsed = kafkaSchema.safeParse(o.kafka ?? {});
  if (!parsed.success) for (const i of parsed.error.issues) issues.push(`kafka.${i.path.join('.')}: ${i.message}`);
  if (typeof o.topic !== 'string' || !TOPIC_NAME.test(o.topic))
    issues.push(
      `topic ${JSON.stringify(o.topic)}: use 1-249 letters, digits, '.', '_' or '-', e.g. homeostat.telemetry`,
    );
  if (typeof o.source !== 'string' || o.source === '')
    issues.push(
      'source must be a non-empty string: the id of the worker, service, tenant or host the samples describe',
    );
  const d = PRODUCER_DEFAULTS;
  const r = {
    format: o.format ?? d.format,
    defaultTags: o.defaultTags ?? {},
    lingerMs: o.lingerMs ?? d.lingerMs,
    maxBatchRecords: o.maxBatchRecords ?? d.maxBatchRecords,
    maxBatchBytes: o.maxBatchBytes ?? d.maxBatchBytes,
    maxBufferedRecords: o.maxBufferedRecords ?? d.maxBufferedRecords,
    onFull: o.onFull ?? d.onFull,
    blockTimeoutMs: o.blockTimeoutMs ?? d.blockTimeoutMs,
    compression: o.compression ?? d.compression,
    idempotent: o.idempotent ?? d.idempotent,
    intervalMs: o.intervalMs ?? d.intervalMs,
    closeTimeoutMs: o.closeTimeoutMs ?? d.closeTimeoutMs,
    maxInstruments: o.maxInstruments ?? d.maxInstruments,
  };
  if (r.format !== 'avro' && r.format !== 'json')
    issues.push(`format must be 'avro' or 'json', got ${JSON.stringify(r.format)}`);
  if (r.format === 'avro' && !o.registry)
    issues.push("format 'avro' needs registry.url (the Schema Registry); give one or use format 'json'");
  if (r.onFull !== 'block' && r.onFull !== 'drop')
    issues.push(`onFull must be 'block' or 'drop', got ${JSON.stringify(r.onFull)}`);
  if (r.compression !== 'gzip' && r.compression !== 'none')
    issues.push(`compression must be 'gzip' or 'none', got ${JSON.stringify(r.compression)}`);
  nonNegInt(r.lingerMs, 'lingerMs', issues);
  nonNegInt(r.maxBatchRecords, 'maxBatchRecords', issues, 1);
  nonNegInt(r.maxBatchBytes, 'maxBatchBytes', issues, 65_536);
  nonNegInt(r.maxBufferedRecords, 'maxBufferedRecords', issues, 1);
  nonNegInt(r.blockTimeoutMs, 'blockTimeoutMs', issues);
  nonNegInt(r.intervalMs, 'intervalMs', issues, 1);
  nonNegInt(r.closeTimeoutMs, 'closeTimeoutMs', issues);
  nonNegInt(r.maxInstruments, 'maxInstruments', issues, 1);
  if (
    Number.isSafeInteger(r.maxBatchRecords) &&
    Number.isSafeInteger(r.maxBufferedRecords) &&
    r.maxBufferedRecords < r.maxBatchRecords
  ) {
    issues.push(
      `maxBufferedRecords (${r.maxBufferedRecords}) must be at least maxBatchRecords (${r.maxBatchRecords}); ` +
        `raise it to a few batches, e.g. ${r.maxBatchRecords * 10}`,
    );
  }
  for (const [k, v] of Object.entries(r.defaultTags)) {
    if (typeof v !== 'string') issues.push(`defaultTags.${k} must be a string, got ${typeof v}`);
  }
  let limits: TelemetryLimits = { ...DEFAULT_TELEMETRY_LIMITS };
  try {
    limits = resolveTelemetryLimits(o.limits, 'limits');
  } catch (err) {
    if (err instanceof ConfigError) issues.push(...err.issues);
    else throw err;
  }
  if (issues.length === 0) {
    // source and defaultTags are in every sample: check them once, against the same limits.
    const probe = validateTelemetry(
      { ts: limits.minTs, source: o.source, metric: 'probe', value: 0, tags: r.defaultTags },
      limits,
    );
    if (probe instanceof Error) issues.push(`${probe.field ?? 'source/defaultTags'}: ${probe.message}`);
  }
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues);
  return { ...r, kafka: parsed.data, topic: o.topic, source: o.source, registry: o.registry, limits };
}
