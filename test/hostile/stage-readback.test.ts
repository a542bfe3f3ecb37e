/**
 * Finding 1 (read-back): the stage topic was read back with a shape check but no bounds, and
 * stage two's checkpoint not at all. A record outside the bounds is refused with a reason,
 * never thrown and never admitted.
 */
import type { KafkaMessage } from 'kafkajs';
import { decodeStageRecord, STAGE_KIND_HEADER } from '../../src/kafka/stage-records';

const msg = (kind: string, value: unknown): KafkaMessage => ({
  key: null,
  value: Buffer.from(JSON.stringify(value)),
  headers: { [STAGE_KIND_HEADER]: kind },
  offset: '0',
  timestamp: '0',
  attributes: 0,
});

const signal = (patch: Record<string, unknown>): Record<string, unknown> => ({
  scope: 'series',
  key: 'k',
  source: 's',
  metric: 'm',
  windowStart: 0,
  windowEnd: 1000,
  count: 1,
  sum: 1,
  min: 1,
  max: 1,
  mean: 1,
  ratePerSec: 1,
  p50: 1,
  p90: 1,
  p99: 1,
  p999: 1,
  ewma: 1,
  trend: 0,
  partial: false,
  tags: {},
  partitions: [0],
  ...patch,
});

test('a well-formed stage signal and mark are read', () => {
  expect(decodeStageRecord(msg('signal', signal({})))).toMatchObject({ kind: 'signal' });
  expect(decodeStageRecord(msg('mark', { partition: 1, wm: 5, maxTs: 6, next: '7' }))).toMatchObject({ kind: 'mark' });
});

test('stage records outside the bounds are refused with a reason', () => {
  const tags = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`t${i}`, 'v']));
  for (const bad of [
    msg('signal', signal({ tags })),
    msg('signal', signal({ source: 'x'.repeat(100_000) })),
    msg('signal', signal({ partitions: Array.from({ length: 200_000 }, (_, i) => i) })),
    msg('signal', signal({ partitions: [-1] })),
    msg('signal', signal({ tags: { a: 1 } })),
    msg('mark', { partition: -3, wm: 5, maxTs: 6, next: '7' }),
    msg('mark', { partition: 1e9, wm: 5, maxTs: 6, next: '7' }),
  ]) {
    expect(decodeStageRecord(bad)).toHaveProperty('error');
  }
});
