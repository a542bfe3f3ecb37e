/**
 * The processor's Kafka driver over the fake port (test/helpers/fake-kafka.ts): its hard paths
 * — a rebalance mid-batch, a fenced producer, a fetch of markers only, resets after a broker
 * outage, a consumer stopped for good — each in milliseconds. Every run is judged against an
 * uninterrupted run of the same input: the same signals, committed once each, and counters
 * that add up to the records read (the broker-backed tiers remain the truth of kafkajs itself).
 */
import {
  AssignerProtocol,
  type ConsumerRunConfig,
  type EachBatchPayload,
  type PartitionAssigner,
  type ProducerConfig,
} from 'kafkajs';
import pino from 'pino';
import { encodeTelemetryJson } from '../../../src/codec';
import { DriverFatalError } from '../../../src/errors';
import { decodeCheckpoint } from '../../../src/kafka/checkpoint-meta';
import type { KafkaPort, PortTransaction } from '../../../src/kafka/port';
import { createRunner, type Runner, type RunnerCounters } from '../../../src/kafka/processor-driver';
import { SINGLE_OWNER_ASSIGNER } from '../../../src/kafka/single-owner-assigner';
import { decodeStageRecord } from '../../../src/kafka/stage-records';
import type { HomeostatConfig } from '../../../src/config/homeostat-config';
import { engineConfigFrom } from '../../../src/config/resolve-engine';
import type { Logger } from '../../../src/ops/logger';
import { fakeConfig } from '../../helpers/fake-config';
import { FakeKafka, FakeKafkaError } from '../../helpers/fake-kafka';

const PARTITIONS = 2;
/**
 * How long a run may take to get where it must: each takes well under a second, but a machine
 * busy with other suites can stretch that — a liveness bound, not a timing goal.
 */
const WAIT_MS = 20_000;
jest.setTimeout(3 * WAIT_MS);
const RECORDS = 80;

/** The fake's config, single owner or scaled out. */
function config(scaleOut = false): HomeostatConfig {
  const c = fakeConfig();
  return { ...c, runner: { ...c.runner, scaleOut } };
}

/** A fake broker whose fetches hand over a few records at a time, so that a run is many batches. */
function fakeFor(c: HomeostatConfig): FakeKafka {
  const k = new FakeKafka({ topics: { [c.topics.telemetry]: PARTITIONS }, maxRecordsPerFetch: 6 });
  for (const t of [c.topics.dlq, c.topics.signals, c.topics.state, c.topics.stage]) k.createTopic(t, 1);
  return k;
}

/** Four sources over 80 s of event time (one bad record among them): windows close, one dead letter. */
const T0 = Date.now() - 300_000;
const workload = Array.from({ length: RECORDS }, (_, i) => ({
  key: `svc-${i % 4}`,
  value:
    i === 17
      ? Buffer.from('not telemetry')
      : encodeTelemetryJson({
          source: `svc-${i % 4}`,
          metric: 'query.latency_ms',
          ts: T0 + i * 1_000,
          value: i,
          tags: {},
        }),
}));

/** Logs kept for assertions (warn and above). */
function capture(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) },
  );
  return { logger, messages };
}

/** The hooks a test puts between the driver and the fake. */
interface Hooks {
  /** Called as each batch is handed to the driver, before it sees it. */
  beforeBatch?(payload: EachBatchPayload): void;
  /** Called after a transaction's commit went through: a throw makes it look failed to the driver. */
  afterCommit?(): void;
  /** Awaited before a transaction's commit is sent, with the topics it wrote to. */
  beforeCommit?(topics: ReadonlySet<string>): Promise<void> | void;
}

