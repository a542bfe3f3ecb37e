/**
 * Throughput as processes are added to a group (runner.scaleOut), against a single-owner
 * process over the same topic in the same run.
 *
 *   npx tsx bench/scale-out.ts [--n 1000000] [--series 10000] [--processes 1,2] [--no-build] [--keep-logs]
 *                              [--profile <dir>]
 *
 * Pre-produces N JSON telemetry records to a random 4-partition topic (the pipeline bench's
 * fleet: 10k series, ≤ 500 ms disorder), then for each phase starts `homeostat run` processes
 * (bin/homeostat.js, built first unless --no-build) in a new group with new output topics. The
 * processes start together, but the group settles only once each has rejoined (up to a
 * heartbeat interval, 500 ms here), and the first to join starts reading at once; so the rate
 * is taken from the moment every process has its partitions — counting the records the
 * committed checkpoints say were handled by then — until every record is handled: stage
 * one's checkpoints at the telemetry's end and, scaled out, stage two's at the stage topic's
 * end. Phases:
 *   single:   one process, single owner (the default) — the baseline;
 *   shared-k: k processes sharing the partitions, stage two in one of them.
 * Prints events/s and ratios to the baseline. The broker runs on the same machine and the
 * processes compete with it for the cores: `cores` in the result says how many there were.
 * Writes bench/results/scale-out/<ISO time>.json. Deletes the topics it created.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Kafka } from 'kafkajs';
import { decodeCheckpoint } from '../src/kafka/checkpoint-meta';
import { encodeTelemetryJson } from '../src/codec';
import { benchKafka, benchTopics, createTopics, deleteTopics, produceBulk, randomName, withAdmin } from './lib/kafka';
import { argFlag, argNumber, argString, perSec, round, writeResult } from './lib/results';
import { acquireServices } from './lib/services';
import { createFleet } from './lib/telemetry';
import { brokerPid, procCpuMs } from './lib/cpu';

const N = Math.floor(argNumber('n', 1_000_000));
const SERIES = Math.floor(argNumber('series', 10_000));
const PROCESSES = argString('processes', '1,2')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((k) => Number.isInteger(k) && k > 0);
/** Write a CPU profile of every `homeostat run` process under <dir>/<phase>/. */
const PROFILE_DIR = argString('profile', '');
const PARTITIONS = 4;
const T0 = Date.UTC(2026, 0, 1);
const PHASE_TIMEOUT_MS = 240_000;
const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'homeostat.js');

interface PhaseResult {
  name: string;
  processes: number;
  scaleOut: boolean;
  ms: number;
  /** Until the telemetry was all handled (scaled out: stage two may still be at work then). */
  stageOneMs: number;
  /** Records already handled when the group settled (read by the first process to join). */
  handledBefore: number;
  eventsPerSec: number;
  /** CPU ms of the homeostat processes (together) and of the broker over the timed span. */
  cpuMs: { processes: number; broker: number };
  /** Records per CPU-second of the homeostat processes: what adding a process on a free core adds. */
  eventsPerCpuSec: number;
  /** Partitions per process once the group settled. */
  split: number[][];
  ratioToSingle?: number;
}

/** True once the group's committed checkpoints say every record of `topic` was handled (`transactional`: its last offset is a commit marker). */
async function caughtUp(kafka: Kafka, groupId: string, topic: string, transactional: boolean): Promise<boolean> {
  return withAdmin(kafka, async (admin) => {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    return ends.every((e) => {
      const next = decodeCheckpoint(entry?.partitions.find((x) => x.partition === e.partition)?.metadata)?.next;
      return e.high === '0' || (next !== undefined && BigInt(next) + (transactional ? 1n : 0n) >= BigInt(e.high));
    });
  }).catch(() => false);
}

/** Records handled so far by the group, from its committed checkpoints. */
async function handled(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? []).reduce((n, po) => n + Number(decodeCheckpoint(po.metadata)?.next ?? 0), 0);
  });
}

function assignedIn(log: string): number[] | undefined {
  let last: number[] | undefined;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line.includes('"partitions assigned"') && !line.includes('"no partitions for this process')) continue;
    try {
      last = (JSON.parse(line) as { assigned?: number[] }).assigned ?? [];
    } catch {
      // a line being written
    }
  }
  return last;
}

async function waitUntil(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await exited;
}

