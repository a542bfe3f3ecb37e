/**
 * Black box through the CLI, real broker: `homeostat run --mode enforce --actions-format json`
 * with JSON telemetry of an overloaded worker writes a signed `query_timeout.set` for that
 * worker soon after event time passes the window; SIGKILL and restart mid-stream leave no
 * duplicate command ids visible to a read_committed consumer.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyCommand } from '../../src/actions';
import { createRecordCodec } from '../../src/codec';
import type { Command } from '../../src/model/command';
import { GRACE, KEYRING, WINDOW, overload, startProcessor, stop, waitForTopic, writeConfig } from '../helpers/cli';
import { randomName, readTopic, testKafka, waitFor } from '../helpers/kafka';

describe('homeostat run (CLI, real broker)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-cli-'));
  const prefix = randomName('cli');
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) await stop(c, 'SIGKILL');
  });

  test('an overloaded worker gets a signed query_timeout.set; a SIGKILL restart duplicates no command', async () => {
    const config = writeConfig(dir, prefix);
    const log = join(dir, 'processor.log');
    const first = startProcessor(config, log);
    children.push(first);
    expect(await waitForTopic(`${prefix}.actions`)).toBe(true);
    const codec = createRecordCodec('command');
    const seen: { cmd: Command; at: number }[] = [];
    const consumer = testKafka().consumer({ groupId: randomName('watch'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}.actions`, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        seen.push({ cmd: codec.decodeJson(message.value!), at: Date.now() });
        return Promise.resolve();
      },
    });
    try {
      await overload(`${prefix}.telemetry`, 'worker-7', 7000);
      expect(await waitFor(() => seen.length > 0, 20_000)).toBe(true);
      const { cmd, at } = seen[0];
      expect(cmd.type).toBe('query_timeout.set');
      expect(cmd.target).toBe('worker-7');
      expect(cmd.mode).toBe('enforce');
      expect(cmd.params.timeoutMs).toBeLessThan(8000);
      expect(cmd.keyId).toBe('test-key');
      expect(verifyCommand(cmd, KEYRING)).toEqual({ ok: true });
      // Event time ≈ wall time here: the window closes once the watermark passes its end + grace.
      const due = cmd.windowEnd + GRACE + 200;
      expect(at - due).toBeLessThanOrEqual(WINDOW + GRACE + 1000);

      // Kill without a chance to drain, restart, and keep the worker overloaded.
      const beforeKill = seen.length;
      await stop(first, 'SIGKILL');
      const second = startProcessor(config, log);
      children.push(second);
      await overload(`${prefix}.telemetry`, 'worker-7', 10_000);
      // The restarted processor carries on: it renews or deepens the cut.
      expect(await waitFor(() => seen.length > beforeKill, 20_000)).toBe(true);
      await stop(second, 'SIGTERM');
      expect(second.exitCode).toBe(0);
    } finally {
      await consumer.disconnect();
    }
    const all = await readTopic(`${prefix}.actions`, seen.length, 15_000);
    const ids = all.map((m) => codec.decodeJson(m.value!).id);
    expect(ids.length).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
    // Each enforced action is verified against the windows that follow: the worker stayed
    // overloaded, so the verdict cannot be `improved`.
    const outcomes = (await readTopic(`${prefix}.outcomes`, 1, 15_000)).map((m) =>
      createRecordCodec('outcome').decodeJson(m.value!),
    );
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes[0].target).toBe('worker-7');
    expect(['unchanged', 'worsened', 'inconclusive']).toContain(outcomes[0].verdict);
  });
});
