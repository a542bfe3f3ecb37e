/**
 * Which CSV columns hold the timestamp, value and label: recognised from the header for the two
 * public datasets (NAB `timestamp,value`; Microsoft cloud monitoring `TimeStamp,Value,Label`), or
 * named by the caller for any other CSV.
 */
import { ConfigError, type ErrorCode } from '../errors';
import { splitCsvLine } from './csv-fields';
import { parseTimestamp, TIMESTAMP_SHAPES } from './timestamp';
import type { CsvColumn, CsvOptions } from './types';

export interface CsvLayout {
  format: 'nab' | 'microsoft' | 'csv';
  tsIndex: number;
  valueIndex: number;
  /** -1 when there is no label column. */
  labelIndex: number;
  /** Exact field count each row must have (the header's), or undefined without a header. */
  columns: number | undefined;
  /** Smallest field count that reaches every used column. */
  minColumns: number;
  /** Numeric timestamps are accepted only for generic CSV, where the caller chose the unit. */
  epochUnit: 'ms' | 's' | undefined;
}

export interface CsvRow {
  ts: number;
  value: number;
  /** -1 when the layout has no label column. */
  label: number;
}

export interface CsvRowError {
  reason: string;
  code: ErrorCode;
}

function layoutOf(
  format: CsvLayout['format'],
  ts: number,
  value: number,
  label: number,
  columns: number | undefined,
  epochUnit: CsvLayout['epochUnit'],
): CsvLayout {
  return {
    format,
    tsIndex: ts,
    valueIndex: value,
    labelIndex: label,
    columns,
    minColumns: Math.max(ts, value, label) + 1,
    epochUnit,
  };
}

/** Whether the caller asked for generic CSV (named columns) rather than header detection. */
export function isGenericCsv(csv: CsvOptions | undefined): boolean {
  return (
    csv !== undefined && (csv.timestampColumn !== undefined || csv.valueColumn !== undefined || csv.header === false)
  );
}

/** `header` is the split first line (undefined when `csv.header` is false). Throws ConfigError when no layout fits. */
export function detectCsvLayout(header: readonly string[] | undefined, csv: CsvOptions | undefined): CsvLayout {
  const names = header?.map((h) => h.trim());
  if (!isGenericCsv(csv)) {
    const lower = names?.map((h) => h.toLowerCase()).join(',');
    if (lower === 'timestamp,value') return layoutOf('nab', 0, 1, -1, 2, undefined);
    if (lower === 'timestamp,value,label') return layoutOf('microsoft', 0, 1, 2, 3, undefined);
    throw new ConfigError([
      `line 1: header '${(names ?? []).join(',')}' is neither NAB (timestamp,value) nor Microsoft (TimeStamp,Value,Label); ` +
        'name the columns with csv.timestampColumn and csv.valueColumn (CLI: --ts-column, --value-column)',
    ]);
  }
  const opts = csv ?? {};
  const issues: string[] = [];
  const resolve = (key: string, col: CsvColumn | undefined, fallback: CsvColumn | undefined): number => {
    const c = col ?? fallback;
    if (c === undefined) return -1;
    if (typeof c === 'number') {
      if (!Number.isInteger(c) || c < 0) issues.push(`csv.${key} ${c} must be a 0-based column index or a header name`);
      else if (names !== undefined && c >= names.length)
        issues.push(`csv.${key} ${c} is past the header's ${names.length} columns`);
      return c;
    }
    if (names === undefined) {
      issues.push(`csv.${key} '${c}' is a name but csv.header is false; give a 0-based column index`);
      return -1;
    }
    let idx = names.indexOf(c);
    if (idx < 0) idx = names.findIndex((h) => h.toLowerCase() === c.toLowerCase());
    if (idx < 0) issues.push(`csv.${key} '${c}' is not in the header (${names.join(',')})`);
    return idx;
  };
  const ts = resolve('timestampColumn', opts.timestampColumn, names === undefined ? undefined : 'timestamp');
  const value = resolve('valueColumn', opts.valueColumn, names === undefined ? undefined : 'value');
  const label = resolve('labelColumn', opts.labelColumn, undefined);
  if (opts.timestampColumn === undefined && names === undefined)
    issues.push('csv.timestampColumn is required when csv.header is false');
  if (opts.valueColumn === undefined && names === undefined)
    issues.push('csv.valueColumn is required when csv.header is false');
  if (issues.length > 0) throw new ConfigError(issues);
  return layoutOf('csv', ts, value, label, names?.length, opts.epochUnit ?? 'ms');
}

