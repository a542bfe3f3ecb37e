/**
 * The waits of a driver's resets for the state of its last commit (checkpoint-wait.ts): each
 * attempt that reads older state fails and is logged, until CHECKPOINT_WAIT_MS; then the driver
 * resumes from what it sees, with an error logged.
 */
import pino from 'pino';
import { ResetRequired } from '../../../src/errors';
import { CHECKPOINT_WAIT_MS, CheckpointWait, newCommitId } from '../../../src/kafka/checkpoint-wait';
import { decodeCheckpoint, encodeCheckpoint } from '../../../src/kafka/checkpoint-meta';

function setup(): { wait: CheckpointWait; clock: { t: number }; logs: { level: number; msg: string }[] } {
  const logs: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as never) });
  const clock = { t: 1_000_000 };
  const wait = new CheckpointWait({ logger, what: 'stage one', state: 'the histories', now: () => clock.t });
  return { wait, clock, logs };
}

const notReadable = (wait: CheckpointWait): unknown => {
  try {
    wait.notVisible({ partitions: [3] });
    return undefined;
  } catch (err) {
    return err;
  }
};

test('reads again until CHECKPOINT_WAIT_MS, then resumes from what it sees, loudly', () => {
  const { wait, clock, logs } = setup();
  const first = notReadable(wait);
  expect(first).toBeInstanceOf(ResetRequired);
  expect((first as ResetRequired).reason).toBe('checkpoint-not-visible');
  clock.t += CHECKPOINT_WAIT_MS - 1;
  expect(notReadable(wait)).toBeInstanceOf(ResetRequired);
  expect(logs.map((l) => l.msg)).toEqual([
    'stage one: the state topic does not show the histories of the last commit yet (a transaction is open there); reading again',
    'stage one: the state topic does not show the histories of the last commit yet (a transaction is open there); reading again',
  ]);
  clock.t += 1;
  expect(notReadable(wait)).toBeUndefined();
  expect(logs.at(-1)).toMatchObject({ level: 50, waitedMs: CHECKPOINT_WAIT_MS, partitions: [3] });
  // The next reset that finds older state waits afresh.
  expect(notReadable(wait)).toBeInstanceOf(ResetRequired);
});

test('a reset that finds the last commit ends the wait: the next one waits afresh', () => {
  const { wait, clock } = setup();
  expect(notReadable(wait)).toBeInstanceOf(ResetRequired);
  clock.t += CHECKPOINT_WAIT_MS - 10;
  wait.found();
  clock.t += 20;
  expect(notReadable(wait)).toBeInstanceOf(ResetRequired);
});

test('commit ids are fresh and fit the checkpoint metadata', () => {
  const ids = new Set(Array.from({ length: 100 }, () => newCommitId()));
  expect(ids.size).toBe(100);
  for (const id of ids) expect(decodeCheckpoint(encodeCheckpoint({ next: '1', wm: 0, h: id }))?.h).toBe(id);
});
