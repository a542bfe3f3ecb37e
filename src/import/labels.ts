/**
 * Labelled anomaly windows to score actions against: NAB's `labels/combined_windows.json`
 * (https://github.com/numenta/NAB/tree/master/labels) and runs of Label=1 points in Microsoft
 * cloud-monitoring CSVs (https://github.com/microsoft/cloud-monitoring-dataset).
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { HomeostatError, InputError } from '../errors';
import { parseTimestamp } from './timestamp';
import type { LabelPoint, LabelWindow } from './types';

/** NAB file key (path relative to the NAB data root, `/`-separated) → its windows in epoch ms. */
export type NabLabels = Record<string, LabelWindow[]>;

function bad(field: string, message: string): InputError {
  return new InputError('INVALID_FIELD', `NAB labels: ${field} ${message}`, { field });
}

/**
 * Reads the parsed JSON of combined_windows.json: `{ "<dir>/<file>.csv": [["YYYY-MM-DD HH:MM:SS.ffffff", "…"], …] }`.
 * Timestamps are UTC like the CSVs they label. Throws InputError naming the first bad entry.
 */
export function parseNabLabels(json: unknown): NabLabels {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw bad('root', 'must be an object of file → windows');
  const out: NabLabels = {};
  for (const [file, windows] of Object.entries(json as Record<string, unknown>)) {
    if (file === '__proto__') throw bad(file, 'is not a usable file key');
    if (!Array.isArray(windows)) throw bad(file, 'must be an array of [start, end] pairs');
    out[file] = windows.map((w: unknown, i) => {
      const field = `${file}[${i}]`;
      if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'string' || typeof w[1] !== 'string') {
        throw bad(field, `must be a [start, end] pair of timestamp strings, got ${JSON.stringify(w)}`);
      }
      const start = parseTimestamp(w[0]);
      const end = parseTimestamp(w[1]);
      if (Number.isNaN(start) || Number.isNaN(end))
        throw bad(field, `has a timestamp that is not YYYY-MM-DD HH:MM:SS[.ffffff]: ${JSON.stringify(w)}`);
      if (end < start) throw bad(field, `ends before it starts: ${JSON.stringify(w)}`);
      return { start, end };
    });
  }
  return out;
}

/** Loads and parses combined_windows.json (or any file of the same shape). */
export async function loadNabLabels(file: string): Promise<NabLabels> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new HomeostatError(
      'USAGE',
      `cannot read NAB labels ${file}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(
      'INVALID_JSON',
      `NAB labels ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return parseNabLabels(json);
}

/** The key NAB uses for a data file: its path relative to the NAB data root, with `/` separators. */
export function nabLabelKey(csvPath: string, nabRoot: string): string {
  return path.relative(nabRoot, csvPath).split(path.sep).join('/');
}

/** Windows for one NAB data file, or undefined when the labels do not list it. */
export function nabWindowsFor(labels: NabLabels, csvPath: string, nabRoot: string): LabelWindow[] | undefined {
  const key = nabLabelKey(csvPath, nabRoot);
  return Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
}

/** Streaming run detector: the open run of label-1 points, if any. */
export interface LabelRunState {
  readonly open: LabelWindow | undefined;
}

export const initialLabelRunState: LabelRunState = { open: undefined };

/**
 * `(state, point) => { state, closed }`: a window closes at the first label-0 point after a run of
 * label-1 points (contiguous in file order). A run's window spans its earliest to latest point,
 * inclusive; a single labelled point gives a zero-length window.
 */
export function stepLabelRuns(
  state: LabelRunState,
  point: LabelPoint,
): { state: LabelRunState; closed: LabelWindow | undefined } {
  const open = state.open;
  if (point.label !== 1)
    return open === undefined ? { state, closed: undefined } : { state: initialLabelRunState, closed: open };
  const next =
    open === undefined
      ? { start: point.ts, end: point.ts }
      : { start: Math.min(open.start, point.ts), end: Math.max(open.end, point.ts) };
  return { state: { open: next }, closed: undefined };
}

/** Windows of every contiguous run of label-1 points, in file order. */
export function labelWindowsFromPoints(points: Iterable<LabelPoint>): LabelWindow[] {
  const windows: LabelWindow[] = [];
  let state = initialLabelRunState;
  for (const p of points) {
    const step = stepLabelRuns(state, p);
    state = step.state;
    if (step.closed !== undefined) windows.push(step.closed);
  }
  if (state.open !== undefined) windows.push(state.open);
  return windows;
}

/** Moves windows by the offset an import applied (`ImportProgress.shiftMs` / `ImportResult.shiftMs`). */
export function shiftWindows(windows: readonly LabelWindow[], shiftMs: number): LabelWindow[] {
  return windows.map((w) => ({ start: w.start + shiftMs, end: w.end + shiftMs }));
}
