import { z } from 'zod';
import { HomeostatError } from '../errors';
import { kafkaSchema, registrySchema, topicsSchema } from './kafka-schema';
import { engineSchema, limitsSchema } from './engine-schema';
import { controlSchema } from './control-schema';
import { mergeDeep } from '../guardrails/config';
import { readYamlFile, validateConfig } from './load';
import { DEFAULT_MAX_SAMPLES_PER_RECORD } from '../ingest/options';

/**
 * The processor's configuration: one schema, every key defaulted and documented in
 * docs/config.md, validated once at start. Sources, later wins: defaults, the YAML
 * file, environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL), command-line flags.
 */
/** Default of `runner.snapshotMaxMiB`; also the bound of a reader given none (kafka/policy-snapshot.ts). */
export const SNAPSHOT_MAX_MIB_DEFAULT = 512;

export const configSchema = z
  .object({
    kafka: kafkaSchema.default({}),
    registry: registrySchema.default({}),
    topics: topicsSchema.default({}),
    /** Windows, watermarks and signals (src/core). */
    engine: engineSchema,
    /** Validation of telemetry beyond its types; a record outside them goes to the DLQ. */
    limits: limitsSchema,
    /**
     * Remediation policies (docs/policies.md). Validated by the policies module at start,
     * which names each bad key; none configured means the processor only computes signals.
     */
    policies: z.array(z.unknown()).default([]),
    /** Global guardrails and per-policy defaults (docs/policies.md#guardrails). */
    guardrails: z.record(z.unknown()).default({}),
    /** Verification of each enforced action (docs/verification.md); validated by the verifier at start. */
    verification: z.record(z.unknown()).default({}),
    /** Operator keys for the control topic and its bounds (docs/security.md). */
    control: controlSchema,
    /** Overrides every policy's mode (also --mode). Unset: each policy's own mode, shadow by default. */
    mode: z.enum(['shadow', 'canary', 'enforce']).optional(),
    /**
     * Ed25519 key that signs every command: a file, else env HOMEOSTAT_SIGNING_KEY, else a
     * generated development key pair. `audiences` names which executors may apply a
     * policy's commands (policy name or command family → audience; default the family).
     */
    signing: z
      .object({
        keyFile: z.string().min(1).optional(),
        keyId: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1–64 letters, digits, ".", "_" or "-"')
          .optional(),
        audiences: z
          .record(z.string().regex(/^[A-Za-z0-9._@:/-]{1,128}$/, 'use 1–128 letters, digits or . _ @ : / -'))
          .default({}),
      })
      .strict()
      .default({}),
    /**
     * What the telemetry topic carries: `homeostat` (Confluent Avro or JSON telemetry; the
     * fastest path), or `auto` / `otlp_proto` / `otlp_json` / `influx` to also read what the
     * OpenTelemetry Collector's Kafka exporter or Telegraf write (docs/ingest.md).
     */
    ingest: z
      .object({
        format: z.enum(['homeostat', 'auto', 'otlp_proto', 'otlp_json', 'influx']).default('homeostat'),
        /**
         * Most samples one OTLP or line-protocol record may map to (histogram points share it);
         * past it the record goes to the DLQ whole (RECORD_TOO_LARGE). Bounds what one small
         * record can cost: without it a ~1.5 KB record of histograms expands to ~98k samples.
         */
        maxSamplesPerRecord: z.number().int().positive().max(1_000_000).default(DEFAULT_MAX_SAMPLES_PER_RECORD),
      })
      .strict()
      .default({}),
    /** Which encoding to write to the actions topic (and the other output topics). */
    actions: z
      .object({ format: z.enum(['avro', 'json']).default('avro') })
      .strict()
      .default({}),
    runner: z
      .object({
        /**
         * Watermark alignment: a partition whose event time runs this far ahead of the
         * watermark is paused until the others catch up, which bounds the open-window state.
         * Must exceed engine.idleAfterMs, or an idle partition could stall the rest.
         */
        maxAheadMs: z.number().int().positive().default(300_000),
        /**
         * Most bytes fetched per partition per request (kafkajs maxBytesPerPartition); bounds a
         * batch. 4 MiB: a quarter of the transactions of 1 MiB when catching up (+6% throughput
         * measured), and a live stream only fetches what has arrived, so no added latency.
         */
        maxBytesPerPartition: z
          .number()
          .int()
          .positive()
          .default(4 * 1_048_576),
        /** Accounting is logged this often (wall clock; logging only, never decisions). */
        logIntervalMs: z.number().int().positive().default(10_000),
        /** Shutdown gives in-flight work this long to drain and commit before it gives up. */
        shutdownTimeoutMs: z.number().int().positive().default(30_000),
        /**
         * Carry every series' and scope's EWMA/trend history across restarts on the state
         * topic (history-checkpoint.ts). It costs one state record per key per closed window;
         * off, a restart starts EWMA and trend afresh (no other output changes).
         */
        carryHistory: z.boolean().default(true),
        /**
         * Share the telemetry partitions among the processes of the group (docs/scale-out.md):
         * each partition is windowed on its own by whichever process owns it, and one process
         * at a time merges the scopes and runs the policies from the stage topic. Off (default):
         * one process owns every partition and the others stand by. Every process of a group
         * must agree (the group refuses members of the other kind).
         */
        scaleOut: z.boolean().default(false),
        /**
         * Split stage two's decisions over this many decision shards, each a consumer group of
         * its own that any process of the group may own, and one arbiter for the fleet-wide
         * guardrails (docs/scale-out.md, "The Kafka wiring"). 0 (default): one stage two as
         * before. Needs runner.scaleOut; every process of a group must agree.
         */
        decisionShards: z.number().int().min(0).max(64).default(0),
        /**
         * Most MiB the policies' snapshot may inflate to (docs/scale-out.md): a stored one past
         * it is refused at start (a decompression bomb costs at most this much memory), and a
         * state past it is not written. The bench fleet's state at a million series is 67 MiB.
         */
        snapshotMaxMiB: z.number().int().min(16).max(4096).default(SNAPSHOT_MAX_MIB_DEFAULT),
      })
      .strict()
      .default({}),
    /** The HTTP server for /metrics, /healthz, /readyz (and the dashboard). */
    http: z
      .object({
        port: z.number().int().min(0).max(65535).default(9464),
        host: z.string().min(1).default('127.0.0.1'),
        enabled: z.boolean().default(true),
        /**
         * Environment variable holding a bearer token every route but /healthz and /readyz
         * then requires (the token never goes in a file that is checked in). Unset: no auth,
         * which is why the default host is 127.0.0.1.
         */
        authTokenEnv: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
          .optional(),
        /** Most dashboard event streams open at once; each costs a snapshot and up to 16 MiB of buffer. */
        maxDashboardStreams: z.number().int().min(1).max(64).default(4),
      })
      .strict()
      .default({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.runner.decisionShards > 0 && !c.runner.scaleOut) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['runner', 'decisionShards'],
        message:
          `is ${c.runner.decisionShards}, which needs runner.scaleOut: true (stage one must write to the shards); ` +
          'set runner.scaleOut: true, or runner.decisionShards: 0',
      });
    }
    const idle = c.engine.idleAfterMs === 'never' ? Infinity : (c.engine.idleAfterMs ?? 30_000);
    if (Number.isFinite(idle) && c.runner.maxAheadMs <= idle) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['runner', 'maxAheadMs'],
        message:
          `must exceed engine.idleAfterMs (${idle}) so that an idle partition cannot stall the others; set it to ` +
          `at least ${2 * idle}`,
      });
    }
  });

