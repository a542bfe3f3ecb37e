import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { replaceWhenStoppedForGood } from '../../../src/kafka/consumer-replacement';
import { silentLogger } from '../../../src/ops/logger';

// A stand-in for a kafkajs consumer: only the CRASH event and disconnect() are used.
function fakeConsumer(): Consumer & { disconnects: number; crash(restart: boolean): void } {
  const ee = new EventEmitter();
  const c = {
    events: { CRASH: 'consumer.crash' },
    disconnects: 0,
    on: (event: string, fn: (e: unknown) => void) => ee.on(event, fn),
    disconnect: () => {
      c.disconnects++;
      return Promise.resolve();
    },
    crash: (restart: boolean) => ee.emit('consumer.crash', { payload: { error: new Error('Failed to find group coordinator'), restart } }),
  };
  return c as unknown as Consumer & { disconnects: number; crash(restart: boolean): void };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('replacing a consumer kafkajs gave up on', () => {
  test('a crash kafkajs will not restart from: the old one is disconnected and a new one started', async () => {
    const old = fakeConsumer();
    let current: Consumer = old;
    let replaced = 0;
    const starts: Consumer[] = [];
    replaceWhenStoppedForGood(old, {
      what: 'the test consumer',
      logger: silentLogger(),
      current: () => current,
      alive: () => true,
      onReplace: () => replaced++,
      start: () => {
        current = fakeConsumer();
        starts.push(current);
        return Promise.resolve();
      },
    });
    old.crash(false);
    await tick();
    expect(old.disconnects).toBe(1);
    expect(replaced).toBe(1);
    expect(starts).toHaveLength(1);
  });

  test('nothing when kafkajs restarts it itself, when it is no longer current, or when the owner stopped', async () => {
    for (const [restart, isCurrent, alive] of [
      [true, true, true],
      [false, false, true],
      [false, true, false],
    ] as const) {
      const old = fakeConsumer();
      let started = 0;
      replaceWhenStoppedForGood(old, {
        what: 'the test consumer',
        logger: silentLogger(),
        current: () => (isCurrent ? old : fakeConsumer()),
        alive: () => alive,
        start: () => {
          started++;
          return Promise.resolve();
        },
      });
      old.crash(restart);
      await tick();
      expect({ restart, isCurrent, alive, started, disconnects: old.disconnects }).toEqual({ restart, isCurrent, alive, started: 0, disconnects: 0 });
    }
  });

  test('a failed start is retried with backoff, and the half-started consumer is disconnected', async () => {
    const old = fakeConsumer();
    let current: Consumer & { disconnects: number } = old;
    const made: (Consumer & { disconnects: number })[] = [];
    replaceWhenStoppedForGood(old, {
      what: 'the test consumer',
      logger: silentLogger(),
      current: () => current,
      alive: () => true,
      start: () => {
        current = fakeConsumer();
        made.push(current);
        return made.length === 1 ? Promise.reject(new Error('broker still down')) : Promise.resolve();
      },
    });
    old.crash(false);
    await tick(700); // the first backoff is 500 ms
    expect(made).toHaveLength(2);
    expect(made[0].disconnects).toBe(1);
    expect(made[1].disconnects).toBe(0);
  });
});
