/**
 * Throughput as processes are added to a group (runner.scaleOut), against a single-owner
 * process over the same topic in the same run.
 *
 *   npx tsx bench/scale-out.ts [--n 400000] [--series 10000] [--processes 1,2] [--no-build]
 *
 * Pre-produces N JSON telemetry records to a random 4-partition topic (the pipeline bench's
 * fleet: 10k series, ≤ 500 ms disorder), then for each phase starts `homeostat run` processes
 * (bin/homeostat.js, built first unless --no-build) in a new group with new output topics and
 * times from the moment the group's partitions are all assigned until every record is
 * handled — stage one's committed checkpoints at the telemetry's end and, scaled out, stage
 * two's at the stage topic's end:
 *   single:   one process, single owner (the default) — the baseline;
 *   shared-k: k processes sharing the partitions, stage two in one of them.
 * Prints events/s and ratios to the baseline. The broker runs on the same machine and the
 * processes compete with it for the cores: `cores` in the result says how many there were.
 * Writes bench/results/scale-out.json. Deletes the topics it created.
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

const N = Math.floor(argNumber('n', 400_000));
const SERIES = Math.floor(argNumber('series', 10_000));
const PROCESSES = argString('processes', '1,2')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((k) => Number.isInteger(k) && k > 0);
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
  eventsPerSec: number;
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

async function waitUntil(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
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

async function phase(kafka: Kafka, brokers: string[], dir: string, telemetry: string, k: number, scaleOut: boolean, created: string[]): Promise<PhaseResult> {
  const name = scaleOut ? `shared-${k}` : 'single';
  const topics = { ...benchTopics(randomName(`bench-so-${name}`)), telemetry };
  created.push(...Object.values(topics).filter((t) => t !== telemetry));
  const groupId = randomName('bench-so-group');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      kafka: { brokers, groupId, transactionalIdPrefix: randomName('bench-so-tx') },
      topics: { ...topics, telemetryPartitions: PARTITIONS },
      actions: { format: 'json' },
      http: { enabled: false },
      runner: { scaleOut, logIntervalMs: 60_000 },
    }),
  );
  const logs = [...Array(k).keys()].map((i) => join(dir, `${name}-${i}.log`));
  const children = logs.map((log, i) =>
    spawn(process.execPath, [BIN, 'run', '--config', file, '--instance', String(i)], { stdio: ['ignore', openSync(log, 'w'), openSync(log, 'a')], env: { ...process.env, HOMEOSTAT_LOG_LEVEL: 'info' } }),
  );
  try {
    let split: number[][] = [];
    await waitUntil(
      `${name}: partitions assigned`,
      () => {
        split = logs.map((l) => assignedIn(l) ?? []);
        const all = split.flat().sort((a, b) => a - b);
        return all.length === PARTITIONS && all.every((p, i) => p === i) && (!scaleOut || split.every((s) => s.length > 0) || k > PARTITIONS);
      },
      60_000,
    );
    const start = performance.now();
    await waitUntil(
      `${name}: all ${N} records handled`,
      async () => (await caughtUp(kafka, groupId, telemetry, false)) && (!scaleOut || (await caughtUp(kafka, `${groupId}.stage-two`, topics.stage, true))),
      PHASE_TIMEOUT_MS,
      50,
    );
    const ms = performance.now() - start;
    const r: PhaseResult = { name, processes: k, scaleOut, ms: round(ms, 0), eventsPerSec: Math.round(N / (ms / 1000)), split };
    console.log(`${name.padEnd(9)} ${k} process${k > 1 ? 'es' : '  '}  ${perSec(r.eventsPerSec)}  (${(ms / 1000).toFixed(2)} s; partitions ${JSON.stringify(split)})`);
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
    await deleteTopics(kafka, created).catch((err: unknown) => console.error(`could not delete the bench topics: ${(err as Error).message}`));
    services.release();
    rmSync(dir, { recursive: true, force: true });
  }
  const shared = results.filter((r) => r.scaleOut);
  const one = shared.find((r) => r.processes === 1);
  const most = shared[shared.length - 1];
  const summary = {
    n: N,
    series: SERIES,
    partitions: PARTITIONS,
    cores: cpus().length,
    statistic: 'one run per phase; wall time from every partition assigned to every record handled (stage two included when scaled out)',
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