/** The fake as the driver's port, with the hooks in the way. */
function port(k: FakeKafka, hooks: Hooks): KafkaPort {
  return {
    consumer(cfg) {
      const c = k.consumer(cfg);
      const run = c.run.bind(c);
      return Object.assign(c, {
        run: (rc?: ConsumerRunConfig) =>
          run({
            ...rc,
            eachBatch: async (p: EachBatchPayload) => {
              hooks.beforeBatch?.(p);
              await rc!.eachBatch!(p);
            },
          }),
      });
    },
    producer(cfg?: ProducerConfig) {
      const p = k.producer(cfg);
      const begin = p.transaction.bind(p);
      return Object.assign(p, {
        transaction: async (): Promise<PortTransaction> => {
          const tx = await begin();
          const commit = tx.commit.bind(tx);
          const sendBatch = tx.sendBatch.bind(tx);
          const topics = new Set<string>();
          return Object.assign(tx, {
            sendBatch: (b: Parameters<PortTransaction['sendBatch']>[0]) => {
              for (const tm of b.topicMessages ?? []) if (tm.messages.length > 0) topics.add(tm.topic);
              return sendBatch(b);
            },
            commit: async () => {
              await hooks.beforeCommit?.(topics);
              await commit();
              hooks.afterCommit?.();
            },
          });
        },
      });
    },
    admin: () => k.admin(),
  };
}

interface Run {
  k: FakeKafka;
  runner: Runner;
  messages: string[];
}

async function start(
  o: { scaleOut?: boolean; hooks?: Hooks; k?: FakeKafka; onFatal?: (e: unknown) => void } = {},
): Promise<Run> {
  const c = config(o.scaleOut);
  const k = o.k ?? fakeFor(c);
  const { logger, messages } = capture();
  const kafka = port(k, o.hooks ?? {});
  // EWMA and trend carried across resets on the state topic, as `homeostat run` does.
  const history = { topic: c.topics.state, prefix: 'history/g/' };
  const runner = createRunner({ config: c, engine: engineConfigFrom(c), logger, kafka, history, onFatal: o.onFatal });
  await runner.start();
  return { k, runner, messages };
}

/** Signals as committed (read_committed), in a canonical order: a duplicate or a loss shows. */
const signals = (k: FakeKafka): string[] =>
  k
    .committedRecords(config().topics.signals)
    .map((m) => m.value!.toString())
    .sort();

const done = (r: Run): boolean => r.runner.counters().consumed === RECORDS;

/** An uninterrupted run of the workload: what every disturbed run must match. */
async function reference(): Promise<{ signals: string[]; counters: RunnerCounters }> {
  const r = await start();
  r.k.produce(config().topics.telemetry, workload, { transactional: true });
  try {
    await r.k.until(() => done(r), WAIT_MS, 'the reference run');
    return { signals: signals(r.k), counters: r.runner.counters() };
  } finally {
    await r.runner.stop();
  }
}

/** Exactly once: the reference's signals, each once, and the accounting identity over every record. */
function expectSameAsReference(r: Run, ref: { signals: string[]; counters: RunnerCounters }): void {
  const c = r.runner.counters();
  expect(signals(r.k)).toEqual(ref.signals);
  expect({ consumed: c.consumed, aggregated: c.aggregated, late: c.late, deadLettered: c.deadLettered }).toEqual({
    consumed: ref.counters.consumed,
    aggregated: ref.counters.aggregated,
    late: ref.counters.late,
    deadLettered: ref.counters.deadLettered,
  });
  expect(c.consumed).toBe(c.aggregated + c.late + c.deadLettered);
  expect(r.k.committedRecords(config().topics.dlq)).toHaveLength(1);
}

/**
 * Runs the workload in two halves with `disturb` between them (once the first is committed),
 * then `check`s the run; the runner is stopped after, whatever happened.
 */
async function inHalves(disturb: (r: Run) => Promise<void> | void, check: (r: Run) => void): Promise<void> {
  const r = await start();
  const telemetry = config().topics.telemetry;
  r.k.produce(telemetry, workload.slice(0, RECORDS / 2), { transactional: true });
  try {
    await r.k.until(() => r.runner.counters().consumed === RECORDS / 2, WAIT_MS, 'the first half');
    await disturb(r);
    r.k.produce(telemetry, workload.slice(RECORDS / 2), { transactional: true });
    await r.k.until(() => done(r), WAIT_MS, 'the second half');
    check(r);
  } finally {
    await r.runner.stop();
  }
}

