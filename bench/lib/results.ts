/**
 * What every bench shares about its results: argument parsing (`--name value` or the
 * environment variable BENCH_<NAME>), the machine context (load average, since the machine
 * is shared and a figure without it is hard to read), quantiles, and writing
 * bench/results/<name>.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

export const RESULTS_DIR = join(__dirname, '..', 'results');

/**
 * A numeric option: `--<name> <value>` on the command line, else BENCH_<NAME> in the
 * environment (dashes become underscores), else `fallback`. Underscores in the value are
 * ignored, so `--n 1_000_000` works.
 */
export function argNumber(name: string, fallback: number, argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): number {
  const i = argv.indexOf(`--${name}`);
  const raw = i >= 0 ? argv[i + 1] : env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got '${raw}'`);
  return value;
}

/** A string option: `--<name> <value>`, else BENCH_<NAME>, else `fallback`. */
export function argString(name: string, fallback: string, argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
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

/** Where and when a figure was taken; part of every result file this folder writes. */
export interface MachineContext {
  node: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** 1, 5 and 15 minute load averages at the time of writing the result. */
  loadAverage: [number, number, number];
  at: string;
}

export function machineContext(): MachineContext {
  const c = cpus();
  const [a, b, d] = loadavg();
  return {
    node: process.version,
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    loadAverage: [round(a), round(b), round(d)],
    at: new Date().toISOString(),
  };
}

/** Writes bench/results/<name>.json (pretty, trailing newline) and returns its path. */
export function writeResult(name: string, result: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ benchmark: name, ...result, machine: machineContext() }, null, 2)}\n`);
  return file;
}

export function readResult(name: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Formats events per second as e.g. "183.4k/s" or "1.21M/s". */
export function perSec(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M/s`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k/s`;
  return `${x.toFixed(0)}/s`;
}
