/**
 * Every figure the README and docs/benchmarks.md tables quote comes from the runs recorded in
 * bench/results: the tables between the docs' markers must be exactly what the recorded runs
 * render (`npx tsx bench/summarise.ts --write` regenerates them), and the summary behind them
 * takes min–max over the runs it should.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fillTemplate,
  formatAim,
  formatRange,
  formatRuns,
  generatedRegion,
  replaceRegion,
  summariseFigure,
  BEGIN,
  END,
  type FigureSpec,
  type Run,
} from '../../../bench/lib/figure-summary';
import { readRuns, runFileName } from '../../../bench/lib/results';
import { renderTables } from '../../../bench/summarise';

const run = (at: string, value: number | undefined, extra: Record<string, unknown> = {}): Run => [
  runFileName(new Date(at)),
  { eventsPerSec: value, n: 100, ...extra, machine: { at, loadAverage: [extra.load ?? 1, 1, 1] } },
];

const SPEC: FigureSpec = {
  id: 'x.rate',
  bench: 'x',
  unit: 'perSec',
  since: '2026-01-02T00:00:00Z',
  select: (r) => r.n === 100,
  value: (r) => (typeof r.eventsPerSec === 'number' ? r.eventsPerSec : undefined),
  aim: { atLeast: 1_500_000 },
};

describe('the docs quote what bench/results records', () => {
  it.each(renderTables().map((t) => [`${t.file} (${t.name})`, t] as const))(
    '%s matches the recorded runs',
    (_name, table) => {
      expect(table.actual).toBeDefined();
      expect(table.actual).toBe(table.expected);
    },
  );
});

describe('summariseFigure', () => {
  const runs: Run[] = [
    run('2026-01-01T10:00:00Z', 9_000_000), // before `since`: code that has changed
    run('2026-01-02T10:00:00Z', 1_200_000, { load: 3.5 }),
    run('2026-01-03T10:00:00Z', 2_000_000, { load: 0.5 }),
    run('2026-01-04T10:00:00Z', 5_000_000, { n: 10 }), // a --quick run
    run('2026-01-05T10:00:00Z', undefined), // does not record this figure
  ];

  it('takes min–max over the runs since the change, at full size, that record the value', () => {
    const s = summariseFigure(SPEC, runs);
    expect(s).toMatchObject({
      runs: 2,
      min: 1_200_000,
      max: 2_000_000,
      met: 1,
      load: [0.5, 3.5],
      first: '2026-01-02T10:00:00Z',
      last: '2026-01-03T10:00:00Z',
    });
    expect(formatRange(s!, 'perSec')).toBe('1.20–2.00M');
    expect(formatRuns(s!)).toBe('2 runs, load 0.5–3.5');
    expect(formatAim(s!)).toBe('met in 1 of 2 runs');
  });

  it('is undefined when no run records the figure, and a table quoting it refuses to render', () => {
    expect(summariseFigure(SPEC, runs.slice(0, 1))).toBeUndefined();
    const specs = new Map([[SPEC.id, SPEC]]);
    expect(() => fillTemplate('{x.rate}', specs, new Map())).toThrow(/no recorded run/);
    expect(() => fillTemplate('{y.rate}', specs, new Map())).toThrow(/unknown figure 'y.rate'/);
  });

  it('fills ranges, runs and aims into a template', () => {
    const s = summariseFigure(SPEC, runs)!;
    expect(
      fillTemplate('| {x.rate}/s ({x.rate#}) | {x.rate!} |', new Map([[SPEC.id, SPEC]]), new Map([[SPEC.id, s]])),
    ).toBe('| 1.20–2.00M/s (2 runs, load 0.5–3.5) | met in 1 of 2 runs |');
  });
});

describe('generated regions', () => {
  it('replaces only the text between its markers, and a mismatch shows', () => {
    const doc = `intro\n${BEGIN('t')}\nold table\n${END('t')}\nafter\n`;
    expect(generatedRegion(doc, 't')).toBe('old table\n');
    const next = replaceRegion(doc, 't', 'new table\n');
    expect(next).toBe(`intro\n${BEGIN('t')}\nnew table\n${END('t')}\nafter\n`);
    expect(generatedRegion(next, 't')).not.toBe(generatedRegion(doc, 't'));
    expect(generatedRegion('no markers', 't')).toBeUndefined();
  });
});

describe('recorded runs', () => {
  it('are one file per run, read back oldest first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
    try {
      mkdirSync(join(dir, 'x'));
      const later = runFileName(new Date('2026-01-02T00:00:00.5Z'));
      const earlier = runFileName(new Date('2026-01-01T23:59:59Z'));
      expect(later).toBe('20260102T000000.500Z.json');
      writeFileSync(join(dir, 'x', later), '{"v":2}');
      writeFileSync(join(dir, 'x', earlier), '{"v":1}');
      expect(readRuns('x', dir).map(([, r]) => r.v)).toEqual([1, 2]);
      expect(readRuns('missing', dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
