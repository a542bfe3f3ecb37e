/**
 * The real datasets in data (relative to the project root) import cleanly:
 * every row becomes a record, timestamps are UTC, and the labels line up with the series.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { importAll, loadNabLabels, nabWindowsFor, type ImportProgress } from '../../../src/import';

const DATA = path.resolve(process.cwd(), 'data');
const NAB = path.join(DATA, 'nab');
const MS = path.join(DATA, 'ms-cloud-monitoring');
const mapping = { source: 'dataset', metric: 'value', tags: {} };

function csvFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return csvFiles(p);
    return e.name.endsWith('.csv') ? [p] : [];
  });
}

/**
 * Data rows = lines minus the header. Counted like `wc -l` plus one when the file does not end in a
 * newline: api-01, mongo-02 and mongo-03 have no final newline, so bare `wc -l` is one short there.
 */
function dataRows(file: string): number {
  const text = readFileSync(file, 'utf8');
  const newlines = text.split('\n').length - 1;
  return newlines + (text.endsWith('\n') ? 0 : 1) - 1;
}

const ALL = csvFiles(DATA).sort();

describe('importing the recorded datasets in data/', () => {
  it('finds the NAB and Microsoft files', () => {
    expect(ALL.filter((f) => f.startsWith(NAB + path.sep))).toHaveLength(5);
    expect(ALL.filter((f) => f.startsWith(MS + path.sep))).toHaveLength(13);
  });

  it.each(ALL.map((f) => [path.relative(DATA, f), f]))('%s imports every row with no errors', async (_name, file) => {
    const progress: ImportProgress[] = [];
    const result = await importAll(file, { mapping, onProgress: (p) => progress.push(p) });
    expect(result.errors).toEqual([]);
    expect(result.records).toHaveLength(dataRows(file));
    expect(result.format).toBe(file.startsWith(NAB + path.sep) ? 'nab' : 'microsoft');
    const last = progress[progress.length - 1];
    expect(last.done).toBe(true);
    expect(last.bytesRead).toBe(statSync(file).size);
    expect(last.totalBytes).toBe(statSync(file).size);
    expect(last.records).toBe(result.records.length);
    expect(result.records.filter((r) => !Number.isSafeInteger(r.ts) || !Number.isFinite(r.value))).toEqual([]);
  });

  it('reads NAB timestamps as UTC', async () => {
    const file = path.join(NAB, 'realKnownCause/ec2_request_latency_system_failure.csv');
    const { records } = await importAll(file, { mapping });
    expect(records[0]).toEqual({
      ts: Date.UTC(2014, 2, 7, 3, 41),
      source: 'dataset',
      metric: 'value',
      value: 45.868,
      tags: {},
    });
    expect(records[1].ts - records[0].ts).toBe(300_000);
  });

  it('keeps the duplicate timestamps of the EC2 file as distinct samples', async () => {
    const file = path.join(NAB, 'realKnownCause/ec2_request_latency_system_failure.csv');
    const { records } = await importAll(file, { mapping });
    const rawTs = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    const duplicates = rawTs.length - new Set(rawTs).size;
    expect(duplicates).toBe(11); // the README's count, checked on the raw text
    expect(records).toHaveLength(rawTs.length);
    expect(records.length - new Set(records.map((r) => r.ts)).size).toBe(duplicates);
    // The samples at one repeated timestamp keep their own values, in file order.
    const dupTs = Date.UTC(2014, 2, 9, 3, 0);
    expect(
      records
        .filter((r) => r.ts === dupTs)
        .map((r) => r.value)
        .slice(0, 3),
    ).toEqual([44.611999999999995, 43.578, 47.018]);
  });

  it('loads NAB labels for each file, within the span of its series', async () => {
    const labels = await loadNabLabels(path.join(NAB, 'labels/combined_windows.json'));
    const files = ALL.filter((f) => f.startsWith(NAB + path.sep));
    expect(Object.keys(labels).sort()).toEqual(
      files.map((f) => path.relative(NAB, f).split(path.sep).join('/')).sort(),
    );
    for (const file of files) {
      const windows = nabWindowsFor(labels, file, NAB);
      expect(windows).toBeDefined();
      const { records } = await importAll(file, { mapping });
      const first = Math.min(...records.map((r) => r.ts));
      const last = Math.max(...records.map((r) => r.ts));
      expect(windows!.length).toBeGreaterThan(0);
      for (const w of windows!) {
        expect(w.start).toBeLessThanOrEqual(w.end);
        expect(w.start).toBeGreaterThanOrEqual(first);
        expect(w.end).toBeLessThanOrEqual(last);
      }
    }
    expect(labels['realKnownCause/ec2_request_latency_system_failure.csv'][0]).toEqual({
      start: Date.UTC(2014, 2, 14, 3, 31),
      end: Date.UTC(2014, 2, 14, 14, 41),
    });
  });

  it.each(csvFiles(MS).map((f) => [path.relative(MS, f), f]))(
    '%s: label windows are the runs of Label=1',
    async (_name, file) => {
      // Independent oracle: the raw text, unquoted by hand, with Date.parse on the ISO-with-Z stamps.
      const rows = readFileSync(file, 'utf8')
        .split('\n')
        .slice(1)
        .filter((l) => l.trim() !== '')
        .map((l) => l.replace(/["\r]/g, '').split(','));
      const expected: { start: number; end: number }[] = [];
      let open: { start: number; end: number } | undefined;
      for (const [ts, , label] of rows) {
        if (label === '1') {
          const t = Date.parse(ts);
          open = open === undefined ? { start: t, end: t } : { start: open.start, end: t };
        } else if (open !== undefined) {
          expected.push(open);
          open = undefined;
        }
      }
      if (open !== undefined) expected.push(open);

      const result = await importAll(file, { mapping });
      expect(result.labelWindows).toEqual(expected);
      expect(result.labelPoints).toHaveLength(rows.length);
      expect(result.labelPoints.filter((p) => p.label === 1)).toHaveLength(rows.filter((r) => r[2] === '1').length);
      // By default the label is not a tag.
      expect(result.records.every((r) => !('label' in r.tags))).toBe(true);
    },
  );

  it('api-01 has the 19 labelled spike episodes the dataset README describes', async () => {
    const result = await importAll(path.join(MS, 'ecommerce-api-incoming-rps/api-01.csv'), { mapping });
    expect(result.labelWindows).toHaveLength(19);
  });

  it('reads quoted, CRLF Microsoft files (mongo-01) the same as unquoted ones', async () => {
    const { records } = await importAll(path.join(MS, 'mongodb-application-rps/mongo-01.csv'), { mapping });
    expect(records[0]).toEqual({
      ts: Date.UTC(2018, 3, 25),
      source: 'dataset',
      metric: 'value',
      value: 6034.73333333333,
      tags: {},
    });
    expect(records[records.length - 1].ts).toBe(Date.UTC(2018, 4, 5, 23, 59));
  });

  it('keeps the label as a tag when labelTag is configured', async () => {
    const result = await importAll(path.join(MS, 'mongodb-application-rps/mongo-03.csv'), {
      mapping: { source: 'mongo-03', metric: 'requests', tags: { tenant: 't3' }, labelTag: 'label' },
    });
    const labelled = result.records.filter((r) => r.tags.label === '1');
    expect(labelled.length).toBe(result.labelPoints.filter((p) => p.label === 1).length);
    expect(labelled.length).toBeGreaterThan(0);
    expect(result.records.every((r) => r.tags.tenant === 't3' && (r.tags.label === '0' || r.tags.label === '1'))).toBe(
      true,
    );
  });
});
