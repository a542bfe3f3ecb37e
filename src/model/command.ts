/**
 * A remediation command: what homeostat publishes to `homeostat.actions`
 * (schemas/command.avsc, Kafka key = target) and what executors apply.
 *
 * Absent optional values are `null`, never `undefined`, so that the object encodes
 * as Avro unchanged and its canonical JSON (used for ids and signatures) is stable.
 */

/** Policy trust level: shadow decides but never enforces; canary enforces on a fraction of targets. */
export type Mode = 'shadow' | 'canary' | 'enforce';

export const MODES: readonly Mode[] = ['shadow', 'canary', 'enforce'];

/** What a command acts on. The family is the part of the type before the dot. */
export type CommandFamily = 'query_timeout' | 'retry_policy' | 'quota';

export const COMMAND_FAMILIES: readonly CommandFamily[] = ['query_timeout', 'retry_policy', 'quota'];

export type CommandType = `${CommandFamily}.set` | `${CommandFamily}.revert`;

/** Backoff jitter strategies a `retry_policy.set` can ask for (see src/client/backoff.ts). */
export type RetryStrategy = 'none' | 'full' | 'equal' | 'decorrelated';

/** The comparison that held between an evidence value and its threshold. */
export type Comparison = '>' | '>=' | '<' | '<=' | '==' | '!=';

/** One signal value compared against a threshold: why a command or decision happened. */
export interface Evidence {
  /** Signal name, e.g. `query.latency_ms:p99` or `cluster.utilization`. */
  signal: string;
  value: number;
  threshold: number;
  comparison: Comparison;
}

/**
 * Typed parameters (field names as in schemas/command.avsc). Each family sets its own
 * fields and leaves the others null; `.revert` commands set none.
 */
export interface CommandParams {
  /** query_timeout.set: the query timeout to apply, integer ms. */
  timeoutMs: number | null;
  retryStrategy: RetryStrategy | null;
  /** retry_policy.set: base backoff delay, integer ms. */
  retryBaseMs: number | null;
  /** retry_policy.set: largest single backoff sleep, integer ms. */
  retryCapMs: number | null;
  /** retry_policy.set: attempts per call including the first, integer. */
  retryMaxAttempts: number | null;
  /** retry_policy.set: retries allowed as a fraction of requests (retry budget), 0..1. */
  retryBudgetRatio: number | null;
  /** retry_policy.set: retries per second always allowed regardless of the ratio. */
  retryBudgetFloorPerSec: number | null;
  /** quota.set: ingress byte-rate quota, bytes per second. */
  quotaBytesPerSec: number | null;
  /** quota.set: request-rate quota, requests per second. */
  quotaRequestsPerSec: number | null;
  /** Parameters without a typed field yet (and bookkeeping such as the herd-control level). */
  extra: Record<string, string>;
}

export interface Command {
  /** Deterministic: hex sha256 of (policy, policyVersion, target, window, type, params), 32 chars. */
  id: string;
  type: CommandType;
  target: string;
  params: CommandParams;
  /** Executors apply only `canary` and `enforce` commands; a canary's control group gets `shadow`. */
  mode: Mode;
  policy: string;
  policyVersion: string;
  reason: string;
  evidence: Evidence[];
  /** The event-time window that triggered the command, epoch ms [start, end). */
  windowStart: number;
  windowEnd: number;
  /** Event time (the closing window's end), never wall clock, so that replay reproduces it. */
  issuedAt: number;
  /** Lease expiry, epoch ms: an executor reverts when it passes without a renewal. */
  expiresAt: number;
  /** Id of the Ed25519 key that signed the command; '' when unsigned. */
  keyId: string;
  /** Base64 Ed25519 signature over every other field (docs/signing.md); '' when unsigned. */
  signature: string;
  /**
   * Which executors may apply the command (they refuse any other audience). Default: the
   * command family; `signing.audiences` in the processor's config names others. '' on
   * commands written before the field existed: no executor accepts those.
   */
  audience: string;
}
