/**
 * Progress for long imports and replays, on stderr so stdout stays clean for results: a bar
 * redrawn in place when stderr is a terminal, plain periodic lines otherwise (CI logs, pipes),
 * so that a log never fills with carriage returns. Wall clock is used here, at the edge only.
 */
import { performance } from 'node:perf_hooks';

export interface ProgressUpdate {
  /** Bytes read so far and the total, when the input size is known. */
  bytesRead?: number;
  totalBytes?: number;
  /** Records handled so far. */
  records: number;
  /** Extra text after the figures (e.g. "3 errors"). */
  note?: string;
}

export interface ProgressOptions {
  /** Default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Word in front of the line, e.g. "import", "replay". */
  label: string;
  /** Force the bar (true) or lines (false); default: the stream's isTTY. */
  tty?: boolean;
  /** Minimum ms between redraws of the bar. Default 100. */
  barIntervalMs?: number;
  /** Ms between plain lines. Default 5000. */
  lineIntervalMs?: number;
  /** Clock in ms (tests). Default performance.now. */
  now?: () => number;
}

export interface Progress {
  update(u: ProgressUpdate): void;
  /** Clears the bar (TTY) so the summary prints on a clean line. */
  done(): void;
  /** Seconds since creation. */
  elapsedSec(): number;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${UNITS[u]}`;
}

/** 1234567 → "1.23M"; small numbers as they are. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  const started = now();
  const barEvery = options.barIntervalMs ?? 100;
  const lineEvery = options.lineIntervalMs ?? 5000;
  let last = started;
  let drawn = false;

  const text = (u: ProgressUpdate, t: number): string => {
    const secs = Math.max((t - started) / 1000, 1e-9);
    const rate = `${formatCount(u.records / secs)} rec/s`;
    const parts: string[] = [];
    if (u.bytesRead !== undefined) {
      parts.push(
        u.totalBytes !== undefined && u.totalBytes > 0
          ? `${formatBytes(u.bytesRead)} / ${formatBytes(u.totalBytes)}`
          : formatBytes(u.bytesRead),
      );
    }
    parts.push(`${formatCount(u.records)} records`, rate);
    if (u.note !== undefined && u.note !== '') parts.push(u.note);
    return parts.join('  ');
  };

  return {
    update(u) {
      const t = now();
      if (t - last < (tty ? barEvery : lineEvery)) return;
      last = t;
      const body = text(u, t);
      if (!tty) {
        const pct =
          u.bytesRead !== undefined && u.totalBytes ? ` ${Math.floor((100 * u.bytesRead) / u.totalBytes)}%` : '';
        stream.write(`${options.label}:${pct} ${body}\n`);
        return;
      }
      const frac = u.bytesRead !== undefined && u.totalBytes ? Math.min(1, u.bytesRead / u.totalBytes) : undefined;
      const width = 24;
      const bar =
        frac === undefined
          ? ''
          : `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${String(Math.floor(frac * 100)).padStart(3)}%  `;
      const line = `${options.label} ${bar}${body}`;
      const cols = stream.columns ?? 120;
      stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length + 8))}`);
      drawn = true;
    },
    done() {
      if (tty && drawn) stream.write(`\r${' '.repeat(Math.max(0, (stream.columns ?? 120) - 1))}\r`);
      drawn = false;
    },
    elapsedSec: () => (now() - started) / 1000,
  };
}
