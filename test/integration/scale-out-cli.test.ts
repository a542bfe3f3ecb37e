/**
 * A group is scaled out or not, never both: a `homeostat run` with runner.scaleOut joining a
 * group whose process owns the partitions the single-owner way is refused by the broker, and
 * exits 1 naming the setting and the fix — it does not spin on rejoining, and the running
 * process keeps its partitions.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcessor, stop, writeConfig } from '../helpers/cli';
import { randomName, waitFor } from '../helpers/kafka';

const dir = mkdtempSync(join(tmpdir(), 'homeostat-scale-out-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) await stop(c, 'SIGKILL');
});

const said = (log: string, text: string): boolean => {
  try {
    return readFileSync(log, 'utf8').includes(text);
  } catch {
    return false;
  }
};

test('a scaled-out process is refused by a single-owner group and exits 1 naming runner.scaleOut', async () => {
  const prefix = randomName('mix');
  const groupId = randomName('grp');
  const single = writeConfig(dir, prefix, { name: 'single.yaml', kafka: { groupId } });
  const shared = writeConfig(dir, prefix, { name: 'shared.yaml', kafka: { groupId }, runner: { scaleOut: true } });
  const logA = join(dir, 'a.log');
  const logB = join(dir, 'b.log');
  const a = startProcessor(single, logA);
  children.push(a);
  expect(await waitFor(() => said(logA, '"msg":"partitions assigned"'), 60_000, 200)).toBe(true);

  const b = startProcessor(shared, logB);
  children.push(b);
  const exit = await new Promise<number | null>((r) => b.once('exit', (code) => r(code)));
  expect(exit).toBe(1);
  const text = readFileSync(logB, 'utf8');
  expect(text).toContain(`homeostat: the consumer group ${groupId} refuses this process`);
  expect(text).toContain('every process of a group must have the same runner.scaleOut');
  // Refused once, not rejoining in a loop.
  expect(text.split('stopped for good after a non-retriable error; replacing it').length - 1).toBe(0);
  expect(a.exitCode).toBeNull();
});
