/**
 * Stage two's driver over the fake Kafka port: whatever happens on the way — a new owner, a
 * rebalance mid-stream, a fenced producer, a commit lost to a broker outage, a consumer stopped
 * for good — the signals topic holds what an uninterrupted gather publishes, once each and in
 * its order, and the committed stage offset reaches the end of the stage topic.
 */
import { decodeCheckpoint } from '../../../src/kafka/checkpoint-meta';
import { stageMark } from '../../../src/kafka/stage-records';
import type { StageTwo } from '../../../src/kafka/gather-driver';
import { stageHarness, type StageHarness } from './stage-two-harness';

// The machine may be loaded: outages and takeovers take a few ticks of 200 ms each.
jest.setTimeout(30_000);

const GROUP = 'g.stage-two';
const running: StageTwo[] = [];

async function started(h: StageHarness): Promise<StageTwo> {
  const s = h.stageTwo();
  running.push(s);
  await s.start();
  return s;
}

afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

/** Waits until the signals topic holds as many signals as expected, then compares them. */
async function publishesExactlyOnce(h: StageHarness): Promise<void> {
  const want = h.expected();
  expect(want.length).toBeGreaterThan(10);
  await h.k.until(() => h.published().length >= want.length, 8_000, `${want.length} signals`);
  expect(h.published()).toEqual(want);
}

/** The next stage offset the last commit says was handled. */
const committedNext = (h: StageHarness): string | undefined => decodeCheckpoint(h.committed()?.metadata)?.next;
const stageEnd = (h: StageHarness): string => String(h.k.log(h.config.topics.stage, 0).length);
const resumedFor = (h: StageHarness): unknown[] => h.logged('stage two: resumed').map((l) => l.reason);

test('one owner publishes what an uninterrupted gather releases and commits the stage topic to its end', async () => {
  const h = stageHarness();
  const s = await started(h);
  h.feedAll();
  await publishesExactlyOnce(h);
  await h.k.until(() => committedNext(h) === stageEnd(h), 5_000, 'the stage offset at the log end');
  expect(s.counters()).toMatchObject({ unreadable: 0 });
  expect(s.counters().transactions).toBeGreaterThan(0);
  expect(resumedFor(h)).toEqual(['rejoined']);
});

test('a standby takes over when the owner leaves, and resumes from the last commit', async () => {
  const h = stageHarness();
  const a = await started(h);
  const b = await started(h);
  expect(h.logged('stage two: this process merges')).toHaveLength(1);
  h.feed(6);
  await h.k.until(() => committedNext(h) === stageEnd(h), 5_000, 'the owner to commit what was fed');
  await a.stop();
  running.splice(running.indexOf(a), 1);
  await h.k.until(() => h.logged('stage two: this process merges').length === 2, 5_000, 'the standby to take over');
  h.feedAll();
  await publishesExactlyOnce(h);
  expect(b.counters().transactions).toBeGreaterThan(0);
});

test('a rebalance mid-stream: the owner keeps the stage, rebuilds from its last commit and publishes nothing twice', async () => {
  const h = stageHarness({ maxRecordsPerFetch: 7 });
  const s = await started(h);
  h.feedAll();
  await h.k.until(() => s.counters().transactions >= 2, 5_000, 'two transactions');
  h.k.rebalance(GROUP);
  await publishesExactlyOnce(h);
  expect(resumedFor(h).filter((r) => r === 'rejoined').length).toBeGreaterThanOrEqual(2);
});

test('a fenced producer: the unit fails, its outputs are aborted, and the reset fences back and carries on', async () => {
  const h = stageHarness();
  const s = await started(h);
  h.feed(6);
  await h.k.until(() => s.counters().transactions >= 1, 5_000, 'a transaction');
  // A zombie takes the group's transactional id: stage two's producer is fenced.
  const zombie = h.k.producer({ transactionalId: `${h.config.kafka.transactionalIdPrefix}-stage-two` });
  await zombie.connect();
  await (await zombie.transaction()).abort();
  h.feedAll();
  await publishesExactlyOnce(h);
  expect(h.logs.filter((l) => /failed; its outputs were not committed/.test(l.msg)).length).toBeGreaterThanOrEqual(1);
  expect(resumedFor(h)).toContain('batch-failed');
});