async function phase(
  kafka: Kafka,
  brokers: string[],
  dir: string,
  telemetry: string,
  k: number,
  scaleOut: boolean,
  created: string[],
): Promise<PhaseResult> {
  const name = scaleOut ? `shared-${k}` : 'single';
  const topics = { ...benchTopics(randomName(`bench-so-${name}`)), telemetry };
  created.push(...Object.values(topics).filter((t) => t !== telemetry));
  const groupId = randomName('bench-so-group');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      kafka: { brokers, groupId, transactionalIdPrefix: randomName('bench-so-tx'), heartbeatIntervalMs: 500 },
      topics: { ...topics, telemetryPartitions: PARTITIONS },
      actions: { format: 'json' },
      http: { enabled: false },
      runner: { scaleOut, logIntervalMs: 60_000 },
    }),
  );
  const logs = [...Array(k).keys()].map((i) => join(dir, `${name}-${i}.log`));
  const children = logs.map((log, i) =>
    spawn(
      process.execPath,
      [
        ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, name)}`] : []),
        BIN,
        'run',
        '--config',
        file,
        '--instance',
        String(i),
      ],
      {
        stdio: ['ignore', openSync(log, 'w'), openSync(log, 'a')],
        env: { ...process.env, HOMEOSTAT_LOG_LEVEL: 'info' },
      },
    ),
  );
  try {
    let split: number[][] = [];
    await waitUntil(
      `${name}: partitions assigned`,
      () => {
        split = logs.map((l) => assignedIn(l) ?? []);
        const all = split.flat().sort((a, b) => a - b);
        return (
          all.length === PARTITIONS &&
          all.every((p, i) => p === i) &&
          (!scaleOut || split.every((s) => s.length > 0) || k > PARTITIONS)
        );
      },
      60_000,
    );
    const start = performance.now();
    const cpuOf = (): { processes: number; broker: number } => ({
      processes: children.reduce((n, c) => n + (c.pid !== undefined ? (procCpuMs(c.pid) ?? NaN) : NaN), 0),
      broker: procCpuMs(brokerPid() ?? -1) ?? NaN,
    });
    const cpu0 = cpuOf();
    const handledBefore = await handled(kafka, groupId, telemetry);
    let stageOneMs = NaN;
    await waitUntil(
      `${name}: all ${N} records handled`,
      async () => {
        if (!(await caughtUp(kafka, groupId, telemetry, false))) return false;
        if (Number.isNaN(stageOneMs)) stageOneMs = performance.now() - start;
        return !scaleOut || (await caughtUp(kafka, `${groupId}.stage-two`, topics.stage, true));
      },
      PHASE_TIMEOUT_MS,
      50,
    );
    const ms = performance.now() - start;
    const cpu1 = cpuOf();
    const cpuMs = { processes: round(cpu1.processes - cpu0.processes, 0), broker: round(cpu1.broker - cpu0.broker, 0) };
    const r: PhaseResult = {
      name,
      processes: k,
      scaleOut,
      ms: round(ms, 0),
      stageOneMs: round(stageOneMs, 0),
      handledBefore,
      eventsPerSec: Math.round((N - handledBefore) / (ms / 1000)),
      cpuMs,
      eventsPerCpuSec: Math.round((N - handledBefore) / (cpuMs.processes / 1000)),
      split,
    };
    console.log(
      `${name.padEnd(9)} ${k} process${k > 1 ? 'es' : '  '}  ${perSec(r.eventsPerSec)}  (${N - handledBefore} records in ${(ms / 1000).toFixed(2)} s, stage one done after ${(stageOneMs / 1000).toFixed(2)} s; ${perSec(r.eventsPerCpuSec)} per CPU-s, broker ${(cpuMs.broker / 1000).toFixed(1)} CPU-s; partitions ${JSON.stringify(split)})`,
    );
    return r;
  } finally {
    await Promise.all(children.map(stop));
  }
}

async function main(): Promise<void> {
  if (!argFlag('no-build')) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const services = acquireServices();
  const kafka = benchKafka(services.brokers);
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-bench-scale-out-'));
  const telemetry = randomName('bench-so-telemetry');
  const created = [telemetry];
  const results: PhaseResult[] = [];
  try {
    await createTopics(kafka, [{ topic: telemetry, partitions: PARTITIONS }]);
    const fleet = createFleet({ series: SERIES, t0: T0, eventsPerSecond: 20_000, disorderMs: 500, seed: 42 });
    process.stdout.write(`producing ${N} JSON records to ${telemetry} (${PARTITIONS} partitions) … `);
    const produceMs = await produceBulk(kafka, telemetry, N, () => {
      const t = fleet.next();
      return { key: t.source, value: encodeTelemetryJson(t) };
    });
    console.log(`${(produceMs / 1000).toFixed(1)} s`);
    const single = await phase(kafka, services.brokers, dir, telemetry, 1, false, created);
    results.push(single);
    for (const k of PROCESSES) {
      const r = await phase(kafka, services.brokers, dir, telemetry, k, true, created);
      r.ratioToSingle = round(r.eventsPerSec / single.eventsPerSec, 3);
      results.push(r);
    }
  } finally {
    await deleteTopics(kafka, created).catch((err: unknown) =>
      console.error(`could not delete the bench topics: ${(err as Error).message}`),
    );
    services.release();
    if (!argFlag('keep-logs')) rmSync(dir, { recursive: true, force: true });
    else console.log(`logs kept in ${dir}`);
  }
  const shared = results.filter((r) => r.scaleOut);
  const one = shared.find((r) => r.processes === 1);
  const most = shared[shared.length - 1];
  const summary = {
    n: N,
    series: SERIES,
    partitions: PARTITIONS,
    cores: cpus().length,
    statistic:
      'one run per phase; wall time from every partition assigned to every record handled (stage two included when scaled out)',
    results,
    sharedOneVsSingle: one ? one.ratioToSingle : null,
    mostVsSharedOne: one && most ? round(most.eventsPerSec / one.eventsPerSec, 3) : null,
  };
  for (const r of shared) console.log(`${r.name}: ${r.ratioToSingle}× the single-owner process`);
  console.log(`wrote ${writeResult('scale-out', summary)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
