/**
 * The broker goes away twice while `homeostat run` is mid-stream — once stopped cleanly, once
 * SIGKILLed — and comes back on the same port with its data. The processor and an executor
 * keep running through both. Afterwards: nothing lost, nothing duplicated, commands,
 * decisions and outcomes byte-identical to an uninterrupted run of the same records through
 * the pure pipeline, the operator's kill switch still works, and the executor applied no
 * command twice. A second test judges the executor's liveness over the same run: it must
 * have handled every command.
 */
import { join } from 'node:path';
import { loadConfig } from '../../src/config/homeostat-config';
import { decodeSnapshot } from '../../src/kafka/policy-snapshot';
import { restartInstance } from '../helpers/instance';
import { randomName, waitFor } from '../helpers/kafka';
import { runCli } from '../helpers/cli';
import {
  faultRegistry,
  caughtUp,
  finalAccounting,
  handledSoFar,
  logLines,
  startCliProcessor,
  stopChild,
  topicNames,
  writeFaultConfig,
} from './lib/cli';
import { followResults, recordingExecutor, type RecordingExecutor } from './lib/executor';
import { createProcessorTopics, produceOrdered, readAll } from './lib/kafka';
import { reportFigures } from '../helpers/figures';
import { expectSameAsUninterrupted } from './lib/verify';
import { T0, endMarkers, fleet } from './lib/workload';
import { useFaultBroker } from './lib/fixture';

const P = 3;
const fx = useFaultBroker('restart');
const { name, dir, children } = fx;
/** Shared with the second test, which judges the executor's side of the same run. */
let exec: RecordingExecutor | undefined;
let results: Awaited<ReturnType<typeof followResults>> | undefined;
let commands = 0;

fx.cleanups.push(async () => {
  await results?.stop();
  await exec?.executor.stop();
});