test('a fetch of markers and aborted records only moves the position, and a deferred commit writes it', async () => {
  const h = stageHarness();
  await started(h);
  h.feedAll();
  await publishesExactlyOnce(h);
  await h.k.until(() => committedNext(h) === stageEnd(h), 5_000, 'the stage offset at the log end');
  // Another writer's aborted transaction: aborted records and an abort marker, never handed over.
  const writer = h.k.producer({ transactionalId: 'another-process' });
  await writer.connect();
  const tx = await writer.transaction();
  const mark = { partition: 0, wm: 0, maxTs: 0, next: '1' };
  await tx.sendBatch({ topicMessages: [{ topic: h.config.topics.stage, messages: [stageMark(mark)] }] });
  await tx.abort();
  const end = stageEnd(h);
  await h.k.until(() => committedNext(h) === end, 5_000, 'the stage offset past the aborted transaction');
  expect(h.k.log(h.config.topics.stage, 0).at(-1)).toEqual({ kind: 'marker', commit: false });
});

test('a commit lost to a broker outage, and an outage during the reset: rebuilt from the last commit, nothing lost or doubled', async () => {
  const h = stageHarness();
  const s = await started(h);
  h.feed(6);
  await h.k.until(() => s.counters().transactions >= 1, 5_000, 'a transaction');
  h.k.failNext('commit');
  h.k.failNext('fetchOffsets', { times: 2 });
  h.feedAll();
  await publishesExactlyOnce(h);
  expect(resumedFor(h)).toContain('batch-failed');
  await h.k.until(() => committedNext(h) === stageEnd(h), 5_000, 'the stage offset at the log end');
});

test('a consumer stopped for good is replaced; the new one resumes from the last commit', async () => {
  const h = stageHarness();
  const s = await started(h);
  h.feed(6);
  await h.k.until(() => s.counters().transactions >= 1, 5_000, 'a transaction');
  const first = h.k.group(GROUP).members[0];
  h.k.crash(GROUP);
  await h.k.until(
    () => h.k.group(GROUP).members.length === 1 && h.k.group(GROUP).members[0] !== first,
    5_000,
    'a new consumer in the group',
  );
  h.feedAll();
  await publishesExactlyOnce(h);
  expect(h.logged('the stage-two consumer stopped for good')).toHaveLength(1);
  expect(resumedFor(h).length).toBeGreaterThanOrEqual(2);
});

test('a takeover while a dead process holds a transaction open on the state topic: resumes from the newest checkpoint, not an older one', async () => {
  const h = stageHarness();
  const s = await started(h);
  h.feed(4);
  await h.k.until(() => committedNext(h) === stageEnd(h), 5_000, 'the first windows committed');
  // A process SIGKILLed mid-transaction on the state topic: read_committed readers see nothing
  // past it — also the checkpoints stage two commits from now on — until its id is fenced or
  // its transaction times out. The committed stage offsets are not held back.
  h.k.openTransactionAt(h.config.topics.state, 0);
  h.feed(8);
  await h.k.until(() => committedNext(h) === stageEnd(h), 5_000, 'more windows committed past the open transaction');
  const committedWm = decodeCheckpoint(h.committed()?.metadata)?.wm;
  expect(s.counters().released).toBeGreaterThan(0);
  h.k.rebalance(GROUP);
  const waited = (): boolean => h.logged('stage two: the state topic does not show').length > 0;
  await h.k.until(() => resumedFor(h).length >= 2 || waited(), 15_000, 'a reset to read the state topic');
  h.k.endTransactionAt(h.config.topics.state, 0);
  await h.k.until(() => resumedFor(h).length >= 2, 15_000, 'the reset to complete');
  // The state the committed offset was written with, never an older one.
  expect(h.logged('stage two: resumed')[1].released).toBe(committedWm);
  h.feedAll();
  await publishesExactlyOnce(h);
});
