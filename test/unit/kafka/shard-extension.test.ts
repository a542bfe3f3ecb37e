/**
 * A decision shard of a split stage two in its driver: a record of its topic it cannot take —
 * unreadable, verdicts or a settlement of a window it does not await — goes to the DLQ with the
 * reason, counted, in the transaction that moves past it (as the arbiter's do), and the shard
 * carries on; the exactly-once guard still stops: a window released before the last one's
 * settlement throws. Given its verdicts (in chunks, when larger than a record), it sends the
 * arbiter the records it built.
 */
import type { TopicMessages } from 'kafkajs';
import pino from 'pino';
import { DLQ_HEADERS } from '../../../src/kafka/dlq';
import { createShardExtension } from '../../../src/kafka/shard-extension';
import { createMetrics } from '../../../src/ops/metrics';
import { createSplitArbiter } from '../../../src/pipeline/split-arbiter';
import type { ShardBuilt, ShardReport, ShardVerdicts } from '../../../src/pipeline/split-protocol';
import { SPLIT_CHUNK_BYTES } from '../../../src/kafka/split-chunks';
import { DLQ, dlqOf, record, records, SHARDS, splitFleet } from './split-fleet';

const ARBITER = 't.arbiter';

const toArbiter = <T>(messages: TopicMessages[]): T[] =>
  messages
    .filter((t) => t.topic === ARBITER)
    .flatMap((t) => t.messages.map((m) => JSON.parse(m.value!.toString()) as T));

test('records a shard cannot take are dead-lettered with the reason; it builds from its verdicts', async () => {
  const f = splitFleet();
  const metrics = createMetrics();
  const shards = [0, 1].map((index) =>
    createShardExtension({
      setup: f.setup,
      plan: f.plan,
      index,
      verifier: f.verifier.config,
      init: f.start.shards[index],
      deps: f.deps,
      route: f.route,
      arbiterTopic: ARBITER,
      stateTopic: 't.state',
      stateKey: `split/g/shard-${index}`,
      maxSnapshotBytes: 64 * 2 ** 20,
      dlq: { topic: DLQ, maxMessageBytes: 1_048_576, source: SHARDS[index] },
      logger: pino({ level: 'silent' }),
      metrics,
    }),
  );
  const arbiter = createSplitArbiter({ ...f, signing: f.opts.signing, init: f.start.arbiter });
  const reports = shards.map((x, d) =>
    toArbiter<ShardReport>(x.onFinals(f.finalsFor(d), [f.summary]) as TopicMessages[]),
  );
  const judged = arbiter.report(reports[0][0]) ?? arbiter.report(reports[1][0]);
  const d = judged!.verdicts.findIndex((v) => v !== null);
  expect(d).toBeGreaterThanOrEqual(0);
  const shard = shards[d];
  const verdicts = judged!.verdicts[d] as ShardVerdicts;
  // Unreadable; the settlement while the verdicts are awaited; verdicts of another window.
  expect(shard.onRecord!(record('not json', 'settle'), false)).toBe(true);
  expect(
    shard.onRecord!(record({ kind: 'settle', end: f.summary.end, reverts: [], pending: [] }, 'settle'), false),
  ).toBe(true);
  const later = f.summary.end + f.windowMs;
  expect(shard.onRecord!(record({ ...verdicts, end: later }, 'verdicts'), false)).toBe(true);
  expect(shard.refused()).toBe(3);
  const first = shard.takePending();
  expect(dlqOf(first).map((m) => m.headers?.[DLQ_HEADERS.message]?.toString())).toEqual([
    expect.stringMatching(/of another kind/) as unknown as string,
    `settle of window ${f.summary.end}; it awaits the verdicts of window ${f.summary.end}`,
    `verdicts of window ${later}; it awaits the verdicts of window ${f.summary.end}`,
  ]);
  expect(toArbiter(first)).toEqual([]);
  expect(await metrics.splitRefused.get()).toMatchObject({ values: [{ labels: { part: `shard-${d}` }, value: 3 }] });
  // The exactly-once guard still stops: no window before the settlement of the last.
  expect(() => shard.onFinals([], [{ end: later, minStart: later - f.windowMs }])).toThrow(/before the settlement/);
  // The genuine verdicts, padded past one record (the shard reads its fields only): they come in
  // chunks, held (the committed offset stays at the first) until the last; then the records it
  // built go to the arbiter, nothing to the DLQ.
  const chunks = records({ ...verdicts, pad: 'x'.repeat(SPLIT_CHUNK_BYTES) }, 'verdicts', 'arbiter');
  expect(chunks.length).toBe(2);
  shard.onRecord!(chunks[0], false);
  expect(shard.heldFrom!()).toBe(chunks[0].offset);
  expect(shard.hasPending()).toBe(false);
  shard.onRecord!(chunks[1], false);
  expect(shard.heldFrom!()).toBeUndefined();
  const built = shard.takePending();
  expect(dlqOf(built)).toHaveLength(0);
  const [b] = toArbiter<ShardBuilt>(built);
  expect(b).toMatchObject({ kind: 'built', shard: d, end: f.summary.end });
  expect(b.decisions.length).toBeGreaterThan(0);
  expect(b.commands.every((c) => typeof c.signature === 'string' && c.signature.length > 0)).toBe(true);
});
