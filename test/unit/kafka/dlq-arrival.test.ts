import type { KafkaMessage } from 'kafkajs';
import { DLQ_HEADERS } from '../../../src/kafka/dlq';
import { DLQ_SAMPLE_HEADERS, createBatchDead, deadByInput, dlqArrival } from '../../../src/kafka/dlq-arrival';
import type { DeadLetter } from '../../../src/pipeline/processor';

const late = (offset: string, ts: number): DeadLetter => ({
  partition: 0,
  offset,
  code: 'LATE',
  message: `late ${ts}`,
  record: { ts, source: 's', metric: 'm', value: 1, tags: {} },
});
const input = (offset: string, value: string): KafkaMessage => ({
  offset,
  key: Buffer.from('k'),
  value: Buffer.from(value),
  timestamp: '5',
  attributes: 0,
  headers: { trace: 'x' },
});

describe('dead letters grouped by input record', () => {
  it('make one DLQ record per input: its bytes once, the first reason, the refused count per code', () => {
    const dead: DeadLetter[] = [
      late('7', 1),
      late('7', 2),
      { partition: 0, offset: '7', code: 'TS_OUT_OF_RANGE', message: 'ahead' },
      late('9', 3),
    ];
    const groups = deadByInput(dead);
    expect(groups.map((g) => [g.offset, g.count])).toEqual([
      ['7', 3],
      ['9', 1],
    ]);
    const m = dlqArrival(groups[0], {
      topic: 't',
      partition: 0,
      message: input('7', 'otlp bytes'),
      samples: 130,
      maxBytes: 1 << 20,
    });
    expect(m.value).toEqual(Buffer.from('otlp bytes'));
    expect(m.key).toEqual(Buffer.from('k'));
    const h = m.headers!;
    expect(h[DLQ_HEADERS.code]).toBe('LATE');
    expect(h[DLQ_HEADERS.message]).toBe('late 1');
    expect(h[DLQ_HEADERS.offset]).toBe('7');
    expect(h[DLQ_SAMPLE_HEADERS.refused]).toBe('3');
    expect(h[DLQ_SAMPLE_HEADERS.total]).toBe('130');
    expect(h[DLQ_SAMPLE_HEADERS.reasons]).toBe('LATE=2,TS_OUT_OF_RANGE=1');
    expect(h['homeostat.dlq.original.trace']).toBe('x');
  });

  it('leave a single-sample or undecodable record as it was: no sample headers', () => {
    const [g] = deadByInput([{ partition: 2, offset: '4', code: 'INVALID_JSON', message: 'bad' }]);
    const m = dlqArrival(g, {
      topic: 't',
      partition: 2,
      message: input('4', '{'),
      samples: undefined,
      maxBytes: 1 << 20,
    });
    expect(m.value).toEqual(Buffer.from('{'));
    expect(m.headers![DLQ_SAMPLE_HEADERS.refused]).toBeUndefined();
    expect(m.headers![DLQ_HEADERS.partition]).toBe('2');
  });

  it('are folded as each record is stepped, so a batch holds one group per input, not one object per sample', () => {
    const b = createBatchDead();
    const dead: DeadLetter[] = Array.from({ length: 5_000 }, (_, i) => late('1', i));
    b.noteSamples('1', 6_000);
    b.fold(dead);
    expect(dead).toHaveLength(0);
    b.fold([late('2', 1)]);
    expect(b.groups().map((g) => [g.offset, g.count])).toEqual([
      ['1', 5_000],
      ['2', 1],
    ]);
    const byOffset = new Map([
      ['1', input('1', 'a')],
      ['2', input('2', 'b')],
    ]);
    const [one, two] = b.messages('t', 0, byOffset, 1 << 20);
    expect(one.headers![DLQ_SAMPLE_HEADERS.total]).toBe('6000');
    expect(two.headers![DLQ_SAMPLE_HEADERS.refused]).toBeUndefined();
    b.clear();
    expect(b.groups()).toHaveLength(0);
  });
});
