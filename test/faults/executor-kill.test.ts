/**
 * An executor process is SIGKILLed while a command's apply is in flight (the intent is on
 * the state topic, the outcome is not), then started again. The command must not be applied
 * a second time — at most once — and its result must be reported (`failed`, "interrupted
 * during apply"); the executor keeps working afterwards and a copy of the command stays a
 * duplicate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { INTERRUPTED_DETAIL } from '../../src/executor';
import { randomName, waitFor } from '../helpers/kafka';
import { publicText } from '../helpers/keys';
import { KEY_ID, SIGNING, stopChild } from './lib/cli';
import { commandMessage, signedCommand } from './lib/commands';
import { followResults } from './lib/executor';
import { createTopics, produceOrdered } from './lib/kafka';
import { reportFigures } from '../helpers/figures';
import { useFaultBroker } from './lib/fixture';

// The executor runs in this node process itself, with tsx as a loader: the tsx CLI would run it
// in a grandchild that SIGKILL never reaches (it kept applying commands as an orphan).
const TSX_DIST = resolve(__dirname, '..', '..', 'node_modules', 'tsx', 'dist');
const TSX_ARGS = [
  '--require',
  join(TSX_DIST, 'preflight.cjs'),
  '--import',
  pathToFileURL(join(TSX_DIST, 'loader.mjs')).href,
];
const CHILD = resolve(__dirname, 'fixtures', 'executor-child.ts');
const fx = useFaultBroker('execkill');
const { dir, children } = fx;

function startExecutor(env: Record<string, string>, log: string): ChildProcess {
  const child = spawn(process.execPath, [...TSX_ARGS, CHILD], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    writeFileSync(log, err);
  });
  children.push(child);
  return child;
}

test('an executor SIGKILLed mid-apply applies that command at most once after the restart and reports it', async () => {
  const actions = randomName('ek-actions');
  const results = randomName('ek-results');
  await createTopics(fx.inst, [
    { topic: actions, partitions: 1 },
    { topic: results, partitions: 1 },
  ]);
  const calls = join(dir, 'calls.txt');
  writeFileSync(calls, '');
  const applies = (id: string): number =>
    readFileSync(calls, 'utf8')
      .split('\n')
      .filter((l) => l.endsWith(` apply ${id}`)).length;
  const ready = (): number =>
    readFileSync(calls, 'utf8')
      .split('\n')
      .filter((l) => l.endsWith(' ready')).length;
  const first = signedCommand({ target: 'worker-1' });
  const interrupted = signedCommand({ target: 'worker-2', params: { timeoutMs: 900 } });
  const after = signedCommand({ target: 'worker-3' });
  const env = {
    BROKERS: fx.inst.brokers.join(','),
    ACTIONS_TOPIC: actions,
    RESULTS_TOPIC: results,
    EXECUTOR_NAME: randomName('qt'),
    VERIFY_KEYS: `${KEY_ID}=${publicText(SIGNING)}`,
    CALLS_FILE: calls,
  };
  const followed = await followResults(fx.inst, results);
  try {
    const a = startExecutor({ ...env, HANG_ON: interrupted.id }, join(dir, 'executor-1.log'));
    expect(await waitFor(() => ready() === 1, 90_000)).toBe(true);
    await produceOrdered(fx.inst, actions, [commandMessage(first), commandMessage(interrupted)]);
    expect(await waitFor(() => applies(interrupted.id) === 1, 30_000)).toBe(true);
    await stopChild(a, 'SIGKILL');

    const b = startExecutor(env, join(dir, 'executor-2.log'));
    expect(await waitFor(() => ready() === 2, 90_000)).toBe(true);
    await produceOrdered(fx.inst, actions, [commandMessage(after), commandMessage(interrupted)]);
    expect(await waitFor(() => followed.results.length >= 4, 60_000)).toBe(true);
    const byId = (id: string) => followed.results.filter((r) => r.commandId === id).map((r) => [r.status, r.detail]);
    expect(byId(first.id)).toEqual([['applied', '']]);
    // Redelivered after the crash, found `applying` in the state topic: reported, not re-applied.
    expect(byId(interrupted.id)).toEqual([
      ['failed', INTERRUPTED_DETAIL],
      ['duplicate', `command ${interrupted.id} was already handled`],
    ]);
    expect(byId(after.id)).toEqual([['applied', '']]);
    expect(applies(interrupted.id)).toBe(1);
    expect(applies(first.id)).toBe(1);
    expect(await stopChild(b, 'SIGTERM')).toBe(0);
    reportFigures('executor-kill', {
      sigkillsMidApply: 1,
      commands: 3,
      appliesOfInterrupted: applies(interrupted.id),
      results: followed.results.length,
    });
  } finally {
    await followed.stop();
  }
});