test('a broker stopped and then killed mid-stream: the processor and the executor carry on; nothing lost, nothing twice, same outputs as without the faults', async () => {
  const prefix = randomName('rs');
  const topics = topicNames(prefix);
  const { file, raw } = writeFaultConfig(dir, prefix, fx.inst, { partitions: P });
  const groupId = (raw.kafka as { groupId: string }).groupId;
  const config = loadConfig({ file });
  await createProcessorTopics(fx.inst, config.topics);

  const input = [
    ...fleet({ workers: 24, seconds: 120, partitions: P, malformedEvery: 100 }),
    ...endMarkers(P, T0 + 3_600_000),
  ];
  const parts = [input.slice(0, 14_000), input.slice(14_000, 24_000), input.slice(24_000)];

  const log = join(dir, `${prefix}.log`);
  const proc = startCliProcessor(file, fx.inst, log);
  children.push(proc);
  expect(await waitFor(() => logLines(log).some((l) => l.msg === 'processor running'), 60_000)).toBe(true);
  exec = recordingExecutor(fx.inst, { actions: topics.actions, actionResults: topics.actionResults }, T0);
  await exec.executor.start();
  results = await followResults(fx.inst, topics.actionResults);
  // Fault 1: a clean broker stop while the processor works through a backlog.
  await produceOrdered(fx.inst, topics.telemetry, parts[0]);
  expect(await waitFor(async () => (await handledSoFar(fx.inst, groupId, topics.telemetry)) > 2_000, 60_000, 50)).toBe(
    true,
  );
  await restartInstance(name, { downMs: 3_000 });

  // Fault 2: the broker crashes (SIGKILL) and recovers its log.
  await produceOrdered(fx.inst, topics.telemetry, parts[1]);
  expect(await waitFor(async () => (await handledSoFar(fx.inst, groupId, topics.telemetry)) > 16_000, 60_000, 50)).toBe(
    true,
  );
  await restartInstance(name, { kill: true, downMs: 3_000 });

  await produceOrdered(fx.inst, topics.telemetry, parts[2]);
  expect(await waitFor(() => caughtUp(fx.inst, groupId, topics.telemetry), 180_000, 500)).toBe(true);
  // The control plane survived the outages too: an operator's kill switch is applied within seconds.
  const killed = await runCli([
    'control',
    'kill',
    '--reason',
    'fault test',
    '--config',
    file,
    '--brokers',
    fx.inst.brokers.join(','),
    '--registry',
    faultRegistry(),
  ]);
  expect(killed.code).toBe(0);
  const killedInState = async (): Promise<boolean> => {
    const snapshots = (await readAll(fx.inst, topics.state)).filter(
      (m) => m.key?.toString().startsWith(`decisions/${groupId}`) === true,
    );
    const last = snapshots.at(-1)?.value;
    if (last === undefined || last === null) return false;
    // The snapshot as the processor reads it back (frames, or JSON from older writers).
    const decoded = decodeSnapshot(last);
    if ('error' in decoded) return false;
    // The policies' state, alone or under `engine` next to the verifier's.
    const state = decoded.state;
    const guard = 'engine' in state ? state.engine.guard : state.guard;
    return guard.control.killed === true;
  };
  expect(await waitFor(killedInState, 30_000, 1_000)).toBe(true);
  // The processor never exited: it carried on by itself through both outages, and drains cleanly.
  expect(proc.exitCode).toBeNull();
  expect(await stopChild(proc, 'SIGTERM')).toBe(0);

  const figures = await expectSameAsUninterrupted('broker-restart', fx.inst, topics, config, {
    records: input.length,
    partitions: P,
    endMarkers: P,
    killSwitch: true,
  });

  // The processor's own counters (one process throughout): the identity holds, records re-read
  // to rebuild windows after each outage were not counted twice, and every record was either
  // counted or re-read. Not `consumed === input.length`: a commit cut off by the outage may
  // have been applied by the broker while the client saw an error; its outputs are then
  // written once (checked above, byte for byte) but the process's in-memory counters never
  // add that batch, and the reset reads past it. Seen once in a loaded run (31,575 of 34,908
  // counted, 8,685 re-read); the counters should follow the committed checkpoint instead.
  const acc = finalAccounting(log);
  expect(acc).toBeDefined();
  expect(acc!.consumed).toBe(acc!.aggregated + acc!.late + acc!.deadLettered);
  expect(acc!.consumed).toBeLessThanOrEqual(input.length);
  expect(acc!.consumed + acc!.restored).toBeGreaterThanOrEqual(input.length);

  commands = figures.commands;
  // Whatever the executor managed to handle, it applied nothing twice.
  const applied = exec.calls.map((c) => c.id);
  expect(new Set(applied).size).toBe(applied.length);
  expect(results.results.filter((r) => r.status === 'duplicate' || r.status === 'failed')).toEqual([]);
  const { commandIds: _ids, ...rest } = figures;
  reportFigures('broker-restart', {
    brokerOutages: 2,
    ...rest,
    applied: applied.length,
    appliedTwice: applied.length - new Set(applied).size,
    processorCounters: acc,
  });
});

test('the executor rode through the same outages: every command handled, each applied once', async () => {
  expect(commands).toBeGreaterThan(50);
  // The executor applies one command at a time, each with its ledger's transactions: about 4
  // a second on a quiet 2-core machine (it is still catching up ~20 s after the first test
  // ends), under 2 a second on a loaded one — so liveness gets three minutes, not one.
  await waitFor(() => exec!.calls.length >= commands && results!.results.length >= commands, 180_000);
  expect({ applyCalls: exec!.calls.length, results: results!.results.length }).toEqual({
    applyCalls: commands,
    results: commands,
  });
  expect(results!.results.filter((r) => r.status === 'applied' || r.status === 'reverted').length).toBe(commands);
  reportFigures('broker-restart-executor', {
    commands,
    applied: exec!.calls.length,
    appliedTwice: exec!.calls.length - new Set(exec!.calls.map((c) => c.id)).size,
  });
});
