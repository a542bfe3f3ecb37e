/**
 * One scenario through the real topics, in lockstep with simulated time.
 *
 * The simulation is discrete (one telemetry flush per simulated second) and Kafka runs on
 * the wall clock, so the two are stepped together. For each flush time t:
 *   1. the simulated system advances to t (its telemetry for (t − 1 s, t]);
 *   2. the executor's clock is set to t and lapsed leases are reverted (as the in-process
 *      executor model does at the start of a flush);
 *   3. the telemetry is produced to the run's telemetry topic (acks=all);
 *   4. wait until the processor has consumed all of it *and committed*: the runner's
 *      counters move only with committed transactions, and a batch's commands are in the
 *      same transaction as its offsets, so at that point every command the flush caused is
 *      on the actions topic, visible to read_committed consumers;
 *   5. wait until the executor SDK has read and handled (committed a result for) every
 *      command the processor has issued so far; its applies changed the simulated system
 *      at time t;
 * and only then the next second. The simulated system therefore sees commands at the same
 * simulated time as in-process, and the run gives the same figures and command ids — the
 * transport adds wall-clock latency, never simulated latency.
 */
import { ephemeralSigningKey, keyringFor, type SigningKey } from '../actions';
import type { ActionStatus } from '../codec';
import { HomeostatError, describeError } from '../errors';
import { createKafka, explainKafkaError } from '../kafka/client';
import { ensureTopics, topicSpecs } from '../kafka/topics';
import { loadConfig, type HomeostatConfig } from '../config/homeostat-config';
import type { Logger } from '../ops/logger';
import { flushTimes, type LoopRecord, type PreparedScenario, type ScenarioResult } from '../sim';
import { createDemoExecutor, createSimClock } from './executor';
import { createDemoProcessor, type DemoProcessor } from './processor';
import { createTelemetrySender } from './telemetry';
import { deleteRunSubjects } from './subjects';
import { deleteRunResources, demoNames, type DemoNames } from './topics';

export interface KafkaRunOptions {
  brokers: readonly string[];
  /** Schema Registry URL: telemetry, commands and results as Avro. Unset: JSON. */
  registry?: string;
  prefix: string;
  runId: string;
  /** Leave the run's topics, groups (and schema subjects) on the cluster, to inspect them. */
  keepTopics?: boolean;
  logger: Logger;
  /** Called after every simulated second. */
  onProgress?(p: KafkaProgress): void;
  /** Longest wait for one step of the lockstep (the processor or the executor catching up). Default 60 s. */
  stepTimeoutMs?: number;
  /** The processor's signing key (the executor trusts it alone). Default: a random key of this run. */
  signing?: SigningKey;
  /** Aborting stops the run at the next simulated second (and still deletes its topics). */
  signal?: AbortSignal;
}

export interface KafkaProgress {
  scenario: PreparedScenario['scenario'];
  /** Simulated seconds done, of `seconds`. */
  second: number;
  seconds: number;
  records: number;
  commands: number;
  wallMs: number;
}

export interface KafkaRunStats {
  names: DemoNames;
  /** Telemetry records produced (and consumed by the processor). */
  records: number;
  /** Commands the processor committed to the actions topic. */
  commands: number;
  /** What the executor SDK reported to the action-results topic, by status. */
  executor: Readonly<Record<ActionStatus, number>>;
  /** Processor transactions committed. */
  transactions: number;
  wallMs: number;
  /** False with keepTopics (or when deleting failed: see `cleanupError`). */
  deleted: boolean;
  /** Schema subjects deleted with the topics (Avro runs). */
  subjectsDeleted: number;
  cleanupError?: string;
}

const POLL_MS = 2;

