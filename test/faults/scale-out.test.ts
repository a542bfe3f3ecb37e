/**
 * Scale-out (runner.scaleOut): `homeostat run` processes in one consumer group share the
 * telemetry partitions. During one run the group goes 1 → 2 → 3 → 2 → 1 processes — the
 * third joins, the first is SIGKILLed mid-stream, the second stops — and each time the
 * partitions move with their windows (rebuilt from the committed checkpoints) and stage two
 * (scope merge + policies) moves to whichever process owns it. The outputs must be those of a
 * single uninterrupted process: every signal, command, decision and outcome byte for byte,
 * nothing lost, no command twice; and the commands equal a single-owner process's too.
 * Run twice: with one stage two, and with stage two split over two decision shards and an
 * arbiter (runner.decisionShards: 2), whose owners move with the processes as well.
 */
import { join } from 'node:path';
import { loadConfig } from '../../src/config/homeostat-config';
import { randomName, waitFor } from '../helpers/kafka';
import {
  caughtUp,
  endsOf,
  handledSoFar,
  logLines,
  startCliProcessor,
  stopChild,
  topicNames,
  writeFaultConfig,
} from './lib/cli';
import { useFaultBroker } from './lib/fixture';
import { createProcessorTopics, produceOrdered, readAll } from './lib/kafka';
import { recordDiff, referenceRun, sortedBytes } from './lib/reference';
import { reportFigures } from '../helpers/figures';
import { expectSameAsUninterrupted } from './lib/verify';
import { T0, endMarkers, fleet } from './lib/workload';
import { SIGNING } from './lib/cli';
import { splitTopicNames } from '../../src/kafka/topics';

const P = 4;
const fx = useFaultBroker('scaleout');
const { dir, children } = fx;

/** The partitions a process said it was given, last word first. */
const assignedOf = (log: string): number[] | undefined => {
  const l = logLines(log)
    .filter((x) => x.msg === 'partitions assigned' || x.msg?.startsWith('no partitions') === true)
    .at(-1);
  return l ? ((l.assigned as number[] | undefined) ?? []) : undefined;
};
const stageTwoOwner = (log: string): boolean | undefined => {
  const l = logLines(log)
    .filter((x) => typeof x.msg === 'string' && x.msg.startsWith('stage two'))
    .filter((x) => /merges the scopes/.test(x.msg!))
    .at(-1);
  return l === undefined ? undefined : !l.msg!.startsWith('stage two standing by');
};

