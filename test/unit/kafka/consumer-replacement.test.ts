import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { replaceWhenStoppedForGood, type ConsumerReplacement } from '../../../src/kafka/consumer-replacement';
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
    crash: (restart: boolean) =>
      ee.emit('consumer.crash', { payload: { error: new Error('Failed to find group coordinator'), restart } }),
  };
  return c as unknown as Consumer & { disconnects: number; crash(restart: boolean): void };
}

/** The options of a watched test consumer: named, a silent logger, its owner alive unless said. */
const watched = (
  o: Omit<ConsumerReplacement, 'what' | 'logger' | 'alive'> & Partial<Pick<ConsumerReplacement, 'alive'>>,
): ConsumerReplacement => ({
  what: 'the test consumer',
  logger: silentLogger(),
  alive: () => true,
  ...o,
});

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('replacing a consumer kafkajs gave up on', () => {
  test('a crash kafkajs will not restart from: the old one is disconnected and a new one started', async () => {
    const old = fakeConsumer();
    let current: Consumer = old;
    let replaced = 0;
    const starts: Consumer[] = [];
    replaceWhenStoppedForGood(
      old,
      watched({
        current: () => current,
        onReplace: () => replaced++,
        start: () => {
          current = fakeConsumer();
          starts.push(current);
          return Promise.resolve();
        },
      }),
    );
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
      replaceWhenStoppedForGood(
        old,
        watched({
          current: () => (isCurrent ? old : fakeConsumer()),
          alive: () => alive,
          start: () => {
            started++;
            return Promise.resolve();
          },
        }),
      );
      old.crash(restart);
      await tick();
      expect({ restart, isCurrent, alive, started, disconnects: old.disconnects }).toEqual({
        restart,
        isCurrent,
        alive,
        started: 0,
        disconnects: 0,
      });
    }
  });

  test('a consumer that crashes again right after it started is replaced with backoff, not in a tight loop', async () => {
    let current = fakeConsumer();
    const made = [current];
    const o = watched({
      current: () => current,
      start: () => {
        current = fakeConsumer();
        made.push(current);
        // As the runner does: the new consumer is watched with options built afresh.
        replaceWhenStoppedForGood(current, { ...o });
        return Promise.resolve();
      },
    });
    replaceWhenStoppedForGood(current, { ...o });
    current.crash(false);
    await tick(50);
    expect(made).toHaveLength(2); // the first quick crash: at once
    current.crash(false);
    await tick(200);
    expect(made).toHaveLength(2); // the second in a row: after 500 ms
    await tick(450);
    expect(made).toHaveLength(3);
    current.crash(false);
    await tick(700);
    expect(made).toHaveLength(3); // the third: after 1 s
    await tick(450);
    expect(made).toHaveLength(4);
  });

  test('a fatal error is not replaced: the owner is told, once', async () => {
    const old = fakeConsumer();
    const fatal: string[] = [];
    let started = 0;
    replaceWhenStoppedForGood(
      old,
      watched({
        current: () => old,
        start: () => {
          started++;
          return Promise.resolve();
        },
        fatal: (err) => ((err as Error).message.includes('group coordinator') ? 'cannot go on' : undefined),
        onFatal: (message) => fatal.push(message),
      }),
    );
    old.crash(false);
    await tick(50);
    expect({ started, fatal, disconnects: old.disconnects }).toEqual({
      started: 0,
      fatal: ['cannot go on'],
      disconnects: 1,
    });
  });

  test('a failed start is retried with backoff, and the half-started consumer is disconnected', async () => {
    const old = fakeConsumer();
    let current: Consumer & { disconnects: number } = old;
    const made: (Consumer & { disconnects: number })[] = [];
    replaceWhenStoppedForGood(
      old,
      watched({
        current: () => current,
        start: () => {
          current = fakeConsumer();
          made.push(current);
          return made.length === 1 ? Promise.reject(new Error('broker still down')) : Promise.resolve();
        },
      }),
    );
    old.crash(false);
    await tick(700); // the first backoff is 500 ms
    expect(made).toHaveLength(2);
    expect(made[0].disconnects).toBe(1);
    expect(made[1].disconnects).toBe(0);
  });
});