export type HomeostatConfig = z.infer<typeof configSchema>;

export interface ConfigSources {
  file?: string;
  /** Comma-separated brokers from --brokers. */
  brokers?: string;
  registry?: string;
  /** Extra overrides from flags, as a partial config object. */
  overrides?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

function splitBrokers(list: string): string[] {
  return list
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

export function loadConfig(sources: ConfigSources = {}): HomeostatConfig {
  const env = sources.env ?? process.env;
  let raw: unknown = sources.file ? readYamlFile(sources.file) : {};
  const fromEnv: Record<string, Record<string, unknown>> = {};
  if (env.KAFKA_BROKERS) fromEnv.kafka = { brokers: splitBrokers(env.KAFKA_BROKERS) };
  if (env.SCHEMA_REGISTRY_URL) fromEnv.registry = { url: env.SCHEMA_REGISTRY_URL };
  raw = mergeDeep(raw, fromEnv);
  const fromFlags: Record<string, Record<string, unknown>> = {};
  if (sources.brokers) fromFlags.kafka = { brokers: splitBrokers(sources.brokers) };
  if (sources.registry) fromFlags.registry = { url: sources.registry };
  raw = mergeDeep(raw, fromFlags);
  raw = mergeDeep(raw, sources.overrides);
  return validateConfig(configSchema, raw);
}

/** The ops server's bearer token from `http.authTokenEnv`; throws naming the variable (never its value) when it is unset or short. */
export function httpAuthToken(
  config: Pick<HomeostatConfig, 'http'>,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const name = config.http.authTokenEnv;
  if (name === undefined) return undefined;
  const token = env[name];
  if (token === undefined || token.length < 16) {
    throw new HomeostatError(
      'CONFIG_INVALID',
      `http.authTokenEnv names ${name}, which is ${token === undefined ? 'not set' : 'shorter than 16 characters'}; set ` +
        `it to a random token (e.g. openssl rand -hex 32)`,
    );
  }
  return token;
}
