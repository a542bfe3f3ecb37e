import type { Clock, Sleep } from '../../../src/client';

/** A clock that only moves when told to, and a sleep that moves it: deterministic time for retrier tests. */
export interface FakeTime {
  clock: Clock;
  sleep: Sleep;
  /** Every sleep requested, in order. */
  sleeps: number[];
  advance(ms: number): void;
  now(): number;
}

export function createFakeTime(start = 1_000_000): FakeTime {
  let t = start;
  const sleeps: number[] = [];
  return {
    clock: { now: () => t },
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    sleeps,
    advance(ms) {
      t += ms;
    },
    now: () => t,
  };
}
