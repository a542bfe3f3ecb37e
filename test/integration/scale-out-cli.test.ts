/**
 * `homeostat run` scaled out, through the CLI against the real broker and registry:
 * - live telemetry of one overloaded worker, on one of two partitions — the other never gets a
 *   record, so stage two must judge it idle (engine.idleAfterMs) from the brokers' offsets to
 *   release any window — ends in a signed command on the actions topic;
 * - a group is scaled out or not, never both: a scaled-out process joining a single-owner
 *   group is refused by the broker and exits 1 naming the setting and the fix, without
 *   spinning on rejoins, and the running process keeps its partitions.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyCommand } from '../../src/actions';
import { createRecordCodec } from '../../src/codec';
import { KEYRING, overload, startProcessor, stop, waitForTopic, writeConfig } from '../helpers/cli';
import { randomName, readTopic, testKafka, waitFor } from '../helpers/kafka';

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

test('scaled out, one partition idle: an overloaded worker still gets its signed command', async () => {
  const prefix = randomName('so');
  const config = writeConfig(dir, prefix, { name: 'live.yaml', runner: { scaleOut: true } });
  const log = join(dir, 'live.log');
  const p = startProcessor(config, log);
  children.push(p);
  expect(await waitForTopic(`${prefix}.actions`)).toBe(true);
  expect(
    await waitFor(() => said(log, 'stage two: this process merges the scopes and runs the policies'), 60_000, 200),
  ).toBe(true);
  // Both partitions are assigned to this one process; worker-7's records all go to one of them.
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await overload(`${prefix}.telemetry`, 'worker-7', 7000);
    const used = (await admin.fetchTopicOffsets(`${prefix}.telemetry`)).filter((o) => o.high !== '0');
    expect(used.length).toBe(1);
  } finally {
    await admin.disconnect();
  }
  const codec = createRecordCodec('command');
  const [first] = await readTopic(`${prefix}.actions`, 1, 30_000);
  expect(first).toBeDefined();
  const cmd = codec.decodeJson(first.value!);
  expect(cmd.type).toBe('query_timeout.set');
  expect(cmd.target).toBe('worker-7');
  expect(verifyCommand(cmd, KEYRING)).toEqual({ ok: true });
  // Its windows were released although the other partition never said a word.
  const signals = (await readTopic(`${prefix}.signals`, 10, 15_000)).map((m) =>
    createRecordCodec('signal').decodeJson(m.value!),
  );
  expect(signals.some((s) => s.key.startsWith('worker-7|queue.depth|') && !s.partial)).toBe(true);
  await stop(p, 'SIGTERM');
  expect(p.exitCode).toBe(0);
});

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