test.each([0, 2])(
  '1 → 2 → 3 → 2 → 1 processes sharing the partitions (one SIGKILLed), %i decision shards: the outputs of one uninterrupted process',
  async (shards) => {
    const prefix = randomName('so');
    const topics = topicNames(prefix);
    const { file, raw } = writeFaultConfig(dir, prefix, fx.inst, {
      partitions: P,
      extra: { runner: { logIntervalMs: 1000, maxBytesPerPartition: 65_536, scaleOut: true, decisionShards: shards } },
    });
    const groupId = (raw.kafka as { groupId: string }).groupId;
    const config = loadConfig({ file });
    await createProcessorTopics(fx.inst, config.topics, shards);
    // Stage two's groups and topics: one, or each decision shard's and the arbiter's.
    const splitTopics = splitTopicNames(topics.stage, shards);
    const stageTwo: [string, string][] =
      shards === 0
        ? [[`${groupId}.stage-two`, topics.stage]]
        : [
            ...splitTopics.shards.map((t, i): [string, string] => [`${groupId}.shard-${i}`, t]),
            [`${groupId}.arbiter`, splitTopics.arbiter],
          ];
    const input = [
      ...fleet({ workers: 24, seconds: 120, partitions: P, malformedEvery: 100, seed: 29 }),
      ...endMarkers(P, T0 + 3_600_000),
    ];
    const parts = [
      input.slice(0, 8_000),
      input.slice(8_000, 16_000),
      input.slice(16_000, 24_000),
      input.slice(24_000, 30_000),
      input.slice(30_000),
    ];
    const log = (name: string): string => join(dir, `${prefix}-${name}.log`);
    const everyGroupAtEnd = async (): Promise<boolean> => {
      if (!(await caughtUp(fx.inst, groupId, topics.telemetry))) return false;
      for (const [group, topic] of stageTwo) if (!(await caughtUp(fx.inst, group, topic))) return false;
      return true;
    };
    /**
     * Every group at its topic's end, and still so a second later with nothing written to stage
     * two's topics in between. Looked at one group after another, a split stage two's parts can
     * each be at their end while a message between them is in flight (the arbiter commits its
     * verdicts after the shards were looked at), and its windows would be cut off by the stop.
     */
    const allCaughtUp = async (): Promise<boolean> => {
      if (!(await everyGroupAtEnd())) return false;
      const stageTopics = stageTwo.map(([, topic]) => topic);
      const before = await endsOf(fx.inst, stageTopics);
      await new Promise((r) => setTimeout(r, 1_000));
      return (await everyGroupAtEnd()) && (await endsOf(fx.inst, stageTopics)) === before;
    };
    const split: number[][][] = [];
    const handled: number[] = [];
    const step = async (part: number): Promise<void> => {
      await produceOrdered(fx.inst, topics.telemetry, parts[part]);
      expect(await waitFor(allCaughtUp, 180_000, 250)).toBe(true);
      handled.push(await handledSoFar(fx.inst, groupId, topics.telemetry));
    };
    /** Waits until the running processes between them own every partition, each exactly once. */
    const shared = async (logs: string[]): Promise<number[][]> => {
      let owned: number[][] = [];
      const ok = await waitFor(
        () => {
          owned = logs.map((l) => assignedOf(l) ?? []);
          const all = owned.flat().sort((a, b) => a - b);
          return owned.every((o) => o.length > 0) && all.length === P && all.every((p, i) => p === i);
        },
        90_000,
        250,
      );
      expect(ok).toBe(true);
      split.push(owned);
      return owned;
    };

    // One process.
    const a = startCliProcessor(file, fx.inst, log('a'), 'a');
    children.push(a);
    await shared([log('a')]);
    await step(0);

    // Two: the newcomer takes some partitions.
    const b = startCliProcessor(file, fx.inst, log('b'), 'b');
    children.push(b);
    await shared([log('a'), log('b')]);
    await step(1);

    // Three.
    const c = startCliProcessor(file, fx.inst, log('c'), 'c');
    children.push(c);
    await shared([log('a'), log('b'), log('c')]);
    await produceOrdered(fx.inst, topics.telemetry, parts[2].slice(0, 4_000));
    // Two: the first dies mid-stream, without a word; its partitions move once its session expires.
    await new Promise((r) => setTimeout(r, 300));
    expect(await stopChild(a, 'SIGKILL')).toBeNull();
    await produceOrdered(fx.inst, topics.telemetry, parts[2].slice(4_000));
    await shared([log('b'), log('c')]);
    expect(await waitFor(allCaughtUp, 180_000, 250)).toBe(true);
    handled.push(await handledSoFar(fx.inst, groupId, topics.telemetry));
    await step(3);

    // One: the second stops; the third finishes alone.
    expect(await stopChild(b, 'SIGTERM')).toBe(0);
    await shared([log('c')]);
    await step(4);
    expect(stageTwoOwner(log('c'))).toBe(true);
    expect(await stopChild(c, 'SIGTERM')).toBe(0);
    // Stage two moved too: more than one process ran it during the run.
    const stageTwoRan = ['a', 'b', 'c'].filter((n) =>
      logLines(log(n)).some((l) => l.msg === 'stage two: this process merges the scopes and runs the policies'),
    );
    expect(stageTwoRan.length).toBeGreaterThanOrEqual(2);

    const figures = await expectSameAsUninterrupted(
      shards === 0 ? 'scale-out' : 'scale-out-shards',
      fx.inst,
      topics,
      config,
      {
        records: input.length,
        partitions: P,
        endMarkers: P,
      },
    );

    // And the commands, decisions and outcomes a single-owner process would have written.
    const telemetry = await readAll(fx.inst, topics.telemetry);
    const single = await referenceRun(telemetry, {
      config: { ...config, runner: { ...config.runner, scaleOut: false } },
      partitions: P,
      signing: SIGNING,
    });
    expect(recordDiff(sortedBytes(await readAll(fx.inst, topics.actions)), single.commandBytes)).toEqual({
      onlyLive: [],
      onlyReference: [],
      counts: [0, 0],
    });
    expect(recordDiff(sortedBytes(await readAll(fx.inst, topics.decisions)), single.decisionBytes)).toEqual({
      onlyLive: [],
      onlyReference: [],
      counts: [0, 0],
    });

    const { commandIds: _ids, ...rest } = figures;
    reportFigures(shards === 0 ? 'scale-out' : 'scale-out-shards', {
      processes: '1 → 2 → 3 → 2 → 1',
      decisionShards: shards,
      killed: 1,
      stageTwoRan,
      partitionsSplit: split,
      handledAtChange: handled,
      ...rest,
    });
  },
);
