import { z } from 'zod';

/**
 * Connection settings shared by every Kafka client the project creates
 * (processor, executors, CLI, producer SDK), including TLS and SASL.
 */
export const kafkaSecuritySchema = z
  .object({
    /** TLS: `true` for the system trust store, or files for a private CA / mutual TLS. */
    ssl: z
      .union([
        z.boolean(),
        z
          .object({
            caFile: z.string().optional(),
            certFile: z.string().optional(),
            keyFile: z.string().optional(),
            rejectUnauthorized: z.boolean().default(true),
          })
          .strict(),
      ])
      .default(false),
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        /** The password itself, or leave empty and set `passwordEnv` / `passwordFile`. */
        password: z.string().optional(),
        passwordEnv: z.string().optional(),
        passwordFile: z.string().optional(),
      })
      .strict()
      .refine((s) => [s.password, s.passwordEnv, s.passwordFile].filter((v) => v !== undefined).length === 1, {
        message: 'set exactly one of sasl.password, sasl.passwordEnv or sasl.passwordFile',
      })
      .optional(),
  })
  .strict();

export const kafkaSchema = z
  .object({
    brokers: z
      .array(z.string().regex(/^[^:\s]+:\d+$/, 'a broker is host:port, e.g. 127.0.0.1:9092'))
      .min(1)
      .default(['127.0.0.1:9092']),
    clientId: z.string().min(1).default('homeostat'),
    groupId: z.string().min(1).default('homeostat'),
    /**
     * Prefix of the group's transactional ids (`<prefix>-owner`, `-p<partition>`, `-stage-two`,
     * …). Unset: `<groupId>-processor`, so two groups on one cluster never share an id — a
     * shared id fences the other group's producer at every takeover (Kafka Streams derives
     * its ids from application.id for the same reason).
     */
    transactionalIdPrefix: z.string().min(1).optional(),
    connectionTimeoutMs: z.number().int().positive().default(10_000),
    requestTimeoutMs: z.number().int().positive().default(30_000),
    sessionTimeoutMs: z.number().int().positive().default(30_000),
    heartbeatIntervalMs: z.number().int().positive().default(3_000),
  })
  .merge(kafkaSecuritySchema)
  .strict()
  .refine((k) => k.heartbeatIntervalMs * 3 <= k.sessionTimeoutMs, {
    message:
      'kafka.heartbeatIntervalMs must be at most a third of kafka.sessionTimeoutMs; set it to about sessionTimeoutMs / 10',
    path: ['heartbeatIntervalMs'],
  })
  .transform((k) => ({
    ...k,
    transactionalIdPrefix: k.transactionalIdPrefix ?? defaultTransactionalIdPrefix(k.groupId),
  }));

/** The transactional id prefix of a group that names none: the default group's is `homeostat-processor`, as before. */
export function defaultTransactionalIdPrefix(groupId: string): string {
  return `${groupId}-processor`;
}

export type KafkaConfig = z.infer<typeof kafkaSchema>;

export const topicsSchema = z
  .object({
    telemetry: z.string().min(1).default('homeostat.telemetry'),
    dlq: z.string().min(1).default('homeostat.telemetry.dlq'),
    signals: z.string().min(1).default('homeostat.signals'),
    decisions: z.string().min(1).default('homeostat.decisions'),
    actions: z.string().min(1).default('homeostat.actions'),
    actionResults: z.string().min(1).default('homeostat.action-results'),
    outcomes: z.string().min(1).default('homeostat.outcomes'),
    control: z.string().min(1).default('homeostat.control'),
    /** Compacted: the policies' state, committed with the offsets so that a restart resumes it. */
    state: z.string().min(1).default('homeostat.processor-state'),
    /**
     * Internal, one partition: with runner.scaleOut, each process's stage one writes its
     * partitions' series finals, scope partials and watermark marks here, and the group's
     * stage two reads them (src/pipeline/gather.ts).
     */
    stage: z.string().min(1).default('homeostat.stage'),
    /**
     * max.message.bytes of the DLQ topic when homeostat makes it, and the size every
     * dead-lettered record is cut to fit (the original's sha256 and size go in headers).
     * Set it to the topic's real limit if the topic was made otherwise.
     */
    dlqMaxMessageBytes: z
      .number()
      .int()
      .min(128 * 1024)
      .default(1_048_576),
    /** Partitions of the telemetry topic when `homeostat topics create` makes it. */
    telemetryPartitions: z.number().int().positive().default(6),
    /**
     * message.timestamp.type of the telemetry topic when `topics create` makes it.
     * LogAppendTime: the broker stamps each record, so limits.maxAheadOfLogTimeMs also
     * catches a producer host whose whole clock is ahead (CreateTime: only a wrong `ts`).
     */
    telemetryTimestampType: z.enum(['CreateTime', 'LogAppendTime']).default('CreateTime'),
    /** Partitions of every other topic it makes (control: 1, so that its order is total). */
    partitions: z.number().int().positive().default(3),
    replicationFactor: z.number().int().positive().default(1),
    /** Retention of the telemetry, signals and DLQ topics. */
    retentionMs: z
      .number()
      .int()
      .positive()
      .default(7 * 24 * 3600 * 1000),
    /** Retention of the audit topics (decisions, actions, results, outcomes). */
    auditRetentionMs: z
      .number()
      .int()
      .positive()
      .default(90 * 24 * 3600 * 1000),
  })
  .strict();

export type TopicsConfig = z.infer<typeof topicsSchema>;

export const registrySchema = z
  .object({
    /** Default: the local registry that scripts/services.sh starts (Apicurio's Confluent-compatible API). */
    url: z.string().url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
    username: z.string().optional(),
    password: z.string().optional(),
  })
  .strict();

export type RegistryConfig = z.infer<typeof registrySchema>;