/** Stage one's signals on the stage topic (scaled out), as committed, in a canonical order. */
const stageSignals = (k: FakeKafka): string[] =>
  k
    .committedRecords(config(true).topics.stage)
    .map((m) => decodeStageRecord(m))
    .flatMap((rec) => ('kind' in rec && rec.kind === 'signal' ? [JSON.stringify(rec.signal)] : []))
    .sort();

/** An uninterrupted scaled-out run of `parts`, produced one after the other: stage one's signals. */
async function stageSignalsOf(parts: readonly (typeof workload)[]): Promise<string[]> {
  const r = await start({ scaleOut: true });
  try {
    let n = 0;
    for (const part of parts) {
      r.k.produce(config(true).topics.telemetry, part, { transactional: true });
      n += part.length;
      await r.k.until(() => r.runner.counters().consumed === n, WAIT_MS, 'the reference run');
    }
    return stageSignals(r.k);
  } finally {
    await r.runner.stop();
  }
}

let ref: { signals: string[]; counters: RunnerCounters };
beforeAll(async () => {
  ref = await reference();
  expect(ref.signals.length).toBeGreaterThan(0);
  expect(ref.counters).toMatchObject({ consumed: RECORDS, deadLettered: 1 });
});

describe('the processor driver over the fake port', () => {
  test('a rebalance mid-batch: the batch is not committed, the state is rebuilt, nothing is stepped twice', async () => {
    let batches = 0;
    const k = fakeFor(config());
    // Half way through, a rebalance lands while a batch is in hand: its heartbeat fails before the commit.
    const hooks: Hooks = { beforeBatch: () => void (++batches === 6 && k.rebalance('g')) };
    const r = await start({ hooks, k });
    r.k.produce(config().topics.telemetry, workload, { transactional: true });
    try {
      await r.k.until(() => done(r), WAIT_MS, 'every record after the rebalance');
      expect(batches).toBeGreaterThan(6);
      expect(r.messages).toContain('state reset to the last committed checkpoint');
      expectSameAsReference(r, ref);
    } finally {
      await r.runner.stop();
    }
  });

  test('a rebalance between batches: the committed offsets lag the position, the open windows are rebuilt once', () =>
    inHalves(
      (r) => r.k.rebalance('g'),
      (r) => {
        expect(r.messages).toContain('state reset to the last committed checkpoint');
        expect(r.runner.counters().restored).toBeGreaterThan(0);
        expectSameAsReference(r, ref);
      },
    ));

  test('a fenced producer: the commit is refused, a new producer takes the id back, the batch is read again', () =>
    inHalves(
      async (r) => {
        // Another producer takes the owner's transactional id: the runner's producer is fenced.
        const zombie = r.k.producer({ transactionalId: `${config().kafka.transactionalIdPrefix}-owner` });
        await zombie.connect();
        await (await zombie.transaction()).abort();
      },
      (r) => {
        expect(r.messages).toContain('batch failed; its outputs were not committed and the state will be rebuilt');
        expectSameAsReference(r, ref);
      },
    ));

  test.each([
    ['a process started after it left', false],
    ['the standby', true],
  ])(
    'a zombie owner (dropped by the group mid-commit, not knowing it) cannot commit once %s took the partitions: each signal once',
    async (_, standby) => {
      const c = config();
      const k = fakeFor(c);
      const telemetry = c.topics.telemetry;
      let release: (() => void) | undefined;
      let held = false;
      // The owner's first commit with signals in the second half waits: the process is paused
      // there past its session, its transaction open.
      const gate = new Promise<void>((r) => (release = r));
      const zombieHooks: Hooks = {
        beforeCommit: async (topics) => {
          if (!armed || held || !topics.has(c.topics.signals)) return;
          held = true;
          await gate;
        },
      };
      let armed = false;
      const a = await start({ k, hooks: zombieHooks });
      const runs: Run[] = [a];
      try {
        k.produce(telemetry, workload.slice(0, RECORDS / 2), { transactional: true });
        await k.until(() => a.runner.counters().consumed === RECORDS / 2, WAIT_MS, 'the first half');
        if (standby) runs.push(await start({ k }));
        const member = k.group('g').members.find((m) => m.assignment[telemetry]?.length === PARTITIONS)!;
        armed = true;
        k.produce(telemetry, workload.slice(RECORDS / 2), { transactional: true });
        await k.until(() => held, WAIT_MS, "the owner's commit with signals");
        k.expel('g', member);
        const b = standby ? runs[1] : await start({ k });
        if (!standby) runs.push(b);
        // The checkpoint's `next`: the committed offset itself lags at the oldest open window.
        const committedEnd = (): boolean =>
          [0, 1].every(
            (p) =>
              Number(decodeCheckpoint(k.committed('g', telemetry, p)?.metadata ?? null)?.next ?? -1) >=
              k.log(telemetry, p).length - 1,
          );
        await k.until(
          () => signals(k).length >= ref.signals.length && committedEnd(),
          WAIT_MS,
          'the new owner through the second half',
        );
        // The zombie wakes up and sends its commit.
        release!();
        await k.until(
          () => a.messages.includes('batch failed; its outputs were not committed and the state will be rebuilt'),
          WAIT_MS,
          "the zombie's commit refused",
        );
        await k.until(() => !k.group('g').members.some((m) => m.expelled), WAIT_MS, 'the zombie rejoined');
        await new Promise((r) => setTimeout(r, 100));
        // The new owner fenced before its first commit, not after a failed one.
        expect(b.messages).not.toContain('batch failed; its outputs were not committed and the state will be rebuilt');
        // Back in the group with its old claim, the zombie does not take the partitions back.
        const owner = k.group('g').members.find((m) => m.assignment[telemetry]?.length === PARTITIONS);
        expect(owner).toBeDefined();
        expect(owner).not.toBe(member);
        expect(signals(k)).toEqual(ref.signals);
        expect(k.committedRecords(c.topics.dlq)).toHaveLength(1);
      } finally {
        release?.();
        for (const r of runs) await r.runner.stop();
      }
    },
  );

  test('a fetch of markers only (scaled out): the position moves past them and a mark tells stage two', async () => {
    const c = config(true);
    const r = await start({ scaleOut: true });
    r.k.produce(c.topics.telemetry, workload, { transactional: true });
    try {
      await r.k.until(() => done(r), WAIT_MS, 'every record');
      // Another writer's aborted transaction: aborted records and a marker on both partitions.
      const writer = r.k.producer({ transactionalId: 'other-writer' });
      await writer.connect();
      const aborted = await writer.transaction();
      await aborted.sendBatch({ topicMessages: [{ topic: c.topics.telemetry, messages: workload.slice(0, 8) }] });
      await aborted.abort();
      const end = (p: number): number => r.k.log(c.topics.telemetry, p).length;
      const marked = (p: number): boolean =>
        r.k.committedRecords(c.topics.stage).some((m) => {
          const rec = decodeStageRecord(m);
          return 'kind' in rec && rec.kind === 'mark' && rec.mark.partition === p && rec.mark.next === String(end(p));
        });
      await r.k.until(() => [0, 1].every(marked), WAIT_MS, 'marks at the log ends');
      for (const p of [0, 1]) {
        const committed = r.k.committed('g', c.topics.telemetry, p);
        expect(decodeCheckpoint(committed?.metadata ?? null)?.next).toBe(String(end(p)));
      }
      expect(r.runner.counters().consumed).toBe(RECORDS);
    } finally {
      await r.runner.stop();
    }
  });

  test.each([
    ['a commit', 'commit'],
    ['the offsets fetch of a checkpoint load', 'fetchOffsets'],
  ] as const)('a broker outage failing %s: the state is reset to the last commit and the counts stay exact', (_, op) =>
    inHalves(
      (r) => {
        r.k.failNext(op, { times: 2 });
        // A rejoin loads the checkpoints again (the offsets fetch); the next batch commits.
        r.k.rebalance('g');
      },
      (r) => {
        expect(r.messages).toContain('state reset to the last committed checkpoint');
        expectSameAsReference(r, ref);
      },
    ),
  );

  test('a commit that went through but was reported failed: its records are counted once', async () => {
    let commits = 0;
    const hooks: Hooks = {
      afterCommit: () => {
        if (++commits === 4) throw new FakeKafkaError('the commit request timed out', 'REQUEST_TIMED_OUT', true);
      },
    };
    const r = await start({ hooks });
    r.k.produce(config().topics.telemetry, workload, { transactional: true });
    try {
      await r.k.until(() => done(r) && commits > 4, WAIT_MS, 'every record');
      expect(r.messages).toContain('the transaction whose commit failed had committed: its records are counted');
      expectSameAsReference(r, ref);
    } finally {
      await r.runner.stop();
    }
  });

  test('a consumer stopped for good is replaced and the new one resumes from the last commit', () =>
    inHalves(
      (r) => r.k.crash('g'),
      (r) => {
        expect(r.messages).toContain(
          'the telemetry consumer stopped for good after a non-retriable error; replacing it',
        );
        expect(r.runner.status()).toBe('RUNNING');
        expectSameAsReference(r, ref);
      },
    ));

  test('holding a partial assignment: nothing is processed until the process owns every partition', async () => {
    const c = config();
    const k = fakeFor(c);
    // A member that speaks the single-owner protocol but splits the partitions (not a homeostat of
    // this version); created first, so that its assigner is the group's once it joins.
    const splitter: PartitionAssigner = () => ({
      name: SINGLE_OWNER_ASSIGNER,
      version: 1,
      protocol: ({ topics }) => ({
        name: SINGLE_OWNER_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      }),
      assign: ({ members }) =>
        Promise.resolve(
          [...members]
            .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
            .map((m, i) => ({
              memberId: m.memberId,
              memberAssignment: AssignerProtocol.MemberAssignment.encode({
                version: 1,
                assignment: { [c.topics.telemetry]: [i % PARTITIONS] },
                userData: Buffer.alloc(0),
              }),
            })),
        ),
    });
    const foreign = k.consumer({ groupId: 'g', partitionAssigners: [splitter] });
    const r = await start({ k });
    k.produce(c.topics.telemetry, workload.slice(0, 40), { transactional: true });
    try {
      await k.until(() => r.runner.counters().consumed === 40, WAIT_MS, 'the first half');
      await foreign.subscribe({ topic: c.topics.telemetry });
      await foreign.run({ eachBatchAutoResolve: false, eachBatch: () => Promise.resolve() });
      k.produce(c.topics.telemetry, workload.slice(40), { transactional: true });
      await k.until(() => r.messages.some((m) => m.startsWith('holding:')), WAIT_MS, 'the hold');
      // Some batches of the partition it holds go by: none is processed.
      await new Promise((res) => setTimeout(res, 300));
      expect(r.runner.counters().consumed).toBe(40);
      expect(r.runner.ready()).toBe(false);
      await foreign.disconnect();
      await k.until(() => done(r), WAIT_MS, 'the second half once it owns every partition');
      expect(r.runner.ready()).toBe(true);
      expectSameAsReference(r, ref);
    } finally {
      await r.runner.stop();
    }
  });

  test('scaled out, a takeover while another writer holds a transaction open on the state topic: the histories of the last commit are restored', async () => {
    const c = config(true);
    const telemetry = c.topics.telemetry;
    const parts = [workload.slice(0, 30), workload.slice(30, 55), workload.slice(55)];
    const expected = await stageSignalsOf(parts);
    const r = await start({ scaleOut: true });
    const consumed = (n: number) => (): boolean => r.runner.counters().consumed === n;
    try {
      r.k.produce(telemetry, parts[0], { transactional: true });
      await r.k.until(consumed(30), WAIT_MS, 'the first part');
      // Another partition's dead owner (or stage two) mid-transaction on the shared state topic:
      // read_committed readers see nothing past it — also the histories this process commits
      // from now on — until that transactional id is fenced or times out.
      r.k.openTransactionAt(c.topics.state, 0);
      r.k.produce(telemetry, parts[1], { transactional: true });
      await r.k.until(consumed(55), WAIT_MS, 'the second part, its histories past the open transaction');
      const resets = (): number =>
        r.messages.filter((m) => m === 'state reset to the last committed checkpoint').length;
      const before = resets();
      r.k.rebalance('g');
      const reset = (): boolean => resets() > before;
      const waited = (): boolean => r.messages.some((m) => m.startsWith('stage one: the state topic does not show'));
      await r.k.until(() => reset() || waited(), WAIT_MS, 'the takeover to read the state topic');
      expect(reset()).toBe(false);
      r.k.endTransactionAt(c.topics.state, 0);
      await r.k.until(reset, WAIT_MS, 'the takeover to complete');
      r.k.produce(telemetry, parts[2], { transactional: true });
      await r.k.until(consumed(RECORDS), WAIT_MS, 'the last part');
      // EWMA and trend continued from the histories the committed offsets were written with.
      expect(stageSignals(r.k)).toEqual(expected);
    } finally {
      await r.runner.stop();
    }
  });

  test("scaled out, a checkpoint of the previous version (no histories' commit named) restores as before, and the next commits name theirs", async () => {
    const c = config(true);
    const expected = await stageSignalsOf([workload.slice(0, 40), workload.slice(40)]);
    const r = await start({ scaleOut: true });
    try {
      r.k.produce(c.topics.telemetry, workload.slice(0, 40), { transactional: true });
      await r.k.until(() => r.runner.counters().consumed === 40, WAIT_MS, 'the first half');
      // The offsets as the previous version committed them: the same, without `h`.
      const old = r.k.producer({ transactionalId: 'previous-version' });
      await old.connect();
      const tx = await old.transaction();
      const partitions = [0, 1].map((partition) => {
        const { offset, metadata } = r.k.committed('g', c.topics.telemetry, partition)!;
        const { v, next, wm } = JSON.parse(metadata!) as { v: number; next: string; wm: number | null };
        return { partition, offset, metadata: JSON.stringify({ v, next, wm }) };
      });
      await tx.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: c.topics.telemetry, partitions }] });
      await tx.commit();
      r.k.rebalance('g');
      r.k.produce(c.topics.telemetry, workload.slice(40), { transactional: true });
      await r.k.until(() => done(r), WAIT_MS, 'the second half');
      expect(r.messages.filter((m) => m.includes('does not show the histories'))).toEqual([]);
      expect(stageSignals(r.k)).toEqual(expected);
      for (const p of [0, 1])
        expect(decodeCheckpoint(r.k.committed('g', c.topics.telemetry, p)!.metadata)?.h).toBeDefined();
    } finally {
      await r.runner.stop();
    }
  });

  test('a group of the other ownership refuses this process: fatal, not replaced', async () => {
    const owner = await start();
    const fatal: unknown[] = [];
    const other = await start({ k: owner.k, scaleOut: true, onFatal: (e) => fatal.push(e) });
    try {
      await owner.k.until(() => fatal.length > 0, WAIT_MS, 'the refusal');
      expect(fatal[0]).toBeInstanceOf(DriverFatalError);
      expect((fatal[0] as Error).message).toMatch(/runner\.scaleOut off \(this one has it on\)/);
      expect(other.runner.status()).toBe('FAILED');
      expect(other.messages).not.toContain(
        'the telemetry consumer stopped for good after a non-retriable error; replacing it',
      );
      expect(owner.runner.status()).toBe('RUNNING');
    } finally {
      await other.runner.stop();
      await owner.runner.stop();
    }
  });
});
