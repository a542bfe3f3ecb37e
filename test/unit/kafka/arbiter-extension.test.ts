/**
 * The arbiter of a split stage two in its driver: a record of its topic it cannot take — a
 * report of a window other than the one open, records built for a window not judged, from a
 * shard it does not have, or unreadable —
 * goes to the DLQ with the reason, counted, in the transaction that moves past it; it never
 * throws (its driver would reset into the same record for ever), and the window carries on
 * when the genuine reports come.
 */
import type { KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { createArbiterExtension, type ArbiterExtension } from '../../../src/kafka/arbiter-extension';
import { DLQ_HEADERS } from '../../../src/kafka/dlq';
import { STAGE_KIND_HEADER } from '../../../src/kafka/stage-records';
import { createMetrics, type HomeostatMetrics } from '../../../src/ops/metrics';
import type { ShardReport, ShardVerdicts } from '../../../src/pipeline/split-protocol';
import { createSplitShard, type SplitShard } from '../../../src/pipeline/split-shard';
import { DLQ, dlqOf, record as recordOf, SHARDS, splitFleet } from './split-fleet';

interface Fleet {
  arbiter: ArbiterExtension;
  shards: SplitShard[];
  reports: ShardReport[];
  windowMs: number;
}

async function fleet(metrics?: HomeostatMetrics): Promise<Fleet> {
  const { opts, setup, plan, verifier, start, deps, summary, finalsFor, windowMs } = splitFleet();
  const arbiter = await createArbiterExtension({
    setup,
    plan,
    deps,
    verifier,
    signing: opts.signing,
    init: JSON.parse(JSON.stringify(start.arbiter)) as typeof start.arbiter,
    shardTopics: SHARDS,
    topics: { actions: 't.actions', decisions: 't.decisions', outcomes: 't.outcomes', state: 't.state' },
    format: 'json',
    stateKey: 'split/g/arbiter',
    dlq: { topic: DLQ, maxMessageBytes: 1_048_576, source: 't.arbiter' },
    logger: pino({ level: 'silent' }),
    metrics,
  });
  const shards = [0, 1].map((d) =>
    createSplitShard({ setup, plan, index: d, verifier: verifier.config, init: start.shards[d] }),
  );
  const reports = shards.map((x, d) => x.window(summary, finalsFor(d)));
  return { arbiter, shards, reports, windowMs };
}

const record = (value: unknown, kind = 'report'): KafkaMessage => recordOf(value, kind);

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

test('a window whose shards applied another number of control records than the arbiter is counted as a race', async () => {
  const metrics = createMetrics();
  const { arbiter, reports } = await fleet(metrics);
  arbiter.onRecord!(record(reports[0]), false);
  // Applied by the arbiter (and forwarded) after the shards evaluated the window without it.
  arbiter.applyControl({
    kind: 'pause',
    policy: null,
    target: null,
    mode: null,
    issuedBy: 'ops',
    issuedAt: 1,
    reason: 'test',
  });
  arbiter.onRecord!(record(reports[1]), false);
  expect((await metrics.splitControlRaces.get()).values[0]?.value).toBe(1);
  const forwarded = arbiter.takePending().filter((t) => SHARDS.includes(t.topic));
  expect(forwarded.flatMap((t) => t.messages.map((m) => m.headers?.[STAGE_KIND_HEADER]?.toString()))).toContain(
    'control',
  );
});
