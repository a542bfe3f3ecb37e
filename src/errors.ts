/**
 * The one errors module. Every error homeostat raises carries a stable `code`
 * (safe to match on, written into DLQ headers and logs), a message that names the
 * problem and the fix, the `cause` when there is one, and `retriable` so that the
 * one retry path never retries a programming or input error.
 */

export type ErrorCode =
  // input: a record that cannot become telemetry (routed to the DLQ, never thrown out of the consumer)
  | 'NOT_DECODABLE'
  | 'BAD_MAGIC_BYTE'
  | 'TRUNCATED'
  | 'UNKNOWN_SCHEMA_ID'
  | 'AVRO_DECODE'
  | 'INVALID_JSON'
  | 'INVALID_UTF8'
  | 'MISSING_FIELD'
  | 'INVALID_FIELD'
  | 'NON_FINITE_VALUE'
  | 'TS_OUT_OF_RANGE'
  | 'TOO_MANY_TAGS'
  | 'TAG_TOO_LARGE'
  | 'RECORD_TOO_LARGE'
  | 'LATE'
  | 'SERIES_LIMIT'
  | 'BATCH_UNDECODABLE'
  // output: a record the processor made that its topic would refuse (dead-lettered instead of sent)
  | 'OUTPUT_TOO_LARGE'
  // configuration and usage
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'PREREQUISITE_MISSING'
  | 'INVALID_STATE'
  // transport
  | 'KAFKA'
  | 'SCHEMA_REGISTRY'
  | 'TIMEOUT';

export interface HomeostatErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  /** The field, key or config path the error is about, when there is one. */
  field?: string;
}

export class HomeostatError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: HomeostatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HomeostatError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.field = options.field;
  }
}

/** A record that cannot be accepted as input. It is a value routed to the DLQ, not a crash. */
export class InputError extends HomeostatError {
  constructor(code: ErrorCode, message: string, options: HomeostatErrorOptions = {}) {
    super(code, message, options);
    this.name = 'InputError';
  }
}

/** Configuration that fails validation at start. The message names key, value and fix. */
export class ConfigError extends HomeostatError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Why a Kafka driver must throw its in-memory state away and resume from the last commit, as a
 * restarted process would: what it holds was read past the committed offsets, or its producer
 * may be stuck or fenced.
 */
export type ResetReason =
  /** A batch (or an idle-time commit) failed before its transaction committed. */
  | 'batch-failed'
  /** The group was joined again: kafkajs fetches from the committed offsets, which lag on purpose. */
  | 'rejoined'
  /** The consumer stopped for good and was replaced. */
  | 'consumer-replaced'
  /** The process held only some partitions; it resumes once it holds them all. */
  | 'partial-assignment'
  /** The state topic does not show the checkpoint of the last commit yet (a transaction open there hides it). */
  | 'checkpoint-not-visible'
  /**
   * Single owner: this process was given the partitions. It fences the last owner's producer
   * first, then resumes from what that owner committed — never from what it read before. Names
   * the reset even when another is pending (a standby's pending reset never ran: no batches).
   */
  | 'took-ownership';

/**
 * A recovery a driver must run before it reads on. Thrown by the code that finds the need
 * (or recorded when found in an event handler) and handled in one place by the driver's loop,
 * instead of booleans set in many places.
 */
export class ResetRequired extends HomeostatError {
  readonly reason: ResetReason;
  constructor(reason: ResetReason, message: string, options: Omit<HomeostatErrorOptions, 'retriable'> = {}) {
    super('KAFKA', message, { ...options, retriable: true });
    this.name = 'ResetRequired';
    this.reason = reason;
  }
}

/** A driver cannot go on at all (e.g. the consumer group refuses this process): its owner should exit. */
export class DriverFatalError extends HomeostatError {
  constructor(message: string, options: HomeostatErrorOptions = {}) {
    super('CONFIG_INVALID', message, { ...options, retriable: false });
    this.name = 'DriverFatalError';
  }
}

export function isHomeostatError(err: unknown): err is HomeostatError {
  return err instanceof HomeostatError;
}

/** Short, single-line description of anything thrown, for logs and DLQ headers. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
