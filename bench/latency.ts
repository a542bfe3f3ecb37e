/**
 * Command latency on the real broker: from the moment a window can close to the moment its
 * command is visible to a read_committed consumer of the actions topic.
 *
 *   npx tsx bench/latency.ts [--workers 20] [--seconds 30] [--tick 20] [--min-commands 200]
 *                            [--format avro|json] [--scale-out] [--fleet] [--no-history]
 *                            [--decision-shards D]
 *
 * --scale-out: the processor scaled out (runner.scaleOut, docs/scale-out.md) — stage one per
 * partition, then the stage topic, then stage two's policies — as one process of a group;
 * writes bench/results/latency-scale-out/<ISO time>.json instead.
 *
 * Set-up: the processor `homeostat run` runs, built by the same composition root
 * (src/compose/processor.ts: policies → signed decision engine → decision stage and verifier →
 * decision extension → control reader → createProcessorRunners, the runner and stage two when
 * scaled out; EWMA/trend histories carried on the state topic, the default), HTTP off.
 * One adaptive-timeout policy in enforce mode on queue.depth, 1 s tumbling windows,
 * allowedOutOfOrdernessMs OOO and graceMs GRACE (below); the guardrails are opened (cooldown
 * 0, no blast-radius or rate cap, circuit breaker out of the way) so that every overloaded
 * window yields commands: cuts down to the floor, then lease renewals.
 *
 * Load: every TICK ms one produce request carries one queue.depth = 120 sample (high
 * watermark 50) for each of W workers, keyed by worker (so all 3 partitions get data every
 * tick), with event time = the wall clock at the moment the record is made.
 *
 * What is measured, per command (window end E, visible at V = wall clock when a
 * read_committed kafkajs consumer of the actions topic receives the batch holding it):
 *   - latency = V − (E + OOO + GRACE). The watermark of a partition is its highest event
 *     time − OOO, the processor's watermark the minimum over partitions, and a window closes
 *     once the watermark reaches E + GRACE; with event time = wall time that is the earliest
 *     wall time at which the window can close. This includes the wait for the next tick
 *     (≤ TICK), the produce round trip, the processor's fetch, decode, windowing, policy,
 *     signing, the transaction (outputs + offsets + commit) and the watcher's fetch.
 *   - fromProduce = V − P, with P the wall time at which the first produce request whose
 *     records carry event time ≥ E + OOO + GRACE was sent: the same without the tick wait.
 *   - decided = D − (E + OOO + GRACE), D = when the decision extension handed the command to
 *     the transaction (its onOutputs hook); V − D is the transaction + visibility share.
 * Commands of the first WARMUP windows after production starts are left out (JIT warm-up,
 * the group still settling). Baseline, same run, before the processor starts: one record
 * written by a transactional producer and committed, until a read_committed consumer
 * receives it (V − send start), BASELINE_SAMPLES times — the floor of any transactional
 * output on this broker. The aim is p99 ≤ 100 ms after window close.
 * Writes bench/results/latency/<ISO time>.json.
 *
 * --fleet: stage two through the broker at a fleet's size (issue #21, item 2; docs/scale-out.md):
 * 10 s windows, each worker reports once a window (the workers are spread over the window's
 * ticks: a tick sends the next slice of them), and one worker in a hundred is overloaded in
 * each window, a different hundredth each time (queue 120; the others 5, under the low
 * watermark), as bench/stage-two.ts drives the core. Use with --scale-out (stage one, the
 * stage topic, then stage two, as a scaled-out process runs it) and --workers at the series
 * count; --tick 500 is a good spread. Writes bench/results/latency-fleet/<ISO time>.json,
 * with the process's CPU and peak RSS (the producer and the watcher run in it too).
 *
 * --decision-shards D: with --scale-out, stage two split over D decision shards and an arbiter
 * (runner.decisionShards, docs/scale-out.md "The Kafka wiring"), all in this one process (the
 * bench's); the result adds what each shard's evaluation and the arbiter's work took, per
 * window (their synchronous time on the main thread, the Kafka reads and writes aside).
 *
 * --no-history: runner.carryHistory off (no EWMA/trend state record per key and window), to
 * see what those records cost.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { loadSigningKey } from '../src/actions';
import { createRecordCodec, encodeTelemetryJson } from '../src/codec';
import { buildProcessor } from '../src/compose/processor';
import { createRegistryResolver } from '../src/kafka/registry';
import { ensureTopics, splitTopicNames, topicSpecs } from '../src/kafka/topics';
import { silentLogger } from '../src/ops/logger';
import { benchConfig, benchKafka, benchTopics, createTopics, deleteTopics, randomName, withAdmin } from './lib/kafka';
import { argFlag, argNumber, argString, quantile, round, writeResult } from './lib/results';
import { acquireServices } from './lib/services';
import { producerConfig } from '../src/kafka/client';
import type { SplitWork } from '../src/kafka/shard-extension';

const WORKERS = Math.floor(argNumber('workers', 20));
const SECONDS = argNumber('seconds', 30);
const TICK = Math.floor(argNumber('tick', 20));
const MIN_COMMANDS = Math.floor(argNumber('min-commands', 200));
const FORMAT = argString('format', 'avro') as 'avro' | 'json';
const FLEET = argFlag('fleet');
const WINDOW = FLEET ? 10_000 : 1000;
/** --fleet: one worker in OVERLOADED_EVERY is overloaded in each window; without it every worker is, always. */
const OVERLOADED_EVERY = FLEET ? 100 : 1;
const OOO = 200;
const GRACE = 100;
const WARMUP = 2;
const BASELINE_SAMPLES = 200;
const TARGET_P99_MS = 100;
const SIGNING_KEY = Buffer.alloc(32, 7);
const SCALE_OUT = argFlag('scale-out');
const CARRY_HISTORY = !argFlag('no-history');
const DECISION_SHARDS = Math.floor(argNumber('decision-shards', 0));

