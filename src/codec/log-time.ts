/**
 * A record whose event time runs far ahead of its Kafka timestamp comes from a producer
 * whose clock is ahead. Event-time idleness and the watermark follow the highest event time,
 * so one such producer would close every other producer's windows early and make their
 * records late. The Kafka timestamp is an independent clock that is stored with the record
 * (so live runs and replays of the topic judge alike).
 *
 * With CreateTime (the producer's client sets the Kafka timestamp) a hostile producer moves
 * that clock too, so the edge also passes its arrival clock: the log time is then the
 * earlier of the two, and no record gets further ahead of the processor's own clock than
 * the limit. Honest records (Kafka timestamp at or before arrival) are judged exactly as a
 * replay of the topic judges them; only a record stamped in the future can be judged
 * differently by a later replay. With LogAppendTime the broker sets the timestamp and no
 * producer can move it.
 */
import { InputError } from '../errors';
import type { TelemetryLimits } from './limits';

/** The error for a record too far ahead of its Kafka timestamp, or undefined when it is fine. */
export function aheadOfLogTime(
  ts: number,
  kafkaTime: number,
  limits: Pick<TelemetryLimits, 'maxAheadOfLogTimeMs'>,
  arrival?: number,
): InputError | undefined {
  const max = limits.maxAheadOfLogTimeMs;
  const logTime = arrival !== undefined && arrival > 0 && !(kafkaTime <= arrival) ? arrival : kafkaTime;
  // A record without a timestamp (-1, or a client that sent none) cannot be judged.
  if (max === Infinity || !(logTime > 0) || ts - logTime <= max) return undefined;
  const against =
    logTime === kafkaTime
      ? "the record's Kafka timestamp"
      : `the processor's clock at arrival (the Kafka timestamp, ${new Date(kafkaTime).toISOString()}, is in the future)`;
  return new InputError(
    'TS_OUT_OF_RANGE',
    `field 'ts' (${new Date(ts).toISOString()}) is ${formatAhead(ts - logTime)} ahead of ${against} ` +
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
