/**
 * Runs every benchmark as a child process, one after the other (they would disturb each
 * other's timings if run together), then prints a summary table from the latest run of each
in bench/results/<name>/.
 *
 *   npx tsx bench/run-all.ts [--only engine,pipeline] [--skip latency] [--quick] [--offline]
 *                            [--summary] [--timeout-min 10]
 *
 * --quick passes smaller sizes to the long benches (a smoke run of a few minutes; its runs
 * are recorded like any other and say their sizes, and the figures of the docs leave them
 * out: bench/figures.ts selects runs at the full sizes);
 * --offline skips the benches that need the broker and registry (scripts/services.sh);
 * --summary prints the table from the existing result files without running anything.
 * A bench whose script does not exist (e.g. bench/replay.ts on an older tree) is skipped; a
 * failing bench does not stop the others, but makes the exit status 1. A bench whose latest
 * run is older than this run is marked "stale" in the table.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { summarise, type Summary } from './lib/summary';
import { argFlag, argNumber, argString, readRuns, runFileName } from './lib/results';

interface BenchSpec {
  /** Name of the entry in the table. */
  name: string;
  script: string;
  args?: string[];
  /** Extra arguments under --quick. */
  quick?: string[];
  /** Result file(s) it writes, without .json. */
  results: string[];
  /** Needs the broker and registry. */
  services?: boolean;
}

const BENCHES: readonly BenchSpec[] = [
  { name: 'engine', script: 'engine.ts', quick: ['--n', '500000'], results: ['engine'] },
  {
    name: 'engine-hopping',
    script: 'engine.ts',
    args: ['--hop'],
    quick: ['--n', '500000'],
    results: ['engine-hopping'],
  },
  { name: 'codec', script: 'codec.ts', quick: ['50000'], results: ['codec'] },
  {
    name: 'record-path',
    script: 'record-path.ts',
    quick: ['--n', '200000', '--rounds', '2'],
    results: ['record-path'],
  },
  { name: 'record-batch', script: 'record-batch.ts', quick: ['--rounds', '3'], results: ['record-batch'] },
  { name: 'backoff', script: 'backoff.ts', quick: ['--runs', '20'], results: ['backoff'] },
  { name: 'signing', script: 'signing.ts', quick: ['1000'], results: ['signing'] },
  { name: 'replay', script: 'replay.ts', quick: ['--n', '300000', '--file-n', '100000'], results: ['replay'] },
  { name: 'memory', script: 'memory.ts', quick: ['--series', '10000,100000'], results: ['memory'] },
  {
    name: 'stage-two',
    script: 'stage-two.ts',
    quick: ['--series', '10000,50000', '--windows', '3'],
    results: ['stage-two'],
  },
  { name: 'pipeline', script: 'pipeline.ts', quick: ['--n', '200000'], results: ['pipeline'], services: true },
  {
    name: 'latency',
    script: 'latency.ts',
    quick: ['--seconds', '15', '--min-commands', '100'],
    results: ['latency'],
    services: true,
  },
  { name: 'clients', script: 'clients.ts', quick: ['--n', '100000'], results: ['clients'], services: true },
  { name: 'producer', script: 'producer.ts', quick: ['100000'], results: ['producer'], services: true },
  { name: 'scale-out', script: 'scale-out.ts', quick: ['--n', '300000'], results: ['scale-out'], services: true },
  {
    name: 'latency-scale-out',
    script: 'latency.ts',
    args: ['--scale-out'],
    quick: ['--seconds', '15', '--min-commands', '100'],
    results: ['latency-scale-out'],
    services: true,
  },
  { name: 'report-sample', script: 'report-sample.ts', results: ['report-sample'] },
];

/** A bench that runs longer than this is stopped (its own process group only). */
const TIMEOUT_MS = argNumber('timeout-min', 10) * 60_000;

interface Outcome {
  spec: BenchSpec;
  status: 'ok' | 'failed' | 'skipped' | 'timed out';
  seconds: number;
  load: number;
}

function list(name: string): string[] {
  return argString(name, '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function runOne(spec: BenchSpec, quick: boolean): Promise<Outcome> {
  const file = join(__dirname, spec.script);
  if (!existsSync(file)) return Promise.resolve({ spec, status: 'skipped', seconds: 0, load: loadavg()[0] });
  const args = [...process.execArgv, file, ...(spec.args ?? []), ...(quick ? (spec.quick ?? []) : [])];
  const started = Date.now();
  const load = loadavg()[0];
  console.log(
    `\n━━ ${spec.name}: ${['node', ...args.slice(process.execArgv.length)].join(' ')}  (load ${load.toFixed(2)})`,
  );
  return new Promise((resolve) => {
    // Its own process group, so that a timed-out bench is stopped with its children and nothing else.
    const child = spawn(process.execPath, args, { stdio: 'inherit', detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }, TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const seconds = (Date.now() - started) / 1000;
      resolve({ spec, status: timedOut ? 'timed out' : code === 0 ? 'ok' : 'failed', seconds, load });
    });
  });
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function printTable(rows: { name: string; status: string; summary: Summary | undefined; seconds?: number }[]): void {
  const header = ['bench', 'status', 'headline', 'vs baseline (same run)', 'target', 'load'];
  const cells = rows.map((r) => [
    r.name,
    r.status + (r.seconds !== undefined && r.seconds > 0 ? ` ${r.seconds.toFixed(0)}s` : ''),
    r.summary?.headline ?? '—',
    r.summary?.baseline ?? '—',
    r.summary?.target ?? '—',
    r.summary?.load ?? '—',
  ]);
  const widths = header.map((h, i) => Math.min(70, Math.max(h.length, ...cells.map((c) => c[i].length))));
  const line = (c: string[]) => c.map((x, i) => pad(x, widths[i])).join(' │ ');
  console.log(`\n${line(header)}\n${widths.map((w) => '─'.repeat(w)).join('─┼─')}`);
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const only = list('only');
  const skip = list('skip');
  const quick = argFlag('quick');
  const offline = argFlag('offline');
  const selected = BENCHES.filter(
    (b) => (only.length === 0 || only.includes(b.name)) && !skip.includes(b.name) && !(offline && b.services),
  );
  const started = Date.now();
  const outcomes: Outcome[] = [];
  if (!argFlag('summary')) {
    for (const spec of selected) outcomes.push(await runOne(spec, quick));
  }
  const rows = selected.flatMap((spec) => {
    const o = outcomes.find((x) => x.spec === spec);
    return spec.results.map((name) => {
      const runs = readRuns(name);
      const latest = runs[runs.length - 1]?.[0];
      const fresh = latest !== undefined && latest >= runFileName(new Date(started));
      let status: string = o?.status ?? (latest !== undefined ? 'previous' : 'no result');
      if (o?.status === 'ok' && !fresh) status = 'stale';
      return { name, status, summary: summarise(name), seconds: o?.seconds };
    });
  });
  printTable(rows);
  const failed = outcomes.filter((o) => o.status === 'failed' || o.status === 'timed out');
  if (outcomes.length > 0)
    console.log(
      `\n${outcomes.filter((o) => o.status === 'ok').length} ran, ${failed.length} failed, ${outcomes.filter((o) => o.status === 'skipped').length} skipped in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  if (failed.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
