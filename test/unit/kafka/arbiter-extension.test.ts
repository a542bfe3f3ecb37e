/**
 * The arbiter of a split stage two in its driver: a record of its topic it cannot take — a
 * report of a window other than the one open, records built for a window not judged, from a
 * shard it does not have, or unreadable —
 * goes to the DLQ with the reason, counted, in the transaction that moves past it; it never
 * throws (its driver would reset into the same record for ever), and the window carries on
 * when the genuine reports come.
 */
import fc from 'fast-check';
import type { KafkaMessage, TopicMessages } from 'kafkajs';
import pino from 'pino';
import { createArbiterExtension, type ArbiterExtension } from '../../../src/kafka/arbiter-extension';
import { DLQ_HEADERS } from '../../../src/kafka/dlq';
import { splitRecord } from '../../../src/kafka/split-records';
import { STAGE_KIND_HEADER } from '../../../src/kafka/stage-records';
import { compareKeys } from '../../../src/core/series-key';
import { hashShard, shardPlan } from '../../../src/pipeline/sharded-decide';
import { splitStart } from '../../../src/pipeline/split-arbiter';
import type { ShardReport, ShardVerdicts, ToArbiter } from '../../../src/pipeline/split-protocol';
import { createSplitRouter } from '../../../src/pipeline/split-route';
import { createSplitShard, type SplitShard } from '../../../src/pipeline/split-shard';
import { createDecisionEngine, setupOf } from '../../../src/policies/engine';
import { finalsOf, optionsOf, scenarioArb, verifierFor } from '../pipeline/sharded-fleet';

const SHARDS = ['t.d0', 't.d1'];
const DLQ = 't.dlq';

interface Fleet {
  arbiter: ArbiterExtension;
  shards: SplitShard[];
  reports: ShardReport[];
  windowMs: number;
}

async function fleet(): Promise<Fleet> {
  const [s] = fc.sample(scenarioArb, { seed: 7, numRuns: 1 });
  const opts = optionsOf(s);
  const setup = setupOf(opts);
  const plan = shardPlan(setup, 2, (key) => hashShard(`7:${key}`, 2));
  const verifier = verifierFor();
  const route = createSplitRouter(setup, plan, verifier.config);
  const start = splitStart(setup, plan, createDecisionEngine(opts).init(), verifier.init());
  const arbiter = await createArbiterExtension({
    setup,
    plan,
    deps: { modeOf: setup.modeOf, policy: (p) => setup.byName.get(p)?.cp, limits: opts.control },
    verifier,
    signing: opts.signing,
    init: JSON.parse(JSON.stringify(start.arbiter)) as typeof start.arbiter,
    shardTopics: SHARDS,
    topics: { actions: 't.actions', decisions: 't.decisions', outcomes: 't.outcomes', state: 't.state' },
    format: 'json',
    stateKey: 'split/g/arbiter',
    dlq: { topic: DLQ, maxMessageBytes: 1_048_576, source: 't.arbiter' },
    logger: pino({ level: 'silent' }),
  });
  const finals = finalsOf(s, 0).sort((a, b) => compareKeys(a.key, b.key));
  const summary = { end: finals[0].windowEnd, minStart: Math.min(...finals.map((f) => f.windowStart)) };
  const shards = [0, 1].map((d) =>
    createSplitShard({ setup, plan, index: d, verifier: verifier.config, init: start.shards[d] }),
  );
  const reports = shards.map((x, d) =>
    x.window(
      summary,
      finals.filter((f) => route(f).includes(d)),
    ),
  );
  return { arbiter, shards, reports, windowMs: finals[0].windowEnd - finals[0].windowStart };
}

let offset = 0;
const record = (value: unknown, kind = 'report'): KafkaMessage => {
  const m = splitRecord(value as ToArbiter, 'shard');
  return {
    ...m,
    headers: { [STAGE_KIND_HEADER]: kind },
    offset: String(offset++),
    timestamp: '0',
    attributes: 0,
  } as unknown as KafkaMessage;
};

const dlqOf = (messages: TopicMessages[]) => messages.filter((t) => t.topic === DLQ).flatMap((t) => t.messages);

test('reports it cannot take are dead-lettered with the reason, and the window completes with the genuine ones', async () => {
  const { arbiter, shards, reports, windowMs } = await fleet();
  expect(arbiter.onRecord!(record(reports[0]), false)).toBe(true);
  // Shard 1's report of a window six windows later, while the first is open; and one from a shard there is not.
  const ahead = { ...reports[1], summary: { ...reports[1].summary, end: reports[1].summary.end + 6 * windowMs } };
  expect(() => arbiter.onRecord!(record(ahead), false)).not.toThrow();
  expect(arbiter.onRecord!(record({ ...reports[1], shard: 5 }), false)).toBe(true);
  expect(arbiter.onRecord!(record('not a report'), false)).toBe(true);
  expect(arbiter.refused()).toBe(3);
  const first = arbiter.takePending();
  const dead = dlqOf(first);
  expect(dead).toHaveLength(3);
  expect(dead.map((m) => m.headers?.[DLQ_HEADERS.message]?.toString())).toEqual([
    `shard 1 reported window ${ahead.summary.end} while ${reports[0].summary.end} is open`,
    'a report from shard 5, of 2',
    expect.stringMatching(/report/) as unknown as string,
  ]);
  expect(dead.map((m) => m.headers?.[DLQ_HEADERS.offset]?.toString())).toEqual(['1', '2', '3']);
  expect(first.filter((t) => SHARDS.includes(t.topic))).toHaveLength(0);
  // The genuine report of shard 1: the window is judged, verdicts to each shard that reported candidates.
  arbiter.onRecord!(record(reports[1]), false);
  const judged = arbiter.takePending();
  expect(dlqOf(judged)).toHaveLength(0);
  const verdicts = judged.filter((t) => SHARDS.includes(t.topic));
  const withCandidates = SHARDS.filter((_t, d) => (reports[d].window?.candidates.length ?? 0) > 0);
  expect(verdicts.map((t) => t.topic)).toEqual(withCandidates);
  expect(withCandidates.length).toBeGreaterThan(0);
  // Records built for a window not judged, and from a shard there is not: dead-lettered too.
  const later = reports[0].summary.end + windowMs;
  arbiter.onRecord!(record({ kind: 'built', shard: 0, end: later, commands: [], decisions: [] }, 'built'), false);
  arbiter.onRecord!(record({ kind: 'built', shard: 7, end: later, commands: [], decisions: [] }, 'built'), false);
  expect(dlqOf(arbiter.takePending()).map((m) => m.headers?.[DLQ_HEADERS.message]?.toString())).toEqual([
    `shard 0 built window ${later}, which was not judged`,
    'a build from shard 7, of 2',
  ]);
  // Each such shard builds its records from its verdicts; once all are in, the outputs and every shard's settlement.
  for (const t of verdicts) {
    const v = JSON.parse(t.messages[0].value!.toString()) as ShardVerdicts;
    arbiter.onRecord!(record(shards[SHARDS.indexOf(t.topic)].verdicts(v), 'built'), false);
  }
  const settled = arbiter.takePending();
  expect(settled.filter((t) => SHARDS.includes(t.topic)).map((t) => t.topic)).toEqual(SHARDS);
  expect(settled.some((t) => t.topic === 't.decisions')).toBe(true);
  expect(dlqOf(settled)).toHaveLength(0);
  expect(arbiter.refused()).toBe(5);
});
