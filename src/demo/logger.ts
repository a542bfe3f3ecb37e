/**
 * The log of a demo run: the processor's, the executor's and kafkajs's warnings and errors,
 * JSON lines on stderr (stdout carries the table), at HOMEOSTAT_LOG_LEVEL or `warn`.
 *
 * kafkajs logs as errors some broker answers that the demo's clients retry by design, and a
 * demo run provokes them by the hundred; they are left out (RETRIED), with one notice. A failure that matters
 * still shows: as the runner's or executor's own error line, and as the lockstep's timeout
 * naming what did not catch up.
 */
import pino, { type Logger } from 'pino';

/**
 * - CONCURRENT_TRANSACTIONS: the demo commits a transaction per telemetry partition per
 *   simulated second, back to back, so the coordinator often still writes the previous
 *   one's markers when the next begins; the runner retries (whileConcurrent in
 *   src/kafka/processor-driver.ts) and the transaction goes through.
 * - NOT_LEADER_OR_FOLLOWER on a topic created a moment ago: a KRaft broker names the leader
 *   before it serves the partition, and waitForLeaders (src/kafka/topics.ts) asks again.
 * And one warning: kafkajs's notice that its default partitioner changed in v2, printed for
 * the runner's producer. Every output topic of a demo run has one partition, so the
 * partitioner chooses nothing.
 */
const RETRIED = new RegExp(
  [
    'concurrent operation on the same transaction',
    'CONCURRENT_TRANSACTIONS',
    'not the leader for that topic-partition',
    'switched default partitioner',
  ].join('|'),
);

function mentionsRetried(value: unknown): boolean {
  if (typeof value === 'string') return RETRIED.test(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some(mentionsRetried);
}

export function createDemoLogger(level = process.env.HOMEOSTAT_LOG_LEVEL ?? 'warn'): Logger {
  return pino(
    {
      name: 'homeostat-demo',
      level,
      hooks: {
        logMethod(args, method) {
          if (args.some(mentionsRetried)) return;
          method.apply(this, args);
        },
      },
    },
    pino.destination(2),
  );
}
