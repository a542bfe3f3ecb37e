import type { TopicMessages } from 'kafkajs';
import { decodeCheckpoint, encodeCheckpoint } from '../../../src/kafka/checkpoint-meta';
import { controlKey } from '../../../src/kafka/control-reader';
import { dlqMessage, DLQ_HEADERS, DLQ_ORIGINAL_HEADER_PREFIX } from '../../../src/kafka/dlq';
import { chunkMessages } from '../../../src/kafka/transaction';
import { alignment, newProgress } from '../../../src/kafka/runner-state';
import { createEngine } from '../../../src/core';

describe('runner helpers', () => {
  test('checkpoint metadata round-trips and ignores foreign metadata', () => {
    expect(decodeCheckpoint(encodeCheckpoint({ next: '42', wm: 1000 }))).toEqual({ v: 1, next: '42', wm: 1000 });
    expect(decodeCheckpoint(encodeCheckpoint({ next: '0', wm: -Infinity }))).toEqual({
      v: 1,
      next: '0',
      wm: -Infinity,
    });
    for (const foreign of [null, '', 'x', '{"v":2,"next":"1"}', '{"v":1,"next":"-1"}'])
      expect(decodeCheckpoint(foreign)).toBeUndefined();
  });

  test("a stage-one checkpoint names its histories' commit; one of the previous version (no h) still decodes", () => {
    const meta = encodeCheckpoint({ next: '42', wm: 1000, h: '00ff00ff00ff00ff' });
    expect(JSON.parse(meta)).toEqual({ v: 1, next: '42', wm: 1000, h: '00ff00ff00ff00ff' });
    expect(decodeCheckpoint(meta)?.h).toBe('00ff00ff00ff00ff');
    // Written by the previous version: restored, with no commit to wait for.
    expect(decodeCheckpoint('{"v":1,"next":"42","wm":1000}')).toEqual({ v: 1, next: '42', wm: 1000 });
    // Anyone can commit offsets to the group: an id that is not one is ignored, not trusted.
    for (const h of ['', 'XYZ', 'a'.repeat(33), 7]) {
      const m = decodeCheckpoint(JSON.stringify({ v: 1, next: '1', wm: 0, h }));
      expect(m).toEqual({ v: 1, next: '1', wm: 0 });
    }
  });

  test('chunks never exceed the byte budget (unless one message alone does) and keep order', () => {
    const big = (n: number): Buffer => Buffer.alloc(n, 1);
    const input: TopicMessages[] = [
      { topic: 'a', messages: [{ value: big(300) }, { value: big(300) }, { value: big(300) }] },
      { topic: 'b', messages: [{ value: big(2000) }, { value: big(10) }] },
    ];
    const chunks = chunkMessages(input, 1000);
    const flat = chunks.flatMap((c) =>
      c.flatMap((tm) => tm.messages.map((m) => `${tm.topic}:${(m.value as Buffer).length}`)),
    );
    expect(flat).toEqual(['a:300', 'a:300', 'a:300', 'b:2000', 'b:10']);
    for (const c of chunks) {
      const bytes = c.reduce((n, tm) => n + tm.messages.reduce((k, m) => k + (m.value as Buffer).length, 0), 0);
      expect(bytes <= 1000 || c.flatMap((tm) => tm.messages).length === 1).toBe(true);
    }
  });

  test('watermark alignment pauses a partition far ahead and resumes it within half the distance', () => {
    const progress = new Map([
      [0, { ...newProgress(), maxTs: 1_000_000 }],
      [1, { ...newProgress(), maxTs: 400_000, lag: 10 }],
    ]);
    expect(alignment(progress, 390_000, 300_000)).toEqual({ pause: [0], resume: [] });
    progress.get(0)!.paused = true;
    expect(alignment(progress, 600_000, 300_000)).toEqual({ pause: [], resume: [] });
    expect(alignment(progress, 850_000, 300_000)).toEqual({ pause: [], resume: [0] });
    expect(alignment(progress, 0, Infinity)).toEqual({ pause: [], resume: [] });
  });

  test('watermark alignment never waits for partitions behind that have nothing left to read', () => {
    // Partition 1 is behind but caught up: pausing 0 could not let it catch up, only stall.
    const progress = new Map([
      [0, { ...newProgress(), maxTs: 1_000_000, lag: 50 }],
      [1, { ...newProgress(), maxTs: 400_000, lag: 0 }],
    ]);
    expect(alignment(progress, 390_000, 300_000)).toEqual({ pause: [], resume: [] });
    progress.get(1)!.lag = 5;
    expect(alignment(progress, 390_000, 300_000)).toEqual({ pause: [0], resume: [] });
    progress.get(0)!.paused = true;
    // Partition 1 read its last records without catching up: release 0 at once.
    progress.get(1)!.lag = 0;
    expect(alignment(progress, 390_000, 300_000)).toEqual({ pause: [], resume: [0] });
  });

  test('control records that cancel each other share a compaction key', () => {
    expect(controlKey({ kind: 'pause', policy: 'p', target: null })).toBe(
      controlKey({ kind: 'resume', policy: 'p', target: null }),
    );
    expect(controlKey({ kind: 'exclude', policy: null, target: 't' })).toBe(
      controlKey({ kind: 'include', policy: null, target: 't' }),
    );
    expect(controlKey({ kind: 'kill', policy: null, target: null })).toBe(
      controlKey({ kind: 'unkill', policy: null, target: null }),
    );
    expect(controlKey({ kind: 'pause', policy: 'p', target: null })).not.toBe(
      controlKey({ kind: 'pause', policy: 'q', target: null }),
    );
  });

  test('a DLQ record keeps the original bytes and headers (renamed under their own prefix) and says why', () => {
    const m = dlqMessage(
      {
        topic: 't',
        partition: 2,
        offset: '7',
        key: Buffer.from('k'),
        value: Buffer.from([1, 2, 3]),
        timestamp: '99',
        headers: { trace: 'x' },
      },
      { code: 'LATE', message: 'too late', field: undefined },
    );
    expect(m.value).toEqual(Buffer.from([1, 2, 3]));
    expect(m.key).toEqual(Buffer.from('k'));
    expect(m.headers).toMatchObject({
      [`${DLQ_ORIGINAL_HEADER_PREFIX}trace`]: 'x',
      [DLQ_HEADERS.code]: 'LATE',
      [DLQ_HEADERS.partition]: '2',
      [DLQ_HEADERS.offset]: '7',
      [DLQ_HEADERS.topic]: 't',
    });
  });
});

describe('idleness and backlog', () => {
  const rec = (partition: number, ts: number, offset: number) => ({
    kind: 'record' as const,
    partition,
    offset,
    record: { ts, source: `s${partition}`, metric: 'm', value: 1, tags: {} },
  });

  test('a partition with unread records is never idle, however far the others run ahead', () => {
    const run = (backlog: boolean): number => {
      const engine = createEngine({ window: { sizeMs: 1000 }, allowedOutOfOrdernessMs: 0, idleAfterMs: 5000 });
      const s = engine.init();
      engine.step(s, { kind: 'assign', partitions: [0, 1] });
      engine.step(s, { kind: 'backlog', partition: 1, backlog });
      engine.step(s, rec(1, 1_000_000, 0));
      for (let i = 0; i < 100; i++) engine.step(s, rec(0, 1_000_000 + i * 1000, i));
      // Partition 1 is read late: its next record is only 1 s after its first one.
      return engine.step(s, rec(1, 1_001_000, 1)).outputs.filter((o) => o.kind === 'late').length;
    };
    expect(run(false)).toBe(1); // judged idle: its record comes out late
    expect(run(true)).toBe(0); // known to have a backlog: it holds the watermark
  });
});
