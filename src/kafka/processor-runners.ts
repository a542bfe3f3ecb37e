/**
 * The processor as its config says. A single owner (the default): one runner over every
 * partition that also runs the policies (the extension). Scaled out (runner.scaleOut): the
 * runner is stage one over the partitions the group gives this process, and stage two — the
 * scope merge and the policies, one process of the group at a time — gets the extension
 * (docs/scale-out.md). `homeostat run` and the latency bench both build it here.
 */
import { randomUUID } from 'node:crypto';
import { createRunner, type Runner, type RunnerOptions } from './processor-driver';
import { createStageTwo, type StageTwo } from './gather-driver';
import type { BatchExtension } from './batch-extension';
import type { WindowSignal } from '../model/signal';

export interface ProcessorRunners {
  runner: Runner;
  /** Scaled out only. */
  stageTwo?: StageTwo;
  /** Split stage two only (runner.decisionShards): the shards' drivers, then the arbiter's. */
  split?: StageTwo[];
  start(): Promise<void>;
  /** Stage one first: its last transactions (and marks) are written before stage two stops. */
  stop(): Promise<void>;
}

/** A split stage two's parts (src/compose/decision-split.ts builds them from the config). */
export interface SplitParts {
  route: (s: WindowSignal) => readonly number[];
  topics: { shards: readonly string[]; arbiter: string };
  shards: readonly BatchExtension[];
  arbiter: BatchExtension;
}

/** One stage-two driver per shard and one for the arbiter, each with its topic, group, transactional id and state key. */
function splitDrivers(o: RunnerOptions, split: SplitParts): StageTwo[] {
  const { groupId, transactionalIdPrefix: prefix } = o.config.kafka;
  // This process's key in every part's group: the parts spread over the processes by it.
  const process = randomUUID();
  const base = { config: o.config, engine: o.engine, logger: o.logger, metrics: o.metrics, resolver: o.resolver };
  const shards = split.shards.map((extension, i) =>
    createStageTwo({
      ...base,
      extension,
      history: o.history,
      spread: { process, index: i },
      names: {
        topic: split.topics.shards[i],
        groupId: `${groupId}.shard-${i}`,
        transactionalId: `${prefix}-shard-${i}`,
        stateKey: `stage/${groupId}/shard-${i}`,
        what: `decision shard ${i}`,
        part: `shard-${i}`,
      },
    }),
  );
  const arbiter = createStageTwo({
    ...base,
    extension: split.arbiter,
    spread: { process, index: split.shards.length },
    names: {
      topic: split.topics.arbiter,
      groupId: `${groupId}.arbiter`,
      transactionalId: `${prefix}-arbiter`,
      stateKey: `stage/${groupId}/arbiter`,
      what: 'arbiter',
      part: 'arbiter',
    },
  });
  return [...shards, arbiter];
}

export function createProcessorRunners(o: RunnerOptions, splitParts?: SplitParts): ProcessorRunners {
  const scaleOut = o.config.runner.scaleOut;
  const split = scaleOut && splitParts ? splitDrivers(o, splitParts) : undefined;
  const stageTwo =
    scaleOut && !split
      ? createStageTwo({
          config: o.config,
          engine: o.engine,
          logger: o.logger,
          metrics: o.metrics,
          extension: o.extension,
          resolver: o.resolver,
          history: o.history,
        })
      : undefined;
  const stageOne: RunnerOptions = { ...o, extension: undefined };
  if (split && splitParts) stageOne.split = { topics: splitParts.topics.shards, route: splitParts.route };
  const runner = createRunner(scaleOut ? stageOne : o);
  const stages = split ?? (stageTwo ? [stageTwo] : []);
  return {
    runner,
    stageTwo,
    split,
    async start() {
      await runner.start();
      for (const s of stages) await s.start();
    },
    async stop() {
      await runner.stop();
      for (const s of stages) await s.stop();
    },
  };
}
