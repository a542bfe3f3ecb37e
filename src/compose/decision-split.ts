/**
 * A split stage two as the config says (runner.decisionShards = D > 0; docs/scale-out.md,
 * "The Kafka wiring"): D decision shards and one arbiter, each run by a stage-two driver of
 * its own in every process of the group (one process at a time owns each), built from the
 * same decision path as the single stage two — so the same Setup, routing and signing key
 * in every process.
 */
import type { SigningKey } from '../actions';
import type { HomeostatConfig } from '../config/homeostat-config';
import {
  createArbiterExtension,
  type ArbiterExtension,
  type ArbiterExtensionOptions,
} from '../kafka/arbiter-extension';
import type { SchemaResolver } from '../codec';
import { createShardExtension, type ShardExtension } from '../kafka/shard-extension';
import { splitTopicNames } from '../kafka/topics';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import { hashShard, shardPlan } from '../pipeline/sharded-decide';
import { splitStart } from '../pipeline/split-arbiter';
import { createSplitRouter, type SplitRouter } from '../pipeline/split-route';
import { setupOf } from '../policies/engine';
import type { ControlDeps } from '../policies/engine-control';
import type { DecisionPath } from './decision-path';

export interface DecisionSplit {
  route: SplitRouter;
  topics: { shards: string[]; arbiter: string };
  shards: ShardExtension[];
  arbiter: ArbiterExtension;
}

export async function buildDecisionSplit(
  config: HomeostatConfig,
  path: DecisionPath,
  o: {
    signing: SigningKey;
    resolver?: SchemaResolver;
    logger: Logger;
    metrics?: HomeostatMetrics;
    onOutputs?: ArbiterExtensionOptions['onOutputs'];
  },
): Promise<DecisionSplit> {
  const n = config.runner.decisionShards;
  o.logger.warn(
    { decisionShards: n },
    "runner.decisionShards is experimental: outputs match one stage two, also across the fault tier's crash, but in few " +
      'runs so far (docs/scale-out.md, "The Kafka wiring"); keep it out of production',
  );
  const setup = setupOf(path.engineOptions);
  const plan = shardPlan(setup, n, (key) => hashShard(key, n));
  const route = createSplitRouter(setup, plan, path.verifier?.config);
  const topics = splitTopicNames(config.topics.stage, n);
  const start = splitStart(setup, plan, path.engine.init(), path.verifier?.init() ?? null);
  const deps: ControlDeps = {
    modeOf: setup.modeOf,
    policy: (name) => setup.byName.get(name)?.cp,
    limits: path.engineOptions.control,
  };
  const group = config.kafka.groupId;
  const dlq = { topic: config.topics.dlq, maxMessageBytes: config.topics.dlqMaxMessageBytes };
  const shards = start.shards.map((init, index) =>
    createShardExtension({
      setup,
      plan,
      index,
      verifier: path.verifier?.config,
      init,
      deps,
      route,
      arbiterTopic: topics.arbiter,
      stateTopic: config.topics.state,
      stateKey: `split/${group}/shard-${index}`,
      maxSnapshotBytes: config.runner.snapshotMaxMiB * 2 ** 20,
      dlq: { ...dlq, source: topics.shards[index] },
      logger: o.logger,
      metrics: o.metrics,
    }),
  );
  const arbiter = await createArbiterExtension({
    setup,
    plan,
    deps,
    verifier: path.verifier,
    signing: o.signing,
    init: start.arbiter,
    shardTopics: topics.shards,
    topics: {
      actions: config.topics.actions,
      decisions: config.topics.decisions,
      outcomes: config.topics.outcomes,
      state: config.topics.state,
    },
    format: config.actions.format,
    resolver: o.resolver,
    stateKey: `split/${group}/arbiter`,
    dlq: { ...dlq, source: topics.arbiter },
    logger: o.logger,
    metrics: o.metrics,
    onOutputs: o.onOutputs,
  });
  return { route, topics, shards, arbiter };
}
