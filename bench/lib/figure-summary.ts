/**
 * From recorded runs to the figures the docs quote: every figure is the range (min–max) of
 * one value over the runs that measured it, with the number of runs and their load, and
 * the docs' figure tables are rendered from those ranges — so a number in the README is in
 * some result file, and a range says how many runs stand behind it.
 */

export type Json = Record<string, unknown>;

/** A recorded run: its file name (its ISO time) and its contents. */
export type Run = readonly [file: string, result: Json];

export interface FigureSpec {
  /** Name used in the tables' placeholders, e.g. `engine.tumbling`. */
  id: string;
  /** The bench whose runs hold it: bench/results/<bench>/. */
  bench: string;
  /** The value in one run, or undefined when that run does not record it. */
  value: (r: Json) => number | undefined;
  /** How the value reads: events/s as 1.21M, bytes, ms, a ratio (×), or a plain number. */
  unit: 'perSec' | 'bytes' | 'ms' | 'ratio' | 'count';
  /** Runs before this ISO time measured code that has changed since (said where the figure is quoted). */
  since?: string;
  /** Only runs at the bench's full size count (a --quick run records smaller sizes). */
  select?: (r: Json) => boolean;
  /** The aim, if any: a run meets it when its value is at least / at most this. */
  aim?: { atLeast?: number; atMost?: number };
}

export interface FigureSummary {
  id: string;
  runs: number;
  min: number;
  max: number;
  /** Runs that meet the aim (undefined without an aim). */
  met?: number;
  /** Range of the 1-minute load average over the runs that recorded one (older runs may not have). */
  load?: [number, number];
  /** How many of the runs recorded their load. */
  loadRuns: number;
  /** ISO times of the first and last run. */
  first: string;
  last: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A nested number, e.g. at(r, 'pipeline', 'eventsPerSec'); undefined when absent. */
export function at(r: Json, ...path: string[]): number | undefined {
  let v: unknown = r;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Json)[k] : undefined;
  return num(v);
}

/** The run's time: machine.at, recorded by every run (migrated ones say where theirs came from). */
export function runTime(r: Json): string {
  const m = r.machine as Json | undefined;
  return typeof m?.at === 'string' ? m.at : '';
}

function load1(r: Json): number | undefined {
  const la = (r.machine as Json | undefined)?.loadAverage;
  return Array.isArray(la) ? num(la[0]) : undefined;
}

/** The figure over the given runs of its bench; undefined when no run records it. */
export function summariseFigure(spec: FigureSpec, runs: readonly Run[]): FigureSummary | undefined {
  const taken = runs
    .map(([, r]) => r)
    .filter((r) => (spec.since === undefined || runTime(r) >= spec.since) && (spec.select?.(r) ?? true))
    .map((r) => ({ r, v: spec.value(r) }))
    .filter((x): x is { r: Json; v: number } => x.v !== undefined && Number.isFinite(x.v));
  if (taken.length === 0) return undefined;
  const values = taken.map((x) => x.v);
  const loads = taken.map((x) => load1(x.r)).filter((x): x is number => x !== undefined);
  const times = taken.map((x) => runTime(x.r)).sort();
  const aim = spec.aim;
  return {
    id: spec.id,
    runs: taken.length,
    min: Math.min(...values),
    max: Math.max(...values),
    met:
      aim === undefined
        ? undefined
        : values.filter(
            (v) => (aim.atLeast === undefined || v >= aim.atLeast) && (aim.atMost === undefined || v <= aim.atMost),
          ).length,
    load: loads.length === 0 ? undefined : [Math.min(...loads), Math.max(...loads)],
    loadRuns: loads.length,
    first: times[0],
    last: times[times.length - 1],
  };
}

/** One value as the docs write it: 1.21M, 842 B, 63.2 ms, 0.36×. */
export function formatValue(x: number, unit: FigureSpec['unit']): string {
  switch (unit) {
    case 'perSec':
      return x >= 1e6
        ? `${(x / 1e6).toFixed(2)}M`
        : x >= 1e3
          ? `${(x / 1e3).toFixed(x >= 1e5 ? 0 : 1)}k`
          : x.toFixed(0);
    case 'bytes':
      return `${x.toFixed(0)} B`;
    case 'ms':
      return `${x.toFixed(1)} ms`;
    case 'ratio':
      return `${x.toFixed(2)}×`;
    case 'count':
      return String(Math.round(x * 100) / 100);
  }
}

