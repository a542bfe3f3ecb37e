/**
 * Worker thread of bench/efficacy.ts: runs the study's cells it is sent, one at a time,
 * and posts each result back. Every cell is pure and deterministic (src/sim/study/run.ts).
 */
import { parentPort } from 'node:worker_threads';
import { runCell, type CellTask } from '../src/sim/study';

parentPort?.on('message', (task: CellTask) => {
  try {
    parentPort?.postMessage({ ok: true, result: runCell(task) });
  } catch (err) {
    parentPort?.postMessage({
      ok: false,
      task,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
});
