/**
 * The report data model: what `demo`, `replay` and `report` hand to the renderer.
 *
 * It is plain data (JSON-serialisable) so that a report can be built in one process, saved,
 * and rendered in another; the renderer is a pure function of it (same model ⇒ same bytes).
 * All strings are treated as untrusted user data and escaped on output.
 */

/** A table cell: numbers are right-aligned and formatted; `null` renders as an em dash. */
export type TableCell = string | number | null;

/** Direction in which a compared row improves. */
export type Better = 'lower' | 'higher' | 'neutral';

/**
 * Off/on comparison: two columns of the same table (e.g. "homeostat off" and "homeostat on")
 * compared row by row. The renderer appends a Δ column and highlights each candidate cell as
 * better or worse. Rows whose direction is `neutral` (the default) get a delta but no verdict,
 * so that nothing is called an improvement unless the caller said which way is better.
 */
export interface TableComparison {
  /** Column index of the reference values (e.g. "off", "baseline", "shadow"). */
  baseline: number;
  /** Column index of the values judged against the baseline (e.g. "on", "enforce"). */
  candidate: number;
  /** Per row (by index): which direction is better. Missing rows are `neutral`. */
  better?: Better[];
}

export interface Table {
  columns: string[];
  rows: TableCell[][];
  /** Footnotes shown under the table (method, caveats). */
  notes?: string[];
  compare?: TableComparison;
}

export type SeriesStyle = 'line' | 'step' | 'area';

/** An `[x, y]` pair: x in epoch milliseconds (UTC); y may be NaN to leave a gap. */
export type Point = readonly [number, number];

export interface Series {
  name: string;
  points: readonly Point[];
  /** Default `line`. `step` holds each value until the next point (step-after), for settings. */
  style?: SeriesStyle;
  /** A CSS colour (`#rgb`, `#rrggbb`, `rgb()/hsl()` or a named colour); default from the palette. */
  color?: string;
}

/** A horizontal reference line (e.g. high/low watermark), drawn dashed. */
export interface Threshold {
  name: string;
  value: number;
  color?: string;
}

/**
 * Well-known marker kinds have their own shape and colour; any other string is accepted
 * and drawn as a neutral grey marker (the `string & {}` keeps editor completion for the known ones).
 */
export type MarkerKind =
  | 'set'
  | 'revert'
  | 'renew'
  | 'blocked'
  | 'shadow'
  | 'escalated'
  | 'expired'
  | 'outcome-improved'
  | 'outcome-worsened'
  | 'outcome-unchanged'
  | (string & Record<never, never>);

/** A point event on the time axis, e.g. a command; drawn as a small glyph with a tooltip. */
export interface Marker {
  x: number;
  label: string;
  kind: MarkerKind;
  /** Extra tooltip text (reason, evidence, command id). */
  detail?: string;
}

export type SpanKind = 'lease' | 'incident' | 'outage' | 'window' | (string & Record<never, never>);

/** A shaded time interval, e.g. a lease or a labelled incident window. */
export interface Span {
  start: number;
  end: number;
  label: string;
  kind: SpanKind;
}

export interface Chart {
  title: string;
  yLabel: string;
  /** `time`: epoch ms, shown in UTC; `linear`: plain numbers (a trade-off chart). */
  xType: 'time' | 'linear';
  series: Series[];
  thresholds?: Threshold[];
  markers?: Marker[];
  spans?: Span[];
  /** Fix the y range; otherwise it is derived from the data and thresholds and rounded to nice ticks. */
  yMin?: number;
  yMax?: number;
  /** Logarithmic y axis; values ≤ 0 are not drawn. */
  logY?: boolean;
}

export interface Section {
  title: string;
  description?: string;
  table?: Table;
  charts: Chart[];
}

export interface Report {
  title: string;
  /** Where the data came from: "demo", "replay of recordings/x.jsonl", ... */
  generatedFrom: string;
  summary?: Table;
  sections: Section[];
}

/**
 * How well actions line up with labelled incident windows (NAB / Microsoft labels).
 * Render it with `scoringTable()`.
 */
export interface ScoringSummary {
  /** Labelled incident windows in the data. */
  windows: number;
  /** Windows in which at least one enforcing action was taken. */
  windowsActedOn: number;
  /** Mean time from window start to the first action in it (ms); undefined when none acted on. */
  meanDelayMs?: number;
  /** Mean time the first action preceded the window's end (ms); undefined when none acted on. */
  meanLeadMs?: number;
  /** Actions taken outside every labelled window (candidate false positives). */
  actionsOutsideWindows: number;
  /** Total actions considered. */
  actions?: number;
}
