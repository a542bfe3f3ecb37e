/**
 * Summarises the recorded runs: for every figure of bench/figures.ts, min–max over the runs
 * that measured it, the number of runs, their load and dates.
 *
 *   npx tsx bench/summarise.ts            # the summary, one line per figure
 *   npx tsx bench/summarise.ts --json     # the same as JSON
 *   npx tsx bench/summarise.ts --write    # regenerate the figure tables of README.md and docs/benchmarks.md
 *   npx tsx bench/summarise.ts --check    # exit 1 when a table differs from the recorded runs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIGURES, TABLES } from './figures';
import {
  fillTemplate,
  formatRange,
  formatRuns,
  generatedRegion,
  renderRunTable,
  replaceRegion,
  summariseFigure,
  type FigureSpec,
  type FigureSummary,
} from './lib/figure-summary';
import { RESULTS_DIR, argFlag, readRuns } from './lib/results';

const ROOT = join(__dirname, '..');

/** Every figure's summary from the runs under `resultsDir`; figures no run records are absent. */
export function summariseAll(
  resultsDir = RESULTS_DIR,
  figures: readonly FigureSpec[] = FIGURES,
): Map<string, FigureSummary> {
  const runsByBench = new Map<string, ReturnType<typeof readRuns>>();
  const out = new Map<string, FigureSummary>();
  for (const spec of figures) {
    if (!runsByBench.has(spec.bench)) runsByBench.set(spec.bench, readRuns(spec.bench, resultsDir));
    const s = summariseFigure(spec, runsByBench.get(spec.bench) ?? []);
    if (s !== undefined) out.set(spec.id, s);
  }
  return out;
}

/** Each table as the recorded runs render it: [table, the region's expected text, the document's]. */
export function renderTables(
  resultsDir = RESULTS_DIR,
  root = ROOT,
): Array<{ name: string; file: string; expected: string; actual: string | undefined }> {
  const specs = new Map(FIGURES.map((f) => [f.id, f]));
  const summaries = summariseAll(resultsDir);
  return TABLES.map((t) => ({
    name: t.name,
    file: t.file,
    expected:
      'template' in t
        ? fillTemplate(t.template, specs, summaries)
        : renderRunTable(readRuns(t.bench, resultsDir), t.columns, t.select),
    actual: generatedRegion(readFileSync(join(root, t.file), 'utf8'), t.name),
  }));
}

function main(): void {
  if (argFlag('write') || argFlag('check')) {
    let stale = 0;
    for (const t of renderTables()) {
      if (t.actual === t.expected) continue;
      stale++;
      if (argFlag('write')) {
        const path = join(ROOT, t.file);
        writeFileSync(path, replaceRegion(readFileSync(path, 'utf8'), t.name, t.expected));
        console.log(`rewrote the '${t.name}' figures in ${t.file}`);
      } else {
        console.error(
          `${t.file}: the '${t.name}' figures differ from the recorded runs; run npx tsx bench/summarise.ts --write`,
        );
      }
    }
    if (argFlag('check') && stale > 0) process.exitCode = 1;
    return;
  }
  const summaries = summariseAll();
  if (argFlag('json')) {
    console.log(JSON.stringify(Object.fromEntries(summaries), null, 2));
    return;
  }
  for (const spec of FIGURES) {
    const s = summaries.get(spec.id);
    const line =
      s === undefined
        ? 'no recorded run'
        : `${formatRange(s, spec.unit)}  (${formatRuns(s)}; ${s.first.slice(0, 16)} … ${s.last.slice(0, 16)})`;
    console.log(`${spec.id.padEnd(28)} ${line}`);
  }
}

if (require.main === module) main();
