/**
 * The samples of one multi-sample record (OTLP, line protocol) as one arrival: the ones whose
 * event time runs too far ahead of the record's Kafka timestamp are refused one by one
 * (codec/log-time.ts), the rest are stepped together (engine input `records`). Shared by the
 * live runner and replay from a topic, so both judge a record alike.
 */
import { aheadOfLogTime } from '../codec/log-time';
import type { TelemetryLimits } from '../codec';
import type { InputError } from '../errors';
import type { Telemetry } from '../model/telemetry';

/** The samples the log-time check lets through (`values` itself when it refuses none); `onAhead` gets each refused one. */
export function acceptSamples(
  values: Telemetry[],
  logTime: number,
  limits: Pick<TelemetryLimits, 'maxAheadOfLogTimeMs'>,
  /** The edge's arrival clock (live runner), or undefined in a replay (log-time.ts). */
  arrival: number | undefined,
  onAhead: (sample: Telemetry, error: InputError) => void,
): Telemetry[] {
  let accepted: Telemetry[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const t = values[i];
    const ahead = aheadOfLogTime(t.ts, logTime, limits, arrival);
    if (ahead) {
      // Copied only when some sample is refused: the common case passes the array through.
      accepted ??= values.slice(0, i);
      onAhead(t, ahead);
    } else accepted?.push(t);
  }
  return accepted ?? values;
}
