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
import { SPLIT_CHUNK_BYTES } from '../../../src/kafka/split-chunks';
import { DLQ, dlqOf, record as recordOf, records, SHARDS, splitFleet } from './split-fleet';

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

test('reports larger than a record come in chunks, interleaved; the window is judged once both are whole; a broken set is dead-lettered', async () => {
  const metrics = createMetrics();
  const { arbiter, reports } = await fleet(metrics);
  // Padded past one record: the arbiter reads what the shard's fields say and ignores the rest.
  const pad = 'x'.repeat(2 * SPLIT_CHUNK_BYTES);
  const [a, b] = [0, 1].map((d) => records({ ...reports[d], pad }, 'report', `shard/${d}`));
  expect(a.length).toBe(3);
  // A broken set of shard 0 first (its middle chunk lost), superseded by its genuine one.
  const broken = records({ ...reports[0], pad: `${pad}y` }, 'report', 'shard/0');
  for (const m of [broken[0], broken[2]]) expect(arbiter.onRecord!(m, false)).toBe(true);
  for (const m of [a[0], b[0], a[1], b[1], a[2]]) arbiter.onRecord!(m, false);
  expect(arbiter.heldFrom!()).toBe(b[0].offset);
  const first = arbiter.takePending();
  expect(first.filter((t) => SHARDS.includes(t.topic))).toHaveLength(0);
  expect(dlqOf(first).map((m) => m.headers?.[DLQ_HEADERS.message]?.toString())).toEqual([
    expect.stringMatching(/chunk 2 where chunk 1 was due/),
    expect.stringMatching(/chunk 2 where chunk 1 was due/),
  ]);
  arbiter.onRecord!(b[2], false);
  expect(arbiter.heldFrom!()).toBeUndefined();
  const judged = arbiter.takePending();
  expect(dlqOf(judged)).toHaveLength(0);
  const withCandidates = SHARDS.filter((_t, d) => (reports[d].window?.candidates.length ?? 0) > 0);
  expect(judged.filter((t) => SHARDS.includes(t.topic)).map((t) => t.topic)).toEqual(withCandidates);
  expect(arbiter.refused()).toBe(2);
  expect((await metrics.splitRefused.get()).values.find((v) => v.labels.part === 'arbiter')?.value).toBe(2);
});

test('a checkpoint larger than a record is written in chunks and read back whole: the window judged as without the takeover', async () => {
  const pad = 'x'.repeat(2 * SPLIT_CHUNK_BYTES);
  const judgedBy = async (takeover: boolean): Promise<string[]> => {
    const { arbiter, reports } = await fleet();
    for (const m of records({ ...reports[0], pad }, 'report', 'shard/0')) arbiter.onRecord!(m, false);
    const state = arbiter
      .takePending()
      .filter((t) => t.topic === 't.state')
      .flatMap((t) => t.messages);
    if (takeover) {
      // The report it holds makes its checkpoint larger than one record.
      expect(state.map((m) => String(m.key))).toEqual([
        'split/g/arbiter',
        'split/g/arbiter#chunk-0',
        'split/g/arbiter#chunk-1',
        'split/g/arbiter#chunk-2',
      ]);
      expect(state.every((m) => arbiter.ownsKey(String(m.key)))).toBe(true);
      arbiter.resetFrom(new Map(state.map((m) => [String(m.key), m.value as Buffer])));
    }
    arbiter.onRecord!(record(reports[1]), false);
    const judged = arbiter.takePending();
    expect(dlqOf(judged)).toHaveLength(0);
    return judged.filter((t) => SHARDS.includes(t.topic)).flatMap((t) => t.messages.map((m) => m.value!.toString()));
  };
  const direct = await judgedBy(false);
  expect(direct.length).toBeGreaterThan(0);
  expect(await judgedBy(true)).toEqual(direct);
});
