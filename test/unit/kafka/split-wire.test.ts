/**
 * The wire form of a shard's window (split-protocol.ts, SPLIT_WIRE_VERSION 2): a candidate's
 * leases cross as their families, and the arbiter reads back the same lease keys the shard
 * holds; a report, a shard's checkpoint or an arbiter's checkpoint holding a window of another
 * version is refused with the reason — a report dead-lettered and counted — never misread.
 */
import pino from 'pino';
import { T0, WINDOW_MS, benchEngineOptions, benchFinal } from '../../../bench/lib/stage-two-setup';
import { leaseKey } from '../../../src/actions/leases';
import { createArbiterExtension } from '../../../src/kafka/arbiter-extension';
import { arbiterCheckpointRecords, readArbiterCheckpoint } from '../../../src/kafka/arbiter-checkpoint';
import { DLQ_HEADERS } from '../../../src/kafka/dlq';
import { checkpointRecords, readCheckpoint } from '../../../src/kafka/split-checkpoint';
import { decodeSplitRecord } from '../../../src/kafka/split-records';
import { createMetrics } from '../../../src/ops/metrics';
import { createDecisionEngine, setupOf } from '../../../src/policies/engine';
import {
  fromWire,
  SPLIT_WIRE_VERSION,
  toWire,
  type ShardReport,
  type WireWindow,
} from '../../../src/pipeline/split-protocol';
import { createDecisionShard } from '../../../src/pipeline/shard-stage';
import { createSplitShard, frameOf } from '../../../src/pipeline/split-shard';
import { DLQ, dlqOf, record, SHARDS, splitFleet } from './split-fleet';

/** Two windows of overloaded workers (bench/lib/stage-two-setup.ts), the first's candidates all passed: the second renews their leases. */
function windowWithLeases() {
  const setup = setupOf(benchEngineOptions(null));
  const shard = createDecisionShard(setup, () => true, createDecisionEngine(benchEngineOptions(null)).init());
  const finals = (w: number) =>
    [...Array(20).keys()].map((i) => benchFinal(`worker-${i}`, T0 + w * WINDOW_MS, i % 2 === 0 ? 80 : 5, [0]));
  const frame = (w: number) => frameOf({ end: T0 + (w + 1) * WINDOW_MS, minStart: T0 + w * WINDOW_MS }, null)!;
  const first = shard.onWindow(frame(0), () => finals(0));
  const verdicts = first.candidates.map((c, index) => ({
    index,
    verdict: { ok: true as const, mode: 'enforce' as const, candidate: c.pc.cand, notes: [], group: null },
  }));
  shard.settle({ lastChange: new Map(), breakers: new Map(), verdicts });
  return { setup, window: shard.onWindow(frame(1), () => finals(1)) };
}

test('a candidate’s leases cross as their families and come back as the same lease keys', () => {
  const { setup, window } = windowWithLeases();
  const wire = JSON.parse(JSON.stringify(toWire(window))) as WireWindow;
  expect(wire.wire).toBe(SPLIT_WIRE_VERSION);
  expect(wire.candidates.every((c) => !('leases' in c))).toBe(true);
  const back = fromWire(setup, wire);
  const keys = (w: typeof window) =>
    w.candidates.map((c) => c.leases.map((l) => leaseKey(l.policy, l.target, l.family)));
  expect(keys(back)).toEqual(keys(window));
  expect(keys(window).flat().length).toBeGreaterThan(0);
  expect(back.candidates.map((c) => c.pc.cand)).toEqual(window.candidates.map((c) => c.pc.cand));
});

/** Shard 0 of the fleet, as its driver starts it. */
function firstShard(f: ReturnType<typeof splitFleet>): ReturnType<typeof createSplitShard> {
  return createSplitShard({
    setup: f.setup,
    plan: f.plan,
    index: 0,
    verifier: f.verifier.config,
    init: f.start.shards[0],
  });
}

/** Shard 0's report of the fleet's window, its window written as `version` would (1: whole leases, no `wire`). */
function reportOf(version: number | undefined): ShardReport {
  const f = splitFleet();
  const shard = firstShard(f);
  const r = shard.window(f.summary, f.finalsFor(0));
  const { wire: _wire, ...rest } = r.window!;
  return { ...r, window: (version === undefined ? rest : { ...rest, wire: version }) as WireWindow };
}

test('a report of another wire version is refused with the reason; one without a window (skipped) is taken', () => {
  for (const [version, named] of [
    [undefined, 1],
    [1, 1],
    [3, 3],
  ] as const) {
    const got = decodeSplitRecord(record(reportOf(version), 'report'), ['report']);
    expect(got).toEqual({
      error: `a shard's window of wire version ${named}, this version reads ${SPLIT_WIRE_VERSION}: every process of a split group must run one version`,
    });
  }
  expect(decodeSplitRecord(record(reportOf(SPLIT_WIRE_VERSION), 'report'), ['report'])).toMatchObject({
    kind: 'report',
  });
  expect(
    decodeSplitRecord(record({ ...reportOf(SPLIT_WIRE_VERSION), window: null }, 'report'), ['report']),
  ).toMatchObject({
    kind: 'report',
    window: null,
  });
});

