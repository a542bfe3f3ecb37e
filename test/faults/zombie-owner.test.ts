/**
 * A zombie owner: two `homeostat run` processes in one group, one owning every partition and
 * the other standing by. The owner is paused (SIGSTOP) mid-stream, past its session: the group
 * drops it and the standby takes the partitions over, resuming from the last commit. Then the
 * paused process is resumed (SIGCONT) — not knowing it lost the partitions, with whatever
 * transaction it had open — and must not get one more record out: the new owner took the
 * group's owner transactional id, which fenced it. Twice, each process paused once. The
 * outputs must be those of one uninterrupted process: each signal once, the same commands,
 * decisions and outcomes byte for byte.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/homeostat-config';
import { randomName, waitFor } from '../helpers/kafka';
import { reportFigures } from '../helpers/figures';
import {
  caughtUp,
  handledSoFar,
  logLines,
  startCliProcessor,
  stopChild,
  topicNames,
  writeFaultConfig,
} from './lib/cli';
import { useFaultBroker } from './lib/fixture';
import { createProcessorTopics, produceOrdered } from './lib/kafka';
import { expectSameAsUninterrupted } from './lib/verify';
import { T0, endMarkers, fleet } from './lib/workload';

const P = 3;
const fx = useFaultBroker('zombie');
const { dir, children } = fx;

const lines = (log: string, msg: RegExp) => logLines(log).filter((l) => typeof l.msg === 'string' && msg.test(l.msg));
const count = (log: string, msg: RegExp): number => lines(log, msg).length;

/** The batch the resumed zombie had in hand, refused: its transaction fenced (or its heartbeat). */
const REFUSED = /^batch failed; its outputs were not committed/;
const TOOK = /^took the partitions/;

test('a paused owner dropped by the group cannot commit once the standby took over: the outputs of one uninterrupted process', async () => {
  const prefix = randomName('zo');
  const topics = topicNames(prefix);
  const { file, raw } = writeFaultConfig(dir, prefix, fx.inst, {
    partitions: P,
    // Small fetches: many batches and transactions, so that a pause lands in one.
    extra: { runner: { logIntervalMs: 1000, maxBytesPerPartition: 65_536 } },
  });
  const groupId = (raw.kafka as { groupId: string }).groupId;
  const config = loadConfig({ file });
  await createProcessorTopics(fx.inst, config.topics);
  const input = [
    ...fleet({ workers: 24, seconds: 120, partitions: P, malformedEvery: 100, seed: 29 }),
    ...endMarkers(P, T0 + 3_600_000),
  ];
  const logs = { a: join(dir, `${prefix}-a.log`), b: join(dir, `${prefix}-b.log`) };
  const procs: Record<'a' | 'b', ChildProcess> = {
    a: startCliProcessor(file, fx.inst, logs.a, 'a'),
    b: undefined as unknown as ChildProcess,
  };
  children.push(procs.a);
  await produceOrdered(fx.inst, topics.telemetry, input.slice(0, 4_000));
  expect(await waitFor(() => caughtUp(fx.inst, groupId, topics.telemetry), 120_000, 250)).toBe(true);
  procs.b = startCliProcessor(file, fx.inst, logs.b, 'b');
  children.push(procs.b);
  expect(await waitFor(() => count(logs.b, /^standing by/) >= 1, 60_000, 250)).toBe(true);

  const pausedAt: number[] = [];
  /** Why the resumed zombie's batch in hand was refused: its producer fenced, or its heartbeat. */
  const refusedAfterResume: string[][] = [];
  let produced = 4_000;
  // The owner is paused with records still coming in, and so with batches in hand.
  for (const [owner, standby, share] of [
    ['a', 'b', 0.45],
    ['b', 'a', 0.8],
  ] as const) {
    const upTo = Math.round(share * input.length);
    const producing = produceOrdered(fx.inst, topics.telemetry, input.slice(produced, upTo));
    produced = upTo;
    const threshold = produced - 2_000;
    expect(
      await waitFor(async () => (await handledSoFar(fx.inst, groupId, topics.telemetry)) > threshold, 120_000, 20),
    ).toBe(true);
    const tookBefore = count(logs[standby], TOOK);
    const refusedBefore = count(logs[owner], REFUSED);
    procs[owner].kill('SIGSTOP');
    pausedAt.push(await handledSoFar(fx.inst, groupId, topics.telemetry));
    await producing;
    // The group drops the paused member after its session (6 s): the standby takes over.
    expect(await waitFor(() => count(logs[standby], TOOK) > tookBefore, 60_000, 250)).toBe(true);
    expect(await waitFor(() => caughtUp(fx.inst, groupId, topics.telemetry), 120_000, 250)).toBe(true);
    procs[owner].kill('SIGCONT');
    // Back, it learns it lost the partitions and stands by (after its refused batch, if it had one).
    const standingBy = count(logs[owner], /^standing by/);
    expect(await waitFor(() => count(logs[owner], /^standing by/) > standingBy, 60_000, 250)).toBe(true);
    refusedAfterResume.push(
      lines(logs[owner], REFUSED)
        .slice(refusedBefore)
        .map((l) => String((l as { err?: unknown }).err)),
    );
  }

  await produceOrdered(fx.inst, topics.telemetry, input.slice(produced));
  expect(await waitFor(() => caughtUp(fx.inst, groupId, topics.telemetry), 180_000, 500)).toBe(true);
  expect(await stopChild(procs.b, 'SIGTERM')).toBe(0);
  expect(await stopChild(procs.a, 'SIGTERM')).toBe(0);

  // Never were partitions split between the two.
  for (const log of Object.values(logs)) expect(count(log, /^holding/)).toBe(0);
  const figures = await expectSameAsUninterrupted('zombie-owner', fx.inst, topics, config, {
    records: input.length,
    partitions: P,
    endMarkers: P,
  });
  const { commandIds: _ids, ...rest } = figures;
  reportFigures('zombie-owner', { pauses: pausedAt.length, handledAtPause: pausedAt, refusedAfterResume, ...rest });
});
