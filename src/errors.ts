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

export function isHomeostatError(err: unknown): err is HomeostatError {
  return err instanceof HomeostatError;
}

/** Short, single-line description of anything thrown, for logs and DLQ headers. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
