/**
 * `homeostat run` is SIGKILLed three times while it works through a backlog — no drain, no
 * final commit, a transaction possibly open — and started again with the same config and
 * instance id (the new process fences the old one's transactional id). Half the telemetry is
 * Avro whose schema is in the shared Schema Registry. The outputs must be
 * those of an uninterrupted run: the same signals, and the same commands, decisions and
 * outcomes byte for byte (ids included), none lost, none twice; the executor applies each
 * command at most once.
 *
 * Two ways to restart: after the killed member has left the group (a supervisor that waits
 * out the session timeout), and at once, while the dead member still holds its partitions,
 * so that the new process first owns some of them only.
 */
import { join } from 'node:path';
import { registerSchema, subjectFor } from '../../src/codec';
import { createRegistryResolver } from '../../src/kafka/registry';
import { loadConfig } from '../../src/config/homeostat-config';
import { randomName, waitFor } from '../helpers/kafka';
import {
  RELATIVE_TIMEOUT_POLICY,
  TIMEOUT_POLICY,
  caughtUp,
  handledSoFar,
  startCliProcessor,
  stopChild,
  topicNames,
  writeFaultConfig,
} from './lib/cli';
import { followResults, recordingExecutor } from './lib/executor';
import { createProcessorTopics, faultKafka, produceOrdered, readAll } from './lib/kafka';
import { reportFigures } from '../helpers/figures';
import { expectSameAsUninterrupted } from './lib/verify';
import { T0, endMarkers, fleet, halfAvro } from './lib/workload';
import { useFaultBroker } from './lib/fixture';

const P = 3;
const fx = useFaultBroker('kill');
const { dir, children } = fx;

/** True once the consumer group has no member left (the killed one's session expired). */
async function groupEmpty(groupId: string): Promise<boolean> {
  const admin = faultKafka(fx.inst).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.members.length === 0;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Each kill comes once this share of the input is handled (and then some way into the next
 * batch): shares, not counts, so that a larger input keeps the kills mid-stream.
 */
const KILLS: readonly { share: number; delayMs: number }[] = [
  { share: 0.09, delayMs: 150 },
  { share: 0.35, delayMs: 420 },
  { share: 0.6, delayMs: 60 },
];
/** With 4 MiB fetches a batch is a whole partition's share of a fetch: kills come soon after the threshold. */
const KILLS_4M = KILLS.map((k) => ({ ...k, delayMs: Math.min(k.delayMs, 60) }));

async function killAndRestart(
  label: string,
  waitForEmptyGroup: boolean,
  seed: number,
  { maxBytesPerPartition = 65_536, workers = 24, kills = KILLS } = {},
): Promise<void> {
  const prefix = randomName(label);
  const topics = topicNames(prefix);
  // Small fetches by default: many batches and transactions, so that each kill lands mid-stream.
  // Both triggers: absolute, and relative to each worker's baseline (which must cross each kill in the snapshot).
  const { file, raw } = writeFaultConfig(dir, prefix, fx.inst, {
    partitions: P,
    extra: {
      runner: { logIntervalMs: 1000, maxBytesPerPartition },
      policies: [TIMEOUT_POLICY, RELATIVE_TIMEOUT_POLICY],
    },
  });
  const groupId = (raw.kafka as { groupId: string }).groupId;
  const config = loadConfig({ file });
  await createProcessorTopics(fx.inst, config.topics);
  // Half the telemetry as Avro, its schema registered in the shared Schema Registry the processor reads.
  const schemaId = await registerSchema(
    createRegistryResolver(config.registry),
    'telemetry',
    subjectFor(topics.telemetry),
  );
  const input = [
    ...halfAvro(fleet({ workers, seconds: 120, partitions: P, malformedEvery: 100, seed }), schemaId),
    ...endMarkers(P, T0 + 3_600_000),
  ];
  await produceOrdered(fx.inst, topics.telemetry, input);

  const exec = recordingExecutor(fx.inst, { actions: topics.actions, actionResults: topics.actionResults }, T0);
  await exec.executor.start();
  const results = await followResults(fx.inst, topics.actionResults);
  const log = join(dir, `${prefix}.log`);
  const killedAt: number[] = [];
  try {
    for (const { share, delayMs } of kills) {
      const threshold = Math.round(share * input.length);
      const proc = startCliProcessor(file, fx.inst, log);
      children.push(proc);
      expect(
        await waitFor(async () => (await handledSoFar(fx.inst, groupId, topics.telemetry)) > threshold, 120_000, 20),
      ).toBe(true);
      // Not right after a commit: some way into the next batch.
      await new Promise((r) => setTimeout(r, delayMs));
      await stopChild(proc, 'SIGKILL');
      killedAt.push(await handledSoFar(fx.inst, groupId, topics.telemetry));
      if (waitForEmptyGroup) expect(await waitFor(() => groupEmpty(groupId), 30_000, 250)).toBe(true);
    }
    expect(killedAt[2]).toBeLessThan(input.length);
    const last = startCliProcessor(file, fx.inst, log);
    children.push(last);
    expect(await waitFor(() => caughtUp(fx.inst, groupId, topics.telemetry), 180_000, 500)).toBe(true);
    expect(await stopChild(last, 'SIGTERM')).toBe(0);

    const figures = await expectSameAsUninterrupted(label, fx.inst, topics, config, {
      records: input.length,
      partitions: P,
      endMarkers: P,
    });
    await waitFor(() => exec.calls.length >= figures.commands && results.results.length >= figures.commands, 60_000);
    expect({ applyCalls: exec.calls.length, results: results.results.length }).toEqual({
      applyCalls: figures.commands,
      results: figures.commands,
    });
    // The relative policy acted too (its commands are part of the byte-for-byte comparison above).
    const actions = await readAll(fx.inst, topics.actions);
    expect(actions.some((m) => m.value?.toString('utf8').includes('"relative-timeouts"') === true)).toBe(true);
    const applied = exec.calls.map((c) => c.id);
    expect(new Set(applied).size).toBe(applied.length);
    expect(results.results.filter((r) => r.status === 'duplicate' || r.status === 'failed')).toEqual([]);
    const { commandIds: _ids, ...rest } = figures;
    reportFigures(label, {
      sigkills: killedAt.length,
      handledAtKill: killedAt,
      ...rest,
      applied: applied.length,
      appliedTwice: applied.length - new Set(applied).size,
    });
  } finally {
    await results.stop();
    await exec.executor.stop();
  }
}

test('SIGKILLed mid-batch three times, restarted once the dead member left the group: the outputs of an uninterrupted run', async () => {
  await killAndRestart('processor-kill', true, 11);
});

test('SIGKILLed mid-batch three times, restarted at once (the dead member still holds partitions): the outputs of an uninterrupted run', async () => {
  await killAndRestart('processor-kill-immediate', false, 13);
});

// With the default 4 MiB fetches the first batches of a restart that owns some partitions
// only can run a partition to the end of the stream: this once lost outputs (a checkpoint
// over part of the input marked the other partitions' windows as emitted). Five times the
// workers of the other runs (5.9 MB a partition, two fetches): with 24 (1.2 MB) one fetch held
// every partition whole, a restart's three commits came within milliseconds, and the last kill
// could come after the end of the input.
test('SIGKILLed three times, restarted at once, default 4 MiB fetches: the outputs of an uninterrupted run', async () => {
  await killAndRestart('processor-kill-immediate-4m', false, 17, {
    maxBytesPerPartition: 4 * 1_048_576,
    workers: 120,
    kills: KILLS_4M,
  });
});
