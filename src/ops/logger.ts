import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One pino logger for the process. JSON lines to stderr, so that stdout stays free
 * for command output (tables, file paths) that scripts may parse.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const level = options.level ?? process.env.HOMEOSTAT_LOG_LEVEL ?? 'info';
  return pino({ name: options.name ?? 'homeostat', level }, pino.destination(2));
}

/** A logger that drops everything: for library use and tests that assert on values, not logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
