/**
 * Runs every grid point, on worker threads when asked: points are dealt round-robin to the
 * workers and results are put back in point order, so the study does not depend on which
 * worker finished first (same grid + data ⇒ same study, whatever the thread count).
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { HomeostatConfig } from '../config/homeostat-config';
import { evaluatePoint, type LabelledRecords } from './evaluate';
import type { GridPoint } from './grid';
import type { SeriesOutcome } from './study';

export interface RunGridOptions {
  config: HomeostatConfig;
  policyIndex: number;
  series: readonly LabelledRecords[];
  points: readonly GridPoint[];
  /** Worker threads; 0 or 1 runs in this thread. */
  workers: number;
  onPoint?: (done: number, total: number) => void;
}

/** The worker script beside this file; under tsx (a .ts file) the worker loads tsx too. */
function workerScript(): { file: string; execArgv: string[] } {
  const ts = __filename.endsWith('.ts');
  return { file: path.join(__dirname, ts ? 'worker.ts' : 'worker.js'), execArgv: ts ? ['--require', 'tsx/cjs'] : [] };
}

export async function runGrid(o: RunGridOptions): Promise<SeriesOutcome[][]> {
  const out: SeriesOutcome[][] = new Array<SeriesOutcome[]>(o.points.length);
  let done = 0;
  const workers = Math.max(1, Math.min(o.workers, o.points.length));
  if (workers === 1) {
    o.points.forEach((point, index) => {
      out[index] = evaluatePoint({ config: o.config, policyIndex: o.policyIndex, point, series: o.series });
      o.onPoint?.(++done, o.points.length);
    });
    return out;
  }
  const { file, execArgv } = workerScript();
  const shares = Array.from({ length: workers }, (_, w) =>
    o.points.map((point, index) => ({ index, point })).filter((p) => p.index % workers === w),
  );
  await Promise.all(
    shares.map(
      (points) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(file, {
            execArgv,
            workerData: { config: o.config, policyIndex: o.policyIndex, series: o.series, points },
          });
          worker.on('message', (m: { index: number; outcomes: SeriesOutcome[] }) => {
            out[m.index] = m.outcomes;
            o.onPoint?.(++done, o.points.length);
          });
          worker.on('error', reject);
          worker.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`backtest worker exited with code ${code}`)),
          );
        }),
    ),
  );
  return out;
}
