/**
 * What every bench shares about its results: argument parsing (`--name value` or the
 * environment variable BENCH_<NAME>), the machine context (load average, since the machine
 * is shared and a figure without it is hard to read, and the commit measured), quantiles,
 * and writing one file per run, bench/results/<name>/<ISO time>.json — a run never
 * overwrites another, so the docs can quote ranges over the runs actually recorded.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

export const RESULTS_DIR = join(__dirname, '..', 'results');

/**
 * A numeric option: `--<name> <value>` on the command line, else BENCH_<NAME> in the
 * environment (dashes become underscores), else `fallback`. Underscores in the value are
 * ignored, so `--n 1_000_000` works.
 */
export function argNumber(
  name: string,
  fallback: number,
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const i = argv.indexOf(`--${name}`);
  const raw = i >= 0 ? argv[i + 1] : env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got '${raw}'`);
  return value;
}

/** A string option: `--<name> <value>`, else BENCH_<NAME>, else `fallback`. */
export function argString(
  name: string,
  fallback: string,
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const i = argv.indexOf(`--${name}`);
  const raw = i >= 0 ? argv[i + 1] : env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  return raw === undefined || raw === '' ? fallback : raw;
}

export function argFlag(name: string, argv: readonly string[] = process.argv): boolean {
  return argv.includes(`--${name}`);
}

/** Nearest-rank quantile of an ascending array (q in [0, 1]); NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The tree a figure was measured on: the commit, and whether the work tree differed from it. */
export interface CommitContext {
  /** `git rev-parse HEAD`, or null outside a git work tree. */
  commit: string | null;
  /** Uncommitted changes to tracked files under src/ or bench/ at the time (the run measured them too). */
  dirty: boolean;
}

/** Where and when a figure was taken; part of every result file this folder writes. */
export interface MachineContext extends CommitContext {
  node: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** 1, 5 and 15 minute load averages at the time of writing the result. */
  loadAverage: [number, number, number];
  at: string;
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, {
      cwd: join(__dirname, '..', '..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

export function commitContext(): CommitContext {
  const commit = git(['rev-parse', 'HEAD']);
  const changed = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench']);
  return { commit, dirty: changed !== null && changed !== '' };
}

export function machineContext(at = new Date()): MachineContext {
  const c = cpus();
  const [a, b, d] = loadavg();
  return {
    node: process.version,
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    loadAverage: [round(a), round(b), round(d)],
    at: at.toISOString(),
    ...commitContext(),
  };
}

/**
 * The young generation's size this process was started with: `--max-semi-space-size` (MB per
 * semi-space) from the node flags or NODE_OPTIONS, null when V8's default (16 MB on 64-bit
 * Node 20). Recorded by benches whose cost is mostly garbage collection of short-lived
 * outputs, so that runs under another setting are never read as the default's.
 */
export function maxSemiSpaceMB(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): number | null {
  let mb: number | null = null;
  for (const flag of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const m = /^--max[-_]semi[-_]space[-_]size=(\d+)$/.exec(flag);
    if (m) mb = Number(m[1]);
  }
  return mb;
}

/**
 * A run's file name: its time in ISO 8601 basic format (20261127T212622.241Z), which sorts
 * in time order and, unlike the extended format's colons, is a valid file name everywhere.
 */
export function runFileName(at: Date): string {
  return `${at.toISOString().replace(/[-:]/g, '')}.json`;
}

/**
 * Writes this run's result to bench/results/<name>/<ISO time>.json (pretty, trailing
 * newline), with the machine, its load and the commit, and returns its path.
 */
export function writeResult(name: string, result: Record<string, unknown>): string {
  const at = new Date();
  const dir = join(RESULTS_DIR, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, runFileName(at));
  writeFileSync(file, `${JSON.stringify({ benchmark: name, ...result, machine: machineContext(at) }, null, 2)}\n`);
  return file;
}

/** The recorded runs of one bench, oldest first: [file name, parsed result]. */
export function readRuns(name: string, dir = RESULTS_DIR): Array<[string, Record<string, unknown>]> {
  let files: string[];
  try {
    files = readdirSync(join(dir, name))
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
  return files.map((f) => [f, JSON.parse(readFileSync(join(dir, name, f), 'utf8')) as Record<string, unknown>]);
}

/** The latest recorded run of a bench, or undefined when there is none. */
export function readResult(name: string): Record<string, unknown> | undefined {
  const runs = readRuns(name);
  return runs[runs.length - 1]?.[1];
}

/** Formats events per second as e.g. "183.4k/s" or "1.21M/s". */
export function perSec(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M/s`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k/s`;
  return `${x.toFixed(0)}/s`;
}
