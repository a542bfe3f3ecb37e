/**
 * Worker-thread entry of a backtest: evaluates the grid points it is given (by index) and
 * posts each point's per-series outcomes back. Runs the same evaluatePoint as the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { GridPoint } from './grid';
import { evaluatePoint, type LabelledRecords } from './evaluate';
import type { HomeostatConfig } from '../config/homeostat-config';

interface WorkerInput {
  config: HomeostatConfig;
  policyIndex: number;
  series: LabelledRecords[];
  points: { index: number; point: GridPoint }[];
}

const input = workerData as WorkerInput;
for (const { index, point } of input.points) {
  const outcomes = evaluatePoint({ config: input.config, policyIndex: input.policyIndex, point, series: input.series });
  parentPort?.postMessage({ index, outcomes });
}
