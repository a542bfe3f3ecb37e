/**
 * The control plane, black box through the CLI on the real broker: `homeostat control kill`
 * reaches a running processor within a second — the lease in force is recorded as blocked by
 * the kill switch — and after a restart the processor still honours it: an overloaded worker
 * gets no new command.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecordCodec } from '../../src/codec';
import { overload, runCli, startProcessor, stop, waitForTopic, writeConfig } from '../helpers/cli';
import { randomName, testKafka, waitFor } from '../helpers/kafka';
import { brokers } from '../helpers/services';

describe('homeostat control (CLI, real broker)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-control-'));
  const prefix = randomName('ctl');
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) await stop(c, 'SIGKILL');
  });

  test('kill is applied within a second and survives a restart', async () => {
    const config = writeConfig(dir, prefix);
    const log = join(dir, 'processor.log');
    const first = startProcessor(config, log);
    children.push(first);
    expect(await waitForTopic(`${prefix}.decisions`)).toBe(true);

    const decisions: { kind: string; guardrail: string | null; at: number }[] = [];
    const commands: { at: number }[] = [];
    const decisionCodec = createRecordCodec('decision');
    const consumer = testKafka().consumer({ groupId: randomName('watch'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [`${prefix}.decisions`, `${prefix}.actions`], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ topic, message }) => {
        if (topic.endsWith('.actions')) commands.push({ at: Date.now() });
        else {
          const d = decisionCodec.decodeJson(message.value!);
          decisions.push({ kind: d.kind, guardrail: d.guardrail, at: Date.now() });
        }
        return Promise.resolve();
      },
    });
    try {
      // A lease in force first.
      await overload(`${prefix}.telemetry`, 'worker-3', 6000);
      expect(await waitFor(() => decisions.some((d) => d.kind === 'acted'), 20_000)).toBe(true);

      const killedAt = Date.now();
      const kill = await runCli([
        'control',
        'kill',
        '--config',
        config,
        '--brokers',
        brokers().join(','),
        '--reason',
        'test',
      ]);
      expect(kill.code).toBe(0);
      expect(kill.stdout).toContain('kill');
      // The processor applies it as soon as it reads it: the lease in force is recorded as stopped.
      expect(await waitFor(() => decisions.some((d) => d.guardrail === 'killed'), 10_000)).toBe(true);
      const applied = readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.includes('control: kill applied'))
        .map((l) => (JSON.parse(l) as { time: number }).time);
      expect(applied.length).toBeGreaterThan(0);
      // Within a second of the CLI having written it (the CLI's own start-up is not the processor's latency).
      expect(applied[0] - killedAt).toBeLessThan(1000 + kill.elapsedMs);
      // Restart: the kill switch is read back from the compacted topic and still holds.
      await stop(first, 'SIGTERM');
      const second = startProcessor(config, log);
      children.push(second);
      const before = commands.length;
      await overload(`${prefix}.telemetry`, 'worker-3', 8000);
      await new Promise((r) => setTimeout(r, 2000));
      expect(commands.length).toBe(before);
      await stop(second, 'SIGTERM');
    } finally {
      await consumer.disconnect();
    }
  });
});
