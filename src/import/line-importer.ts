/**
 * The pure core of the importer: `(state, line) => { state, event }`, no I/O. The state only
 * changes on the first non-blank line (format and CSV layout) and on the first record (the
 * rebase offset), so replaying the same lines always yields the same events.
 */
import { ConfigError, type ErrorCode } from '../errors';
import type { Telemetry } from '../model/telemetry';
import { detectCsvLayout, isGenericCsv, parseCsvRow, type CsvLayout } from './csv-layout';
import { splitCsvLine } from './csv-fields';
import { parseJsonlLine, type JsonlDefaults } from './jsonl-line';
import { resolveImportOptions, type ResolvedImportOptions } from './options';
import type { ImportEvent, ImportFormat, ImportOptions } from './types';

export interface LineImportState {
  readonly options: ResolvedImportOptions;
  readonly format: ImportFormat | undefined;
  readonly layout: CsvLayout | undefined;
  /** Offset added to every ts; undefined until the first record when rebasing. */
  readonly shiftMs: number | undefined;
}

export interface LineImportStep {
  state: LineImportState;
  /** Undefined for the header and for blank lines. */
  event: ImportEvent | undefined;
}

/** Validates the options (throws ConfigError) and returns the state before line 1. */
export function createLineImportState(options: ImportOptions): LineImportState {
  const resolved = resolveImportOptions(options);
  return {
    options: resolved,
    format: undefined,
    layout: undefined,
    shiftMs: resolved.rebaseTo === undefined ? 0 : undefined,
  };
}

function isBlank(text: string): boolean {
  return text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '');
}

function error(line: number, reason: string, raw: string, code: ErrorCode): ImportEvent {
  return { kind: 'error', line, reason, raw, code };
}

/** Handles one physical line (1-based `line`, terminator already removed). */
export function importLine(state: LineImportState, line: number, text: string): LineImportStep {
  if (isBlank(text)) return { state, event: undefined };
  if (state.format === undefined) return startFormat(state, line, text);
  if (state.layout !== undefined) return csvLine(state, state.layout, line, text);
  return jsonlLine(state, line, text);
}

function startFormat(state: LineImportState, line: number, text: string): LineImportStep {
  const opts = state.options;
  const jsonl = opts.format === 'jsonl' || (opts.format === 'auto' && text.trimStart().charCodeAt(0) === 123); /* { */
  if (jsonl) return jsonlLine({ ...state, format: 'jsonl' }, line, text);

  const m = opts.mapping;
  if (m === undefined) {
    throw new ConfigError([
      'mapping is required for CSV input: give mapping.source and mapping.metric (--source, --metric)',
    ]);
  }
  if (opts.csv?.header === false) {
    const layout = detectCsvLayout(undefined, opts.csv);
    return csvLine({ ...state, format: layout.format, layout }, layout, line, text);
  }
  const header = splitCsvLine(text);
  if (typeof header === 'string') throw new ConfigError([`line ${line}: the CSV header cannot be read: ${header}`]);
  const layout = detectCsvLayout(header, isGenericCsv(opts.csv) ? opts.csv : undefined);
  return { state: { ...state, format: layout.format, layout }, event: undefined };
}

/** Applies scale and time shift; fixes the shift on the first record when rebasing. */
function finish(state: LineImportState, line: number, text: string, record: Telemetry, label: number): LineImportStep {
  let next = state;
  let shift = state.shiftMs;
  if (shift === undefined) {
    shift = (state.options.rebaseTo ?? record.ts) - record.ts;
    next = { ...state, shiftMs: shift };
  }
  const scale = state.options.valueScale;
  if (scale !== 1) {
    const scaled = record.value * scale;
    if (!Number.isFinite(scaled)) {
      return {
        state,
        event: error(line, `value ${record.value} times valueScale ${scale} is not finite`, text, 'NON_FINITE_VALUE'),
      };
    }
    record.value = scaled;
  }
  if (shift !== 0) {
    record.ts += shift;
    if (!Number.isSafeInteger(record.ts))
      return { state, event: error(line, `shifted ts ${record.ts} is out of range`, text, 'TS_OUT_OF_RANGE') };
  }
  return { state: next, event: label < 0 ? { kind: 'record', record, line } : { kind: 'record', record, line, label } };
}

function csvLine(state: LineImportState, layout: CsvLayout, line: number, text: string): LineImportStep {
  const row = parseCsvRow(layout, text);
  if ('reason' in row) return { state, event: error(line, row.reason, text, row.code) };
  // createLineImportState + startFormat guarantee a mapping once a CSV layout exists.
  const m = state.options.mapping as NonNullable<ResolvedImportOptions['mapping']>;
  const tags: Record<string, string> = { ...m.tags };
  const labelTag = state.options.labelTag;
  if (labelTag !== undefined && row.label >= 0) tags[labelTag] = row.label === 1 ? '1' : '0';
  return finish(
    state,
    line,
    text,
    { ts: row.ts, source: m.source, metric: m.metric, value: row.value, tags },
    row.label,
  );
}

function jsonlDefaults(state: LineImportState): JsonlDefaults {
  const m = state.options.mapping;
  return { source: m?.source, metric: m?.metric, tags: m?.tags ?? {} };
}

function jsonlLine(state: LineImportState, line: number, text: string): LineImportStep {
  const parsed = parseJsonlLine(text, jsonlDefaults(state));
  if ('reason' in parsed) return { state, event: error(line, parsed.reason, text, parsed.code) };
  return finish(state, line, text, parsed, -1);
}