async function until(done: () => boolean, timeoutMs: number, explain: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new HomeostatError('TIMEOUT', explain(), { retriable: true });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The processor's configuration for the run: the scenario's homeostat side on the run's own topics. */
export function demoConfig(
  prepared: PreparedScenario,
  names: DemoNames,
  opts: Pick<KafkaRunOptions, 'brokers' | 'registry'>,
): HomeostatConfig {
  return loadConfig({
    brokers: opts.brokers.join(','),
    registry: opts.registry,
    // Only the flags: a KAFKA_BROKERS of the environment must not redirect a demo run.
    env: {},
    overrides: {
      kafka: {
        clientId: 'homeostat-demo',
        groupId: names.processorGroup,
        transactionalIdPrefix: names.processorTransactionalId,
      },
      // One actions partition: the executor reads commands in the order they were decided.
      topics: { ...names.topics, telemetryPartitions: prepared.loop.partitions, partitions: 1 },
      engine: prepared.loop.engine,
      policies: prepared.loop.policies,
      guardrails: prepared.loop.guardrails,
      mode: prepared.loop.mode,
      actions: { format: opts.registry ? 'avro' : 'json' },
      http: { enabled: false },
      // A demo run never restarts: carried EWMA/trend histories would only cost state records.
      runner: { carryHistory: false },
    },
  });
}

/** The run's record, as the in-process loop records it. */
function loopRecord(
  processor: DemoProcessor,
  executor: ReturnType<typeof createDemoExecutor>,
  recordsEmitted: number,
): LoopRecord {
  return {
    executor: { events: () => executor.events() },
    finals: () => processor.finals(),
    commands: () => processor.commands(),
    decisions: () => processor.decisions(),
    counters: () => ({
      ...processor.runner.processor()!.counters(),
      recordsEmitted,
      windowsDecided: processor.windowsDecided(),
    }),
  };
}

/** What one simulated second of the lockstep works with. */
interface Lockstep {
  prepared: PreparedScenario;
  opts: KafkaRunOptions;
  names: DemoNames;
  stepTimeoutMs: number;
  clock: ReturnType<typeof createSimClock>;
  executor: ReturnType<typeof createDemoExecutor>;
  sender: Awaited<ReturnType<typeof createTelemetrySender>>;
  runner: DemoProcessor['runner'];
  /** Distinct commands the processor has issued so far. */
  issued(): number;
}

/** Steps 1–5 of the lockstep (see the header) for flush time `t`; says how many commands are issued by then. */
async function advanceOneSecond(l: Lockstep, t: number, second: number): Promise<number> {
  const { prepared, runner, executor, sender, names, stepTimeoutMs } = l;
  if (l.opts.signal?.aborted)
    throw new HomeostatError('INVALID_STATE', `interrupted at simulated second ${second} of ${prepared.scenario}`);
  const records = prepared.advance(t);
  l.clock.set(t);
  await executor.lapse();
  await sender.send(records);
  await until(
    () => runner.counters().consumed >= sender.sent(),
    stepTimeoutMs,
    () =>
      `the processor committed ${runner.counters().consumed} of the ${sender.sent()} telemetry records sent to ` +
      `${names.topics.telemetry} within ${stepTimeoutMs} ms (status ${runner.status()}); see its log lines above`,
  );
  // A batch that failed and was replayed would be observed twice: the record would no longer be the run's.
  if (runner.counters().restored > 0) {
    throw new HomeostatError(
      'INVALID_STATE',
      `the processor rebuilt its state after a failed transaction at simulated second ${second + 1}; the demo's ` +
        `record of this run would count that batch twice. Run the demo again (a broker restart or overload causes this)`,
    );
  }
  const expected = l.issued();
  await until(
    () => executor.handled() >= expected,
    stepTimeoutMs,
    () =>
      `the executor handled ${executor.handled()} of the ${expected} commands on ${names.topics.actions} within ` +
      `${stepTimeoutMs} ms (status ${executor.sdk.status()}); see its log lines above`,
  );
  return expected;
}

export async function runThroughKafka(
  prepared: PreparedScenario,
  opts: KafkaRunOptions,
): Promise<{ result: ScenarioResult; stats: KafkaRunStats }> {
  const started = Date.now();
  const names = demoNames(opts.prefix, opts.runId, prepared.scenario);
  const config = demoConfig(prepared, names, opts);
  const { logger } = opts;
  const stepTimeoutMs = opts.stepTimeoutMs ?? 60_000;
  const kafka = createKafka(config.kafka, logger);
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    throw explainKafkaError(err, config.kafka.brokers);
  }
  // A key of this run only: the executor trusts nothing else, and nothing else trusts it.
  const signing = opts.signing ?? ephemeralSigningKey(`demo-${opts.runId}`);
  const clock = createSimClock(prepared.startMs);
  const stops: (() => Promise<unknown>)[] = [];
  let stats: KafkaRunStats | undefined;
  try {
    try {
      await ensureTopics(admin, topicSpecs(config.topics));
    } catch (err) {
      throw explainKafkaError(err, config.kafka.brokers);
    }
    const processor = await createDemoProcessor(config, signing, logger);
    const executor = createDemoExecutor({
      prepared,
      names,
      kafka: config.kafka,
      registry: opts.registry ? config.registry : undefined,
      keyring: keyringFor(signing),
      clock,
      logger,
    });
    stops.push(() => processor.stop());
    await processor.start();
    stops.push(() => executor.sdk.stop());
    await executor.sdk.start();
    const sender = await createTelemetrySender(
      kafka,
      names.topics.telemetry,
      prepared.loop.partitions,
      opts.registry ? config.registry : undefined,
    );
    stops.push(() => sender.close());
    const runner = processor.runner;
    await until(
      () => runner.ready() && executor.sdk.ready(),
      stepTimeoutMs,
      () =>
        `the demo's processor (${runner.status()}) or executor (${executor.sdk.status()}) did not join its consumer ` +
        `group on ${config.kafka.brokers.join(',')} within ${stepTimeoutMs} ms; is the broker overloaded?`,
    );

    const commandIds = new Set<string>();
    let seen = 0;
    const issued = (): number => {
      const all = processor.commands();
      for (; seen < all.length; seen++) commandIds.add(all[seen].id);
      return commandIds.size;
    };
    const step: Lockstep = { prepared, opts, names, stepTimeoutMs, clock, executor, sender, runner, issued };
    let second = 0;
    for (const t of flushTimes(prepared)) {
      const commands = await advanceOneSecond(step, t, second);
      second++;
      opts.onProgress?.({
        scenario: prepared.scenario,
        second,
        seconds: prepared.seconds,
        records: sender.sent(),
        commands,
        wallMs: Date.now() - started,
      });
    }
    const result = prepared.finish(loopRecord(processor, executor, sender.sent()));
    stats = {
      names,
      records: sender.sent(),
      commands: issued(),
      executor: executor.sdk.counts(),
      transactions: runner.counters().transactions,
      wallMs: 0,
      deleted: false,
      subjectsDeleted: 0,
    };
    return { result, stats };
  } finally {
    for (const stop of stops.reverse())
      await stop().catch((err: unknown) => logger.warn({ err: describeError(err) }, 'stopping a demo client failed'));
    if (!opts.keepTopics) {
      try {
        await deleteRunResources(admin, names);
        const subjects = opts.registry ? await deleteRunSubjects(config.registry, names.base) : [];
        if (stats) {
          stats.deleted = true;
          stats.subjectsDeleted = subjects.length;
        }
      } catch (err) {
        if (stats) stats.cleanupError = describeError(err);
        logger.warn({ err: describeError(err) }, 'deleting the demo topics failed');
      }
    }
    await admin.disconnect().catch(() => undefined);
    if (stats) stats.wallMs = Date.now() - started;
  }
}
