import type { KafkaMessage } from 'kafkajs';
import { decodeStageRecord, stageMark, stageSignals, STAGE_KIND_HEADER } from '../../../src/kafka/stage-records';
import type { WindowSignal } from '../../../src/model/signal';

const asRead = (
  m: { key?: unknown; value: Buffer | string | null; headers?: Record<string, unknown> },
  offset = '7',
): KafkaMessage =>
  ({
    key: null,
    value: typeof m.value === 'string' ? Buffer.from(m.value) : m.value,
    headers: m.headers,
    offset,
    timestamp: '0',
    attributes: 0,
  }) as unknown as KafkaMessage;

const signal: WindowSignal = {
  scope: 'series',
  key: 'w1|depth|',
  source: 'w1',
  metric: 'depth',
  tags: {},
  windowStart: 0,
  windowEnd: 1000,
  count: 2,
  sum: 3,
  min: 1,
  max: 2,
  mean: 1.5,
  ratePerSec: 2,
  p50: 1,
  p90: 2,
  p99: 2,
  p999: 2,
  ewma: 1.5,
  trend: 0,
  partial: false,
  partitions: [3],
};

test('signals and marks come back as they went, on partition 0', () => {
  const [m] = stageSignals([signal]);
  expect(m.partition).toBe(0);
  expect(decodeStageRecord(asRead({ value: m.value, headers: m.headers }, '12'))).toEqual({
    kind: 'signal',
    signal,
    offset: '12',
  });
  // Non-finite doubles (canonical JSON writes them as strings) and no sketch come back as they were.
  const odd = { ...signal, ewma: NaN, trend: -Infinity, max: Infinity };
  const [n] = stageSignals([odd]);
  const back = decodeStageRecord(asRead({ value: n.value, headers: n.headers }));
  expect(back).toEqual({ kind: 'signal', signal: odd, offset: '7' });
  expect('signal' in back && !('sketch' in back.signal)).toBe(true);
  const mark = stageMark({ partition: 2, wm: 5_000, maxTs: 5_300, next: '42' });
  expect(mark.partition).toBe(0);
  expect(decodeStageRecord(asRead({ value: mark.value, headers: mark.headers }))).toEqual({
    kind: 'mark',
    mark: { partition: 2, wm: 5_000, maxTs: 5_300, next: '42' },
    offset: '7',
  });
  // A split stage two's mark names the windows its transaction emitted.
  const windows = [{ end: 6_000, minStart: 5_000 }];
  const named = stageMark({ partition: 1, wm: 5_000, maxTs: 5_300, next: '43', windows });
  expect(decodeStageRecord(asRead({ value: named.value, headers: named.headers }))).toEqual({
    kind: 'mark',
    mark: { partition: 1, wm: 5_000, maxTs: 5_300, next: '43', windows },
    offset: '7',
  });
  // Nothing seen yet: -Infinity survives the trip (JSON has no infinities).
  const empty = stageMark({ partition: 0, wm: -Infinity, maxTs: -Infinity, next: '0' });
  expect(decodeStageRecord(asRead({ value: empty.value, headers: empty.headers }))).toEqual({
    kind: 'mark',
    mark: { partition: 0, wm: -Infinity, maxTs: -Infinity, next: '0' },
    offset: '7',
  });
});

test('anything else is named, not thrown', () => {
  const cases: [Parameters<typeof asRead>[0], RegExp][] = [
    [{ value: '{}' }, /header homeostat-stage is missing/],
    [{ value: '{}', headers: { [STAGE_KIND_HEADER]: Buffer.from('other') } }, /is "other": not a stage record/],
    [{ value: null, headers: { [STAGE_KIND_HEADER]: Buffer.from('mark') } }, /no value/],
    [{ value: '{"partition":1}', headers: { [STAGE_KIND_HEADER]: Buffer.from('mark') } }, /not a partition mark/],
    [
      {
        value: '{"partition":1,"next":"3","windows":[{"end":"x"}]}',
        headers: { [STAGE_KIND_HEADER]: Buffer.from('mark') },
      },
      /windows are not a list of window summaries/,
    ],
    [{ value: 'not json', headers: { [STAGE_KIND_HEADER]: Buffer.from('mark') } }, /JSON/],
    [{ value: '{"scope":"series"}', headers: { [STAGE_KIND_HEADER]: Buffer.from('signal') } }, /./],
  ];
  for (const [m, why] of cases) {
    const r = decodeStageRecord(asRead(m));
    expect('error' in r && why.test(r.error)).toBe(true);
  }
});
