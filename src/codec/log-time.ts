/**
 * A record whose event time runs far ahead of its Kafka timestamp comes from a producer
 * whose clock is ahead. Event-time idleness and the watermark follow the highest event time,
 * so one such producer would close every other producer's windows early and make their
 * records late. The Kafka timestamp is an independent clock that is stored with the record
 * (so live runs and replays of the topic judge alike), and the check needs no wall clock.
 */
import { InputError } from '../errors';
import type { TelemetryLimits } from './limits';

/** The error for a record too far ahead of its Kafka timestamp, or undefined when it is fine. */
export function aheadOfLogTime(ts: number, logTime: number, limits: Pick<TelemetryLimits, 'maxAheadOfLogTimeMs'>): InputError | undefined {
  const max = limits.maxAheadOfLogTimeMs;
  // A record without a timestamp (-1, or a client that sent none) cannot be judged.
  if (max === Infinity || !(logTime > 0) || ts - logTime <= max) return undefined;
  return new InputError(
    'TS_OUT_OF_RANGE',
    `field 'ts' (${new Date(ts).toISOString()}) is ${formatAhead(ts - logTime)} ahead of the record's Kafka timestamp ` +
      `(${new Date(logTime).toISOString()}), over limits.maxAheadOfLogTimeMs (${max} ms): the producer's clock is ahead; ` +
      'fix its clock (NTP), or raise the limit',
    { field: 'ts' },
  );
}

function formatAhead(ms: number): string {
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 1000).toFixed(1)} s`;
}