/**
 * Strict decimal number: `[+-]digits[.digits][e[+-]digits]`, surrounding blanks allowed. A scanner
 * rather than Number() alone, which takes '' and ' ' as 0, '0x1f' as 31 and 'Infinity' as a value;
 * rather than a regex because it runs once per row.
 */
export function parseDecimal(text: string): number {
  const n = text.length;
  let i = 0;
  while (i < n && text.charCodeAt(i) <= 32) i++;
  let end = n;
  while (end > i && text.charCodeAt(end - 1) <= 32) end--;
  let c = text.charCodeAt(i);
  if (c === 43 /* + */ || c === 45 /* - */) c = text.charCodeAt(++i);
  let digits = 0;
  while (c >= 48 && c <= 57) {
    digits++;
    c = text.charCodeAt(++i);
  }
  if (c === 46 /* . */) {
    c = text.charCodeAt(++i);
    while (c >= 48 && c <= 57) {
      digits++;
      c = text.charCodeAt(++i);
    }
  }
  if (digits === 0) return NaN;
  if ((c === 101 /* e */ || c === 69) && i < end) {
    c = text.charCodeAt(++i);
    if (c === 43 || c === 45) c = text.charCodeAt(++i);
    let exp = 0;
    while (c >= 48 && c <= 57) {
      exp++;
      c = text.charCodeAt(++i);
    }
    if (exp === 0) return NaN;
  }
  return i === end ? Number(text) : NaN;
}

/**
 * Reads one data line. Lines without quotes (all NAB rows, many Microsoft ones) are read by slicing
 * the wanted columns out directly, without building an array of every field.
 * A row with one bad field is rejected whole: half a sample is no sample.
 */
export function parseCsvRow(layout: CsvLayout, line: string): CsvRow | CsvRowError {
  let tsText = '';
  let valueText = '';
  let labelText = '';
  let n: number;
  if (line.indexOf('"') < 0) {
    let start = 0;
    let col = 0;
    for (;;) {
      const comma = line.indexOf(',', start);
      const end = comma < 0 ? line.length : comma;
      if (col === layout.tsIndex) tsText = line.slice(start, end);
      else if (col === layout.valueIndex) valueText = line.slice(start, end);
      else if (col === layout.labelIndex) labelText = line.slice(start, end);
      col++;
      if (comma < 0) break;
      start = comma + 1;
    }
    n = col;
  } else {
    const fields = splitCsvLine(line);
    if (typeof fields === 'string') return { reason: fields, code: 'INVALID_FIELD' };
    n = fields.length;
    tsText = fields[layout.tsIndex] ?? '';
    valueText = fields[layout.valueIndex] ?? '';
    labelText = layout.labelIndex >= 0 ? (fields[layout.labelIndex] ?? '') : '';
  }
  if (layout.columns !== undefined ? n !== layout.columns : n < layout.minColumns) {
    const want = layout.columns ?? `at least ${layout.minColumns}`;
    return { reason: `expected ${want} columns, found ${n}`, code: 'MISSING_FIELD' };
  }
  const ts = parseTimestamp(tsText, layout.epochUnit);
  if (Number.isNaN(ts)) {
    return { reason: `timestamp '${tsText}' is not a date-time (expected ${TIMESTAMP_SHAPES})`, code: 'INVALID_FIELD' };
  }
  const value = parseDecimal(valueText);
  if (Number.isNaN(value)) return { reason: `value '${valueText}' is not a number`, code: 'INVALID_FIELD' };
  if (!Number.isFinite(value)) return { reason: `value '${valueText}' is not finite`, code: 'NON_FINITE_VALUE' };
  let label = -1;
  if (layout.labelIndex >= 0) {
    const trimmed = labelText.trim();
    if (trimmed === '0') label = 0;
    else if (trimmed === '1') label = 1;
    else return { reason: `label '${trimmed}' is not 0 or 1`, code: 'INVALID_FIELD' };
  }
  return { ts, value, label };
}
