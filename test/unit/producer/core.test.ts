import fc from 'fast-check';
import { DEFAULT_TELEMETRY_LIMITS } from '../../../src/codec';
import { HomeostatError } from '../../../src/errors';
import type { Telemetry } from '../../../src/model/telemetry';
import { createProducerCore, type CoreOptions, type OutgoingBatch, type ProducerCore } from '../../../src/producer';

const all = (b: OutgoingBatch): Telemetry[] => Array.from({ length: b.length }, (_, i) => b.at(i));

const NOW = 1_714_564_800_000;

/** A fake broker: records every batch; each send waits until the test releases it (or resolves at once). */
function fakeKafka(auto = true): {
  sent: Telemetry[][];
  send: CoreOptions['send'];
  release(): void;
  fail: (err?: Error) => void;
  pending(): number;
} {
  const sent: Telemetry[][] = [];
  const waiting: { records: Telemetry[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  let failNext: Error | undefined;
  return {
    sent,
    send(batch) {
      const records = all(batch);
      if (failNext) {
        const e = failNext;
        failNext = undefined;
        return Promise.reject(e);
      }
      if (auto) {
        sent.push(records);
        return Promise.resolve();
      }
      return new Promise((resolve, reject) => waiting.push({ records, resolve, reject }));
    },
    release() {
      for (const w of waiting.splice(0)) {
        sent.push(w.records);
        w.resolve();
      }
    },
    fail(err = new Error('broker down')) {
      failNext = err;
    },
    pending: () => waiting.length,
  };
}

function core(send: CoreOptions['send'], over: Partial<CoreOptions> = {}): ProducerCore {
  return createProducerCore({
    source: 'worker-1',
    defaultTags: { service: 'search' },
    lingerMs: 5,
    maxBatchRecords: 10,
    maxBufferedRecords: 20,
    onFull: 'block',
    blockTimeoutMs: 5_000,
    intervalMs: 1_000,
    closeTimeoutMs: 2_000,
    maxInstruments: 100,
    limits: { ...DEFAULT_TELEMETRY_LIMITS },
    send,
    now: () => NOW,
    ...over,
  });
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('producer core', () => {
  it('batches up to maxBatchRecords, in order, and sends a partial batch after lingerMs', async () => {
    const k = fakeKafka();
    const p = core(k.send);
    for (let i = 0; i < 25; i++) await p.record('queue.depth', i);
    await tick(30);
    expect(k.sent.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(k.sent.flat().map((t) => t.value)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(k.sent[0][0]).toEqual({
      ts: NOW,
      source: 'worker-1',
      metric: 'queue.depth',
      value: 0,
      tags: { service: 'search' },
    });
    await p.close();
  });

  it('merges default, instrument and call tags, call tags winning', async () => {
    const k = fakeKafka();
    const p = core(k.send);
    await p.record('requests', 1, { client: 'web', service: 'other' }, NOW - 5);
    await p.flush();
    expect(k.sent[0][0]).toMatchObject({ ts: NOW - 5, tags: { service: 'other', client: 'web' } });
    await p.close();
  });

  it('refuses samples the processor would dead-letter, counting them', async () => {
    const k = fakeKafka();
    const p = core(k.send);
    expect(await p.record('x', NaN)).toBe(false);
    expect(await p.record('', 1)).toBe(false);
    expect(await p.record('x', 1, {}, 1_714_564_800)).toBe(false); // epoch seconds
    expect(p.stats()).toMatchObject({ invalid: 3, recorded: 0 });
    expect(p.stats().lastError).toMatch(/epoch seconds/);
    await p.close();
  });

  it("'drop' keeps memory bounded and counts what it drops", async () => {
    const k = fakeKafka(false);
    const p = core(k.send, { onFull: 'drop' });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => p.record('m', i)));
    expect(results.filter((r) => r)).toHaveLength(20);
    expect(p.stats()).toMatchObject({ buffered: 20, dropped: 10, peakBuffered: 20 });
    k.release();
    await tick(10);
    k.release();
    await p.flush();
    expect(k.sent.flat().map((t) => t.value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await p.close();
  });

  it("'block' makes callers wait for room, in order, without exceeding the bound", async () => {
    const k = fakeKafka(false);
    const p = core(k.send);
    const results = Array.from({ length: 35 }, (_, i) => p.record('m', i));
    await tick(1);
    expect(p.stats()).toMatchObject({ buffered: 20, blocked: 15 });
    while (k.sent.flat().length < 35) {
      k.release();
      await tick(10);
      expect(p.stats().buffered).toBeLessThanOrEqual(20);
    }
    expect(await Promise.all(results)).toEqual(Array.from({ length: 35 }, () => true));
    expect(k.sent.flat().map((t) => t.value)).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(p.stats()).toMatchObject({ peakBuffered: 20, dropped: 0, sent: 35 });
    await p.close();
  });

  it("'block' gives up after blockTimeoutMs and counts the sample as dropped", async () => {
    const k = fakeKafka(false);
    const p = core(k.send, { blockTimeoutMs: 20, maxBufferedRecords: 10 });
    const results = Array.from({ length: 12 }, (_, i) => p.record('m', i));
    expect((await Promise.all(results)).filter((r) => !r)).toHaveLength(2);
    expect(p.stats()).toMatchObject({ dropped: 2, blocked: 0 });
    k.release();
    await p.close();
  });

  it('retries a failed batch (kept in memory), and flush() reports the failure', async () => {
    const k = fakeKafka();
    const p = core(k.send);
    k.fail();
    await p.record('m', 1);
    await expect(p.flush()).rejects.toThrow('broker down');
    expect(p.stats()).toMatchObject({ sendErrors: 1, buffered: 1 });
    await p.flush();
    expect(k.sent.flat().map((t) => t.value)).toEqual([1]);
    expect(p.stats()).toMatchObject({ sent: 1, buffered: 0 });
    await p.close();
  });

  it('does not resend the part of a batch Kafka acknowledged before a send failed', async () => {
    const sent: number[][] = [];
    let first = true;
    const p = core(async (batch) => {
      const records = all(batch);
      if (first) {
        first = false;
        sent.push(records.slice(0, 4).map((t) => t.value));
        throw Object.assign(new Error('second request failed'), { acknowledged: 4 });
      }
      sent.push(records.map((t) => t.value));
      return Promise.resolve();
    });
    for (let i = 0; i < 10; i++) await p.record('m', i);
    await p.flush().catch(() => undefined);
    await p.flush();
    expect(sent).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7, 8, 9],
    ]);
    expect(p.stats()).toMatchObject({ sent: 10, buffered: 0, sendErrors: 1 });
    await p.close();
  });

  it('counters emit their increase per interval (nothing when idle), gauges their latest value', async () => {
    const k = fakeKafka();
    const p = core(k.send);
    const requests = p.counter('requests', { client: 'web' });
    expect(p.counter('requests', { client: 'web' })).toBe(requests);
    const depth = p.gauge('queue.depth');
    requests.inc();
    requests.inc(2);
    depth.set(4);
    depth.set(7);
    await p.flush();
    depth.set(5);
    await p.flush();
    requests.inc(-1); // refused: counters only go up
    await p.flush();
    const seen = k.sent.flat().map((t) => [t.metric, t.value]);
    // flush() sends a gauge only when set since it last went out; the interval re-sends it.
    expect(seen).toEqual([
      ['requests', 3],
      ['queue.depth', 7],
      ['queue.depth', 5],
    ]);
    expect(p.stats().invalid).toBe(1);
    await p.close();
  });

  it('re-sends every set gauge each interval, and counters only when they moved', async () => {
    const k = fakeKafka();
    const p = core(k.send, { intervalMs: 20, lingerMs: 1 });
    p.gauge('queue.depth').set(3);
    p.counter('requests').inc();
    await tick(75);
    await p.close();
    const depth = k.sent.flat().filter((t) => t.metric === 'queue.depth');
    expect(depth.length).toBeGreaterThanOrEqual(3);
    expect(depth.every((t) => t.value === 3)).toBe(true);
    expect(
      k.sent
        .flat()
        .filter((t) => t.metric === 'requests')
        .map((t) => t.value),
    ).toEqual([1]);
  });

  it('keeps a counter’s increase when there is no room, and sends it later', async () => {
    const k = fakeKafka(false);
    const p = core(k.send, { onFull: 'drop', maxBufferedRecords: 10 });
    for (let i = 0; i < 10; i++) await p.record('m', i);
    const c = p.counter('requests');
    c.inc(5);
    const f = p.flush(); // no room for the counter sample yet
    k.release();
    await f;
    c.inc(1);
    const g = p.flush();
    await tick(1);
    k.release();
    await g;
    expect(
      k.sent
        .flat()
        .filter((t) => t.metric === 'requests')
        .map((t) => t.value),
    ).toEqual([6]);
    await p.close();
  });

  it('timers record elapsed milliseconds', async () => {
    const k = fakeKafka();
    const p = core(k.send);
    const stop = p.timer('query.latency_ms', { tenant: 'a' }).start();
    await tick(15);
    expect(await stop()).toBe(true);
    await p.timer('query.latency_ms').record(3.5);
    await p.flush();
    const [first, second] = k.sent.flat();
    expect(first.value).toBeGreaterThanOrEqual(14);
    expect(first.tags).toEqual({ service: 'search', tenant: 'a' });
    expect(second.value).toBe(3.5);
    await p.close();
  });

  it('close() flushes everything (instruments included), then refuses new samples', async () => {
    const k = fakeKafka();
    const p = core(k.send, { lingerMs: 10_000 });
    await p.record('m', 1);
    p.counter('requests').inc(2);
    await p.close();
    expect(k.sent.flat().map((t) => t.metric)).toEqual(['m', 'requests']);
    expect(await p.record('m', 2)).toBe(false);
    expect(p.stats()).toMatchObject({ sent: 2, dropped: 1, buffered: 0 });
  });

  it('close() gives up after closeTimeoutMs, counting the unsent samples as dropped', async () => {
    const k = fakeKafka(false);
    const p = core(k.send, { closeTimeoutMs: 50 });
    for (let i = 0; i < 5; i++) await p.record('m', i);
    await expect(p.close()).rejects.toThrow(HomeostatError);
    expect(p.stats()).toMatchObject({ dropped: 5, buffered: 0, sent: 0 });
  });

  it('accounts for every sample and never holds more than the bound (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant('flush' as const), fc.integer({ min: 1, max: 15 })), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.constantFrom('block' as const, 'drop' as const),
        async (ops, onFull) => {
          const k = fakeKafka();
          let peak = 0;
          const p = core(
            async (batch) => {
              peak = Math.max(peak, p.stats().buffered);
              await tick(1);
              return k.send(batch);
            },
            { onFull, lingerMs: 2 },
          );
          const pending: Promise<boolean>[] = [];
          let offered = 0;
          for (const op of ops) {
            if (op === 'flush') await p.flush();
            else for (let i = 0; i < op; i++, offered++) pending.push(p.record('m', offered));
          }
          await Promise.all(pending);
          await p.close();
          const s = p.stats();
          expect(peak).toBeLessThanOrEqual(20);
          expect(s.peakBuffered).toBeLessThanOrEqual(20);
          expect(s.sent + s.dropped).toBe(offered);
          expect(k.sent.flat()).toHaveLength(s.sent);
          // 'block' only drops beyond its bound on waiting callers (capacity 20 + 20 waiting).
          if (onFull === 'block') expect(s.dropped).toBeLessThanOrEqual(Math.max(0, offered - 40));
        },
      ),
      { numRuns: 40 },
    );
  });
});
