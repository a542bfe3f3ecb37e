/**
 * The labelled series of a backtest: each data file imported as one series (its source is the
 * `=target` given, else the file name without `.csv`) with its labelled windows, sorted by name
 * so that splits and partitions do not depend on the order of the command line.
 */
import * as path from 'node:path';
import { HomeostatError } from '../errors';
import { importAll } from '../import';
import { loadLabelledSeries, parseDataFileArg, type LabelFormat } from '../replay/labels-load';
import type { LabelledRecords } from './evaluate';

export interface SeriesImport {
  metric: string;
  tags: Record<string, string>;
  valueScale?: number;
  nabLabels?: string;
}

export async function loadBacktestSeries(
  format: LabelFormat,
  args: readonly string[],
  imp: SeriesImport,
): Promise<LabelledRecords[]> {
  const out: LabelledRecords[] = [];
  for (const arg of args) {
    const { file, target } = parseDataFileArg(arg);
    const series = target ?? path.basename(file).replace(/\.csv$/i, '');
    const imported = await importAll(file, {
      mapping: { source: series, metric: imp.metric, tags: imp.tags, valueScale: imp.valueScale },
    });
    if (imported.errors.length > 0) {
      const e = imported.errors[0];
      throw new HomeostatError(
        'USAGE',
        `${file}: ${imported.errors.length} rows could not be imported (first: line ${e.line}: ${e.reason})`,
      );
    }
    const labelled = await loadLabelledSeries(format, file, { nabLabels: imp.nabLabels, target: series });
    out.push({ series, records: imported.records, windows: labelled.windows });
  }
  const names = new Set<string>();
  for (const s of out) {
    if (names.has(s.series))
      throw new HomeostatError(
        'USAGE',
        `two data files are both series '${s.series}'; name them apart with file.csv=name`,
      );
    names.add(s.series);
  }
  return out.sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : 0));
}