interface Seen {
  id: string;
  windowEnd: number;
  visibleAt: number;
  type: string;
}

/** Per shard and for the arbiter: windows and the ms their work took, in all and per window. */
function splitWork(split: { shards: { work(): SplitWork }[]; arbiter: { work(): SplitWork } } | undefined) {
  if (split === undefined) return null;
  const of = (w: SplitWork) => ({
    windows: w.windows,
    ms: round(w.ms, 1),
    msPerWindow: round(w.ms / Math.max(1, w.windows), 1),
  });
  return { shards: split.shards.map((s) => of(s.work())), arbiter: of(split.arbiter.work()) };
}

function stats(xs: number[]): { n: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: round(quantile(s, 0.5), 1),
    p90: round(quantile(s, 0.9), 1),
    p99: round(quantile(s, 0.99), 1),
    max: round(s[s.length - 1] ?? NaN, 1),
    mean: round(s.reduce((a, x) => a + x, 0) / Math.max(1, s.length), 1),
  };
}

/** A read_committed consumer from the start of `topic`; `onBatch` gets the wall time of arrival first. */
async function watch(
  kafka: Kafka,
  topic: string,
  onBatch: (at: number, values: Buffer[]) => void | Promise<void>,
): Promise<Consumer> {
  const consumer = kafka.consumer({
    groupId: randomName('bench-watch'),
    readUncommitted: false,
    maxWaitTimeInMs: 1000,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const at = performance.timeOrigin + performance.now();
      await onBatch(
        at,
        batch.messages.map((m) => m.value!),
      );
    },
  });
  return consumer;
}

