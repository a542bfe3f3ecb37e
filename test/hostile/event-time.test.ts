/**
 * Finding 2: any telemetry producer could blind the loop through event time. Records could
 * run 5 minutes ahead of their Kafka timestamp, and with producer-set (CreateTime)
 * timestamps the Kafka timestamp itself had no bound. Now a record may be at most
 * limits.maxAheadOfLogTimeMs (2 s) ahead of the earlier of its Kafka timestamp and the
 * processor's arrival clock. The last test runs the processor on the real broker; the clock-skew
 * scenarios on brokers of their own are test/faults/clock-skew.test.ts.
 */
import type { Message } from 'kafkajs';
import { encodeTelemetryJson, resolveTelemetryLimits } from '../../src/codec';
import { aheadOfLogTime } from '../../src/codec/log-time';
import { DLQ_HEADERS } from '../../src/kafka/dlq';
import { createLogger } from '../../src/ops/logger';
import { produce, randomName, readTopic, waitFor } from '../helpers/kafka';
import { startProcessor, testProcessorConfig, type RunningProcessor } from '../helpers/processor';

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

describe('through the processor, on the real broker', () => {
  let proc: RunningProcessor | undefined;
  afterAll(async () => {
    await proc?.stop();
  });

  it('records stamped 4.9 minutes ahead, with an honest or a forged Kafka timestamp, are dead-lettered; no honest record is late', async () => {
    const config = testProcessorConfig(randomName('hostile-ts'), { idleAfterMs: 30_000 });
    proc = await startProcessor(config, createLogger({ level: 'silent' }));
    const now = Date.now();
    const sample = (p: number, ts: number, source: string, timestamp?: number): Message => ({
      key: source,
      partition: p,
      value: encodeTelemetryJson({ ts, source, metric: 'queue.depth', value: 5, tags: {} }),
      ...(timestamp === undefined ? {} : { timestamp: String(timestamp) }),
    });
    const honest = [0, 1].flatMap((p) => [0, 1, 2, 3].map((s) => sample(p, now - 10_000 + s * 1000, `worker-${p}`)));
    const skewed = [sample(1, now + 294_000, 'skewed'), sample(1, now + 294_000, 'skewed-createtime', now + 294_000)];
    await produce(config.topics.telemetry, [...honest.slice(0, 4), ...skewed, ...honest.slice(4)]);
    const expected = honest.length + skewed.length;
    expect(await waitFor(() => proc!.runner.counters().consumed >= expected, 60_000, 100)).toBe(true);
    // Before, the first was accepted and moved event time 4.9 min ahead: the other partition went
    // idle and the honest records behind the watermark were LATE.
    expect(proc.runner.counters()).toMatchObject({
      consumed: expected,
      aggregated: honest.length,
      late: 0,
      deadLettered: 2,
    });
    const dead = await readTopic(config.topics.dlq, 2);
    expect(dead.map((m) => m.headers?.[DLQ_HEADERS.code]?.toString())).toEqual(['TS_OUT_OF_RANGE', 'TS_OUT_OF_RANGE']);
  });
});