/** min–max, or the one value when they are equal: "1.05–4.37M", "842 B". */
export function formatRange(s: FigureSummary, unit: FigureSpec['unit']): string {
  const lo = formatValue(s.min, unit);
  const hi = formatValue(s.max, unit);
  if (lo === hi) return lo;
  // Share the unit suffix: "1.05–4.37M", "746–842 B", "0.34–0.36×".
  const suffix = /[^\d.]+$/.exec(hi)?.[0] ?? '';
  return suffix !== '' && lo.endsWith(suffix) ? `${lo.slice(0, -suffix.length)}–${hi}` : `${lo}–${hi}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "3 runs, load 0.8–12.4": the 1-minute load average (on the reference machine's 2 cores, 2 is a full machine). */
export function formatRuns(s: FigureSummary): string {
  if (s.load === undefined) return `${plural(s.runs, 'run')}, load not recorded`;
  const range =
    s.load[0].toFixed(1) === s.load[1].toFixed(1)
      ? s.load[0].toFixed(1)
      : `${s.load[0].toFixed(1)}–${s.load[1].toFixed(1)}`;
  return `${plural(s.runs, 'run')}, load ${range}${s.loadRuns < s.runs ? ` in the ${s.loadRuns} that recorded it` : ''}`;
}

/** "met", "**not met**", or "met in 2 of 3 runs". */
export function formatAim(s: FigureSummary): string {
  if (s.met === undefined) return '—';
  if (s.met === s.runs) return s.runs === 1 ? 'met' : s.runs === 2 ? 'met in both runs' : `met in all ${s.runs} runs`;
  if (s.met === 0) return '**not met**';
  return `met in ${s.met} of ${s.runs} runs`;
}

/**
 * Fills a template: `{id}` → the range, `{id#}` → runs and load, `{id!}` → whether the aim
 * was met, `{id@}` → the dates of the runs. An unknown id or a figure no run records throws:
 * a table must not quote what nothing recorded.
 */
export function fillTemplate(
  template: string,
  specs: ReadonlyMap<string, FigureSpec>,
  summaries: ReadonlyMap<string, FigureSummary>,
): string {
  return template.replace(/\{([a-z0-9.-]+)([#!@]?)\}/gi, (_m, id: string, kind: string) => {
    const spec = specs.get(id);
    if (spec === undefined) throw new Error(`unknown figure '${id}' in a table template (bench/figures.ts)`);
    const s = summaries.get(id);
    if (s === undefined) throw new Error(`no recorded run of bench/results/${spec.bench}/ records figure '${id}'`);
    if (kind === '#') return formatRuns(s);
    if (kind === '!') return formatAim(s);
    if (kind === '@')
      return s.first.slice(0, 10) === s.last.slice(0, 10)
        ? s.first.slice(0, 10)
        : `${s.first.slice(0, 10)} to ${s.last.slice(0, 10)}`;
    return formatRange(s, spec.unit);
  });
}

export const BEGIN = (name: string): string =>
  `<!-- figures:${name} begin: generated by \`npx tsx bench/summarise.ts --write\` from bench/results; do not edit -->`;
export const END = (name: string): string => `<!-- figures:${name} end -->`;

/** The text between a document's markers for `name`, or undefined without them. */
export function generatedRegion(doc: string, name: string): string | undefined {
  const b = doc.indexOf(BEGIN(name));
  const e = doc.indexOf(END(name));
  if (b < 0 || e < b) return undefined;
  return doc.slice(b + BEGIN(name).length + 1, e);
}

/** The document with the region for `name` replaced (markers kept). */
export function replaceRegion(doc: string, name: string, body: string): string {
  const b = doc.indexOf(BEGIN(name));
  const e = doc.indexOf(END(name));
  if (b < 0 || e < b) throw new Error(`no markers for the '${name}' figures`);
  return `${doc.slice(0, b + BEGIN(name).length)}\n${body}${doc.slice(e)}`;
}

/** A column of a table with one row per recorded run. */
export interface RunColumn {
  title: string;
  unit: FigureSpec['unit'];
  value: (r: Json) => number | undefined;
}

/** The commit a run measured: `abc1234`, `abc1234+` with uncommitted changes, or the commit that added a migrated run. */
function runCommit(r: Json): string {
  const m = (r.machine ?? {}) as Json;
  if (typeof m.commit === 'string') return `${m.commit.slice(0, 7)}${m.dirty === true ? '+' : ''}`;
  const recordedIn = (m.migrated as Json | undefined)?.recordedIn;
  return typeof recordedIn === 'string' ? `added in ${recordedIn.slice(0, 7)}` : '—';
}

/** One row per run, oldest first: its time (UTC), load, commit, then the columns ('—' where a run lacks a value). */
export function renderRunTable(
  runs: readonly Run[],
  columns: readonly RunColumn[],
  select: (r: Json) => boolean = () => true,
): string {
  const rows = runs
    .map(([, r]) => r)
    .filter(select)
    .map((r) => {
      const load = load1(r);
      const cells = columns.map((c) => {
        const v = c.value(r);
        return v === undefined ? '—' : formatValue(v, c.unit);
      });
      return `| ${runTime(r).slice(0, 16).replace('T', ' ')} | ${load === undefined ? '—' : load.toFixed(1)} | ${runCommit(r)} | ${cells.join(' | ')} |`;
    });
  const head = `| run (UTC) | load | commit | ${columns.map((c) => c.title).join(' | ')} |`;
  const rule = `|${'---|'.repeat(columns.length + 3)}`;
  return `${[head, rule, ...rows].join('\n')}\n`;
}