/** Kafka's floor for a transactional output: one record, commit, until a read_committed consumer has it. */
async function baseline(kafka: Kafka, topic: string): Promise<number[]> {
  const arrivals = new Map<string, number>();
  const consumer = await watch(kafka, topic, (at, values) => {
    for (const v of values) arrivals.set(v.toString(), at);
  });
  const producer = kafka.producer(
    producerConfig({ transactionalId: randomName('bench-baseline-tx'), idempotent: true, maxInFlightRequests: 1 }),
  );
  await producer.connect();
  const out: number[] = [];
  try {
    // Wait until the watcher is joined and fetching: a first probe that arrives.
    for (let i = -20; i < BASELINE_SAMPLES; i++) {
      const id = `probe-${i}`;
      const sent = performance.timeOrigin + performance.now();
      const tx = await producer.transaction();
      await tx.send({ topic, messages: [{ key: id, value: id }] });
      await tx.commit();
      const deadline = Date.now() + 10_000;
      while (!arrivals.has(id) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      const at = arrivals.get(id);
      if (at === undefined) throw new Error(`baseline probe ${id} never became visible`);
      if (i >= 0) out.push(at - sent);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await producer.disconnect();
    await consumer.disconnect();
  }
  return out;
}

/** The workers that report at wall time `ts`: all of them every tick, or with --fleet the tick's slice of the window. */
function reportingWorkers(ts: number): Iterable<number> {
  const ticks = FLEET ? Math.max(1, Math.floor(WINDOW / TICK)) : 1;
  const slice = Math.floor(ts / TICK) % ticks;
  const from = Math.floor((slice * WORKERS) / ticks);
  const to = Math.floor(((slice + 1) * WORKERS) / ticks);
  return {
    *[Symbol.iterator]() {
      for (let w = from; w < to; w++) yield w;
    },
  };
}

/** Whether worker `w` is overloaded in the window holding `ts`: a different 1/OVERLOADED_EVERY of them each window. */
function overloaded(w: number, ts: number): boolean {
  return (w + Math.floor(ts / WINDOW)) % OVERLOADED_EVERY === 0;
}

async function main(): Promise<void> {
  const services = acquireServices();
  const kafka = benchKafka(services.brokers);
  const prefix = randomName('bench-latency');
  const topics = benchTopics(prefix);
  const probeTopic = `${prefix}.probe`;
  const config = benchConfig(services.brokers, services.registryUrl, topics, {
    topics: { telemetryPartitions: 3 },
    engine: { window: { sizeMs: WINDOW, graceMs: GRACE }, allowedOutOfOrdernessMs: OOO, idleAfterMs: 5000 },
    actions: { format: FORMAT },
    runner: { scaleOut: SCALE_OUT, carryHistory: CARRY_HISTORY, decisionShards: DECISION_SHARDS },
    mode: 'enforce',
    signing: { keyId: 'bench' },
    policies: [
      {
        name: 'timeouts',
        type: 'adaptive-timeout',
        mode: 'enforce',
        select: { metric: 'queue.depth' },
        parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 }, defaultTimeoutMs: 8000, overloadWindows: 1 },
      },
    ],
    guardrails: {
      minConsecutiveWindows: 1,
      cooldownWindows: 0,
      rateLimit: { burst: 100_000, perWindow: 100_000 },
      blastRadius: { fraction: 1 },
      circuitBreaker: { maxActionsWithoutRecovery: 100_000 },
      global: { rateLimit: { burst: 100_000, perWindow: 100_000 } },
    },
  });
  const split = splitTopicNames(topics.stage, DECISION_SHARDS);
  const created = [
    ...Object.values(topics),
    probeTopic,
    ...(DECISION_SHARDS > 0 ? [...split.shards, split.arbiter] : []),
  ];
  const runnerHolder: { stop?: () => Promise<void> } = {};
  let watcher: Consumer | undefined;
  try {
    await withAdmin(kafka, (admin) => ensureTopics(admin, topicSpecs(config.topics, DECISION_SHARDS)));
    await createTopics(kafka, [{ topic: probeTopic, partitions: 1 }]);

    const base = await baseline(kafka, probeTopic);
    const baseStats = stats(base);
    console.log(
      `baseline: transactional produce → read_committed consumer  p50 ${baseStats.p50} ms  p99 ${baseStats.p99} ms  (n=${baseStats.n})`,
    );

    // The processor as `homeostat run` builds it (src/compose/processor.ts); the bench config turns HTTP off.
    const decidedAt = new Map<string, number>();
    const processor = await buildProcessor(config, {
      logger: silentLogger(),
      signing: loadSigningKey({
        keyId: config.signing.keyId,
        env: { HOMEOSTAT_SIGNING_KEY: `base64:${SIGNING_KEY.toString('base64')}` },
      }),
      onOutputs: (_finals, commands) => {
        const now = performance.timeOrigin + performance.now();
        for (const c of commands) decidedAt.set(c.id, now);
      },
    });
    const resolver = createRegistryResolver(config.registry);

    const seen: Seen[] = [];
    const decoder = createRecordCodec('command').createDecoder({ resolver });
    watcher = await watch(kafka, config.topics.actions, async (at, values) => {
      for (const v of values) {
        const c = await decoder.decode(v);
        seen.push({ id: c.id, windowEnd: c.windowEnd, visibleAt: at, type: c.type });
      }
    });

    const { runner } = processor;
    runnerHolder.stop = () => processor.stop();
    await processor.start();
    const readyBy = Date.now() + 30_000;
    while (!runner.ready() && Date.now() < readyBy) await new Promise((r) => setTimeout(r, 50));

    // Live telemetry: event time = wall time.
    const producer = kafka.producer(producerConfig({ allowAutoTopicCreation: false }));
    await producer.connect();
    const sends: { at: number; ts: number }[] = [];
    const started = Date.now();
    const cpuBefore = process.cpuUsage();
    let maxRss = 0;
    const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 500);
    const firstWindowEnd = Math.floor(started / WINDOW) * WINDOW + WINDOW;
    const measuredFrom = firstWindowEnd + WARMUP * WINDOW;
    const measured = () => seen.filter((s) => s.windowEnd > measuredFrom).length;
    try {
      let next = performance.now();
      while (
        Date.now() - started < SECONDS * 1000 ||
        (measured() < MIN_COMMANDS && Date.now() - started < 4 * SECONDS * 1000)
      ) {
        const ts = Date.now();
        const messages = [];
        for (const w of reportingWorkers(ts)) {
          const source = `worker-${w}`;
          const value = overloaded(w, ts) ? 120 : 5;
          messages.push({
            key: source,
            value: encodeTelemetryJson({ ts, source, metric: 'queue.depth', value, tags: { role: 'worker' } }),
          });
        }
        sends.push({ at: performance.timeOrigin + performance.now(), ts });
        await producer.send({ topic: config.topics.telemetry, messages });
        next += TICK;
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    } finally {
      await producer.disconnect();
    }
    // Let the last windows' commands arrive.
    await new Promise((r) => setTimeout(r, WINDOW + OOO + GRACE + 1000));
    await processor.stop();
    runnerHolder.stop = undefined;
    clearInterval(rssTimer);
    const cpu = process.cpuUsage(cpuBefore);
    const counters = runner.counters();

    const rows = seen.filter(
      (s) => s.windowEnd > measuredFrom && s.windowEnd + OOO + GRACE < sends[sends.length - 1].ts,
    );
    const latency: number[] = [];
    const fromProduce: number[] = [];
    const decided: number[] = [];
    const txShare: number[] = [];
    const perWindow = new Map<number, number>();
    for (const r of rows) {
      const due = r.windowEnd + OOO + GRACE;
      latency.push(r.visibleAt - due);
      const first = sends.find((s) => s.ts >= due);
      if (first) fromProduce.push(r.visibleAt - first.at);
      const d = decidedAt.get(r.id);
      if (d !== undefined) {
        decided.push(d - due);
        txShare.push(r.visibleAt - d);
      }
      perWindow.set(r.windowEnd, Math.max(perWindow.get(r.windowEnd) ?? -Infinity, r.visibleAt - due));
    }
    const ids = new Set(seen.map((s) => s.id));
    const result = {
      workers: WORKERS,
      tickMs: TICK,
      windowMs: WINDOW,
      allowedOutOfOrdernessMs: OOO,
      graceMs: GRACE,
      format: FORMAT,
      scaleOut: SCALE_OUT,
      decisionShards: DECISION_SHARDS,
      splitWork: splitWork(processor.split),
      // The shards build, hash and sign their commands (the second hop); results without it: the arbiter did.
      splitBuildsInShards: DECISION_SHARDS > 0 ? true : null,
      carryHistory: CARRY_HISTORY,
      fleet: FLEET ? { overloadedEvery: OVERLOADED_EVERY, reportsPerWorkerPerWindow: 1 } : null,
      process: { cpuSeconds: round((cpu.user + cpu.system) / 1e6, 1), maxRssMiB: round(maxRss / 2 ** 20, 1) },
      seconds: round((Date.now() - started) / 1000, 1),
      commands: rows.length,
      windows: perWindow.size,
      duplicateCommandIds: seen.length - ids.size,
      commandTypes: Object.fromEntries(
        [...new Set(rows.map((r) => r.type))].map((t) => [t, rows.filter((r) => r.type === t).length]),
      ),
      definition:
        'latency = visible to a read_committed consumer − (windowEnd + allowedOutOfOrdernessMs + graceMs); ms',
      latencyMs: stats(latency),
      fromProduceMs: stats(fromProduce),
      closeToDecidedMs: stats(decided),
      decidedToVisibleMs: stats(txShare),
      perWindowWorstMs: stats([...perWindow.values()]),
      baselineTransactionalVisibleMs: baseStats,
      ratioP99VsBaseline: round(stats(latency).p99 / baseStats.p99, 2),
      target: { p99Ms: TARGET_P99_MS, met: stats(latency).p99 <= TARGET_P99_MS },
      runner: counters,
    };
    const l = result.latencyMs;
    console.log(
      `command latency after window close (n=${l.n} commands over ${result.windows} windows, ${WORKERS} workers): p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  max ${l.max} ms\n` +
        `  from the produce of the closing record: p50 ${result.fromProduceMs.p50}  p99 ${result.fromProduceMs.p99} ms\n` +
        `  close → decided: p50 ${result.closeToDecidedMs.p50}  p99 ${result.closeToDecidedMs.p99} ms;  decided → visible: p50 ${result.decidedToVisibleMs.p50}  p99 ${result.decidedToVisibleMs.p99} ms\n` +
        `  baseline (one transactional record → visible): p50 ${baseStats.p50}  p99 ${baseStats.p99} ms;  ratio p99 / baseline p99 = ${result.ratioP99VsBaseline}\n` +
        `  target p99 ≤ ${TARGET_P99_MS} ms: ${result.target.met ? 'met' : 'NOT met'}; duplicate command ids: ${result.duplicateCommandIds}`,
    );
    if (rows.length < MIN_COMMANDS)
      console.log(`warning: only ${rows.length} commands measured (wanted ${MIN_COMMANDS})`);
    console.log(`wrote ${writeResult(FLEET ? 'latency-fleet' : SCALE_OUT ? 'latency-scale-out' : 'latency', result)}`);
  } finally {
    await runnerHolder.stop?.().catch(() => undefined);
    await watcher?.disconnect().catch(() => undefined);
    await deleteTopics(kafka, created).catch((err: unknown) =>
      console.error(`could not delete the bench topics: ${(err as Error).message}`),
    );
    services.release();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
