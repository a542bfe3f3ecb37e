/**
 * Two `homeostat run` processes in one consumer group: one owns every partition, the other
 * stands by (the group's single-owner assigner); when the owner stops, the standby takes
 * over from the committed checkpoints. Here the work moves 1 → 2 → 1 → 2 → 1 processes
 * during a run, and the outputs must be those of one uninterrupted process: the same
 * signals, and the same commands, decisions and outcomes byte for byte.
 */
import { join } from 'node:path';
import { loadConfig } from '../../src/config/homeostat-config';
import { randomName, waitFor } from '../helpers/kafka';
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
import { reportFigures } from '../helpers/figures';
import { expectSameAsUninterrupted } from './lib/verify';
import { T0, endMarkers, fleet } from './lib/workload';

const P = 3;
const fx = useFaultBroker('handover');
const { dir, children } = fx;

const said = (log: string, msg: RegExp): boolean =>
  logLines(log).some((l) => typeof l.msg === 'string' && msg.test(l.msg));

test('1 → 2 → 1 → 2 → 1 processes in one group: one works, the other stands by and takes over; the outputs of one uninterrupted process', async () => {
  const prefix = randomName('ho');
  const topics = topicNames(prefix);
  const { file, raw } = writeFaultConfig(dir, prefix, fx.inst, {
    partitions: P,
    extra: { runner: { logIntervalMs: 1000, maxBytesPerPartition: 65_536 } },
  });
  const groupId = (raw.kafka as { groupId: string }).groupId;
  const config = loadConfig({ file });
  await createProcessorTopics(fx.inst, config.topics);
  const input = [
    ...fleet({ workers: 24, seconds: 120, partitions: P, malformedEvery: 100, seed: 23 }),
    ...endMarkers(P, T0 + 3_600_000),
  ];
  const parts = [input.slice(0, 12_000), input.slice(12_000, 24_000), input.slice(24_000)];

  const logA = join(dir, `${prefix}-a.log`);
  const logB = join(dir, `${prefix}-b.log`);
  const handled: number[] = [];

  // One process.
  let a = startCliProcessor(file, fx.inst, logA, 'a');
  children.push(a);
  await produceOrdered(fx.inst, topics.telemetry, parts[0]);
  expect(await waitFor(() => caughtUp(fx.inst, groupId, topics.telemetry), 120_000, 250)).toBe(true);

  // Two: the newcomer stands by, the owner keeps working through the next part.
  const b = startCliProcessor(file, fx.inst, logB, 'b');
  children.push(b);
  expect(await waitFor(() => said(logB, /^standing by/), 60_000, 250)).toBe(true);
  await produceOrdered(fx.inst, topics.telemetry, parts[1]);
  expect(await waitFor(() => caughtUp(fx.inst, groupId, topics.telemetry), 120_000, 250)).toBe(true);
  handled.push(await handledSoFar(fx.inst, groupId, topics.telemetry));
  expect(said(logB, /^partitions assigned/)).toBe(false);

  // One: the owner leaves, the standby takes over from the checkpoints.
  expect(await stopChild(a, 'SIGTERM')).toBe(0);
  expect(await waitFor(() => said(logB, /^partitions assigned/), 60_000, 250)).toBe(true);

  // Two again: the first comes back as the standby; then the one working leaves.
  a = startCliProcessor(file, fx.inst, logA, 'a');
  children.push(a);
  const standbyLines = () => logLines(logA).filter((l) => l.msg?.startsWith('standing by') === true).length;
  expect(await waitFor(() => standbyLines() >= 1, 60_000, 250)).toBe(true);
  await produceOrdered(fx.inst, topics.telemetry, parts[2].slice(0, 5_000));
  expect(await waitFor(() => caughtUp(fx.inst, groupId, topics.telemetry), 120_000, 250)).toBe(true);
  handled.push(await handledSoFar(fx.inst, groupId, topics.telemetry));
  expect(await stopChild(b, 'SIGTERM')).toBe(0);

  // One, to the end.
  await produceOrdered(fx.inst, topics.telemetry, parts[2].slice(5_000));
  expect(await waitFor(() => caughtUp(fx.inst, groupId, topics.telemetry), 180_000, 500)).toBe(true);
  expect(await stopChild(a, 'SIGTERM')).toBe(0);

  // Never were partitions split between the two.
  for (const log of [logA, logB]) expect(said(log, /^holding/)).toBe(false);
  const figures = await expectSameAsUninterrupted('handover', fx.inst, topics, config, {
    records: input.length,
    partitions: P,
    endMarkers: P,
  });
  const { commandIds: _ids, ...rest } = figures;
  reportFigures('handover', { handovers: 2, processesAtMost: 2, handledAtHandover: handled, ...rest });
});
