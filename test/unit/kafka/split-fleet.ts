/**
 * A small split stage two (two decision shards) for the unit tests of its Kafka parts: one
 * window of a fixed random fleet, its finals routed as stage one routes them, and the records
 * of the parts' topics as the drivers hand them over.
 */
import fc from 'fast-check';
import type { KafkaMessage, TopicMessages } from 'kafkajs';
import { compareKeys } from '../../../src/core/series-key';
import type { WindowSignal } from '../../../src/model/signal';
import { hashShard, shardPlan } from '../../../src/pipeline/sharded-decide';
import { splitStart } from '../../../src/pipeline/split-arbiter';
import type { ToArbiter, ToShard, WindowSummary } from '../../../src/pipeline/split-protocol';
import { createSplitRouter } from '../../../src/pipeline/split-route';
import { createDecisionEngine, setupOf } from '../../../src/policies/engine';
import type { ControlDeps } from '../../../src/policies/engine-control';
import { splitRecords } from '../../../src/kafka/split-records';
import { STAGE_KIND_HEADER } from '../../../src/kafka/stage-records';
import { finalsOf, optionsOf, scenarioArb, verifierFor } from '../pipeline/sharded-fleet';

export const SHARDS = ['t.d0', 't.d1'];
export const DLQ = 't.dlq';

export function splitFleet() {
  const [s] = fc.sample(scenarioArb, { seed: 7, numRuns: 1 });
  const opts = optionsOf(s);
  const setup = setupOf(opts);
  const plan = shardPlan(setup, 2, (key) => hashShard(`7:${key}`, 2));
  const verifier = verifierFor();
  const route = createSplitRouter(setup, plan, verifier.config);
  const start = splitStart(setup, plan, createDecisionEngine(opts).init(), verifier.init());
  const deps: ControlDeps = { modeOf: setup.modeOf, policy: (p) => setup.byName.get(p)?.cp, limits: opts.control };
  const finals = finalsOf(s, 0).sort((a, b) => compareKeys(a.key, b.key));
  const summary: WindowSummary = { end: finals[0].windowEnd, minStart: Math.min(...finals.map((f) => f.windowStart)) };
  /** Shard d's finals of the window, as stage one routes them. */
  const finalsFor = (d: number): WindowSignal[] => finals.filter((f) => route(f).includes(d));
  return {
    opts,
    setup,
    plan,
    verifier,
    route,
    start,
    deps,
    summary,
    finalsFor,
    windowMs: summary.end - finals[0].windowStart,
  };
}

let offset = 0;
/** The records of a message on a part's topic as its driver reads them (`kind` in the header, whatever the value). */
export const records = (value: unknown, kind: string, key = 'test'): KafkaMessage[] =>
  splitRecords(value as ToArbiter | ToShard, key).map(
    (m) =>
      ({
        ...m,
        headers: { [STAGE_KIND_HEADER]: kind },
        offset: String(offset++),
        timestamp: '0',
        attributes: 0,
      }) as unknown as KafkaMessage,
  );
/** The one record of a message that fits one. */
export const record = (value: unknown, kind: string): KafkaMessage => {
  const [m, ...more] = records(value, kind);
  if (more.length > 0) throw new Error('a message larger than one record: use records()');
  return m;
};

export const dlqOf = (messages: TopicMessages[]) => messages.filter((t) => t.topic === DLQ).flatMap((t) => t.messages);