test('the arbiter dead-letters a report of another wire version, counted, and judges nothing from it', async () => {
  const f = splitFleet();
  const metrics = createMetrics();
  const arbiter = await createArbiterExtension({
    setup: f.setup,
    plan: f.plan,
    deps: f.deps,
    verifier: f.verifier,
    signing: f.opts.signing,
    init: JSON.parse(JSON.stringify(f.start.arbiter)) as typeof f.start.arbiter,
    shardTopics: SHARDS,
    topics: { actions: 't.actions', decisions: 't.decisions', outcomes: 't.outcomes', state: 't.state' },
    format: 'json',
    stateKey: 'split/g/arbiter',
    dlq: { topic: DLQ, maxMessageBytes: 1_048_576, source: 't.arbiter' },
    logger: pino({ level: 'silent' }),
    metrics,
  });
  expect(arbiter.onRecord!(record(reportOf(1), 'report'), false)).toBe(true);
  const pending = arbiter.takePending();
  const dead = dlqOf(pending);
  expect(dead.map((m) => m.headers?.[DLQ_HEADERS.message]?.toString())).toEqual([
    expect.stringMatching(/wire version 1, this version reads 2/) as unknown as string,
  ]);
  expect(arbiter.refused()).toBe(1);
  expect((await metrics.splitRefused.get()).values.find((v) => v.labels.part === 'arbiter')?.value).toBe(1);
  expect(pending.filter((t) => SHARDS.includes(t.topic))).toHaveLength(0);
});

test('a shard’s checkpoint whose reported window is of another wire version is refused, never restored', () => {
  const f = splitFleet();
  const shard = firstShard(f);
  shard.window(f.summary, f.finalsFor(0));
  const cp = shard.checkpoint();
  expect(cp.building).not.toBeNull();
  const o = () => ({ inForce: 0, metaInForce: 0, maxInflatedBytes: 2 ** 28 });
  const stored = (records: ReturnType<typeof checkpointRecords>) =>
    new Map(records.map((r) => [String(r.key), r.value as Buffer]));
  const key = 'split/g/shard-0';
  expect(readCheckpoint(key, 2, stored(checkpointRecords(key, 2, cp, o())), 2 ** 28)).toHaveProperty('checkpoint');
  const { wire: _wire, ...old } = cp.building!.window;
  const oldCp = { ...cp, building: { ...cp.building!, window: old as WireWindow } };
  expect(readCheckpoint(key, 2, stored(checkpointRecords(key, 2, oldCp, o())), 2 ** 28)).toMatchObject({
    error: expect.stringMatching(/^its reported window: a shard's window of wire version 1, this version reads 2/),
  });
});

test('an arbiter’s checkpoint holding a report of another wire version is refused, never restored', () => {
  const f = splitFleet();
  const key = 'split/g/arbiter';
  const withReport = (r: ShardReport) => ({ ...f.start.arbiter, reports: [r, null] });
  const stored = (cp: typeof f.start.arbiter) =>
    new Map(arbiterCheckpointRecords(key, 2, cp, { inForce: 0 }).map((r) => [String(r.key), r.value as Buffer]));
  expect(readArbiterCheckpoint(key, 2, stored(withReport(reportOf(SPLIT_WIRE_VERSION))))).toHaveProperty('checkpoint');
  expect(readArbiterCheckpoint(key, 2, stored(withReport(reportOf(1))))).toMatchObject({
    error: expect.stringMatching(/^a report it holds: a shard's window of wire version 1, this version reads 2/),
  });
});

test('an arbiter’s checkpoint is read with its exclusions counted again, whatever count it stores', () => {
  const f = splitFleet();
  const key = 'split/g/arbiter';
  const own = f.start.arbiter.own;
  const excluded = { ...own.control.excluded, 'timeouts\u0000worker-1': true as const };
  const cp = { ...f.start.arbiter, own: { ...own, control: { ...own.control, excluded, excludedCount: 0 } } };
  const stored = new Map(
    arbiterCheckpointRecords(key, 2, cp, { inForce: 0 }).map((r) => [String(r.key), r.value as Buffer]),
  );
  const read = readArbiterCheckpoint(key, 2, stored);
  expect(read).toHaveProperty('checkpoint');
  expect(read && 'checkpoint' in read && read.checkpoint.own.control.excludedCount).toBe(1);
});
