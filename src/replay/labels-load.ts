/**
 * Labelled incident windows of a data file for the report: NAB files are looked up in NAB's
 * `labels/combined_windows.json` (found next to the data: the nearest ancestor directory with
 * `labels/combined_windows.json` is the NAB root), Microsoft files carry a `Label` column whose
 * runs of 1 are the windows. When the data was imported with `--shift-to`, give the same time:
 * the windows then move by the same offset as the records did.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { HomeostatError } from '../errors';
import {
  importAll,
  loadNabLabels,
  nabLabelKey,
  nabWindowsFor,
  shiftWindows,
  type LabelWindow,
  type NabLabels,
} from '../import';
import type { LabelledSeries } from './report-model';

export type LabelFormat = 'nab' | 'ms';

export interface LabelSourceOptions {
  /** NAB labels file; default: found from the data file's path. */
  nabLabels?: string;
  /** The `--shift-to` the data was imported with (epoch ms), if any. */
  shiftTo?: number;
  /** Score only this target's actions against the file's windows. */
  target?: string;
}

/** The NAB root above a data file: the nearest ancestor holding labels/combined_windows.json. */
export function findNabRoot(csvPath: string): string | undefined {
  let dir = path.dirname(path.resolve(csvPath));
  for (;;) {
    if (existsSync(path.join(dir, 'labels', 'combined_windows.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

const nabCache = new Map<string, Promise<NabLabels>>();

async function nabWindows(
  csvPath: string,
  labelsFile: string | undefined,
): Promise<{ key: string; windows: LabelWindow[] }> {
  const root = labelsFile === undefined ? findNabRoot(csvPath) : path.dirname(path.dirname(path.resolve(labelsFile)));
  if (root === undefined) {
    throw new HomeostatError(
      'USAGE',
      `no labels/combined_windows.json above ${csvPath}; pass the NAB labels file with --nab-labels`,
    );
  }
  const file = labelsFile ?? path.join(root, 'labels', 'combined_windows.json');
  let p = nabCache.get(file);
  if (p === undefined) nabCache.set(file, (p = loadNabLabels(file)));
  const labels = await p;
  const { key, windows } = nabLookup(labels, path.resolve(csvPath), root);
  if (windows === undefined)
    throw new HomeostatError(
      'USAGE',
      `${file} has no windows for ${key}; is ${csvPath} a NAB data file under ${root}?`,
    );
  return { key, windows };
}

/**
 * NAB as published keeps its series under `data/` beside `labels/` (`data/realKnownCause/x.csv`)
 * while the labels name them from the group (`realKnownCause/x.csv`); a copy may also put the
 * groups beside `labels/` directly. The key is tried as is, then without a leading `data/`.
 */
export function nabLookup(
  labels: NabLabels,
  csvPath: string,
  root: string,
): { key: string; windows: LabelWindow[] | undefined } {
  const key = nabLabelKey(csvPath, root);
  const direct = nabWindowsFor(labels, csvPath, root);
  if (direct !== undefined || !key.startsWith('data/')) return { key, windows: direct };
  const inner = key.slice('data/'.length);
  return Object.prototype.hasOwnProperty.call(labels, inner)
    ? { key: inner, windows: labels[inner] }
    : { key, windows: undefined };
}

/** The windows of one data file, shifted like its import, as a labelled series for the report. */
export async function loadLabelledSeries(
  format: LabelFormat,
  csvPath: string,
  options: LabelSourceOptions = {},
): Promise<LabelledSeries> {
  // The offset an import with --shift-to applied: shift-to − the first record's ts; the file is
  // read either way (Microsoft labels live in it, and NAB's first timestamp gives the offset).
  const data = await importAll(csvPath, {
    mapping: { source: 'labels', metric: 'labels', tags: {} },
    rebaseTo: options.shiftTo,
  });
  if (format === 'nab') {
    const { key, windows } = await nabWindows(csvPath, options.nabLabels);
    return { name: key, windows: shiftWindows(windows, data.shiftMs), target: options.target };
  }
  if (data.format !== 'microsoft') {
    throw new HomeostatError(
      'USAGE',
      `${csvPath} is not a Microsoft cloud-monitoring CSV (TimeStamp,Value,Label): ` +
        `it was read as ${data.format ?? 'empty'}; use --labels nab for NAB files`,
    );
  }
  return { name: path.basename(csvPath), windows: data.labelWindows, target: options.target };
}

/** `file.csv=target` → the file and the target (no `=`: every target). */
export function parseDataFileArg(arg: string): { file: string; target?: string } {
  const eq = arg.lastIndexOf('=');
  if (eq <= 0 || eq === arg.length - 1) return { file: arg };
  return { file: arg.slice(0, eq), target: arg.slice(eq + 1) };
}
