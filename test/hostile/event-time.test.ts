/**
 * Finding 2: any telemetry producer could blind the loop through event time. Records could
 * run 5 minutes ahead of their Kafka timestamp, and with producer-set (CreateTime)
 * timestamps the Kafka timestamp itself had no bound. Now a record may be at most
 * limits.maxAheadOfLogTimeMs (2 s) ahead of the earlier of its Kafka timestamp and the
 * processor's arrival clock. The live run on brokers is test/faults/clock-skew.test.ts.
 */
import { resolveTelemetryLimits } from '../../src/codec';
import { aheadOfLogTime } from '../../src/codec/log-time';

const limits = resolveTelemetryLimits({});
const NOW = Date.UTC(2026, 11, 6, 3);

test('a record stamped 4.9 minutes ahead of its broker timestamp is refused (seconds, not minutes)', () => {
  expect(aheadOfLogTime(NOW + 294_000, NOW, limits)?.code).toBe('TS_OUT_OF_RANGE');
  expect(aheadOfLogTime(NOW + 5_000, NOW, limits)?.code).toBe('TS_OUT_OF_RANGE');
  expect(aheadOfLogTime(NOW + 1_000, NOW, limits)).toBeUndefined();
});

test('a producer that also stamps the Kafka timestamp in the future is judged by the arrival clock', () => {
  const forged = NOW + 294_000;
  const e = aheadOfLogTime(forged, forged, limits, NOW);
  expect(e?.code).toBe('TS_OUT_OF_RANGE');
  expect(e?.message).toMatch(/arrival/);
  // An honest record (Kafka timestamp at or before arrival) is judged as a replay of the topic judges it.
  for (const ts of [NOW - 60_000, NOW - 1, NOW + 1_500])
    expect(aheadOfLogTime(ts, NOW, limits, NOW + 3_000)).toEqual(aheadOfLogTime(ts, NOW, limits));
});
