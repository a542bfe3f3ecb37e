/**
 * Public types of the telemetry importer (CSV / JSONL files → Telemetry records).
 * See docs/import.md for the formats and the behaviour these types describe.
 */
import type { ErrorCode } from '../errors';
import type { Telemetry } from '../model/telemetry';

/** How each row of a file becomes a Telemetry record (`--source api-01 --metric requests --tag service=api`). */
export interface ImportMapping {
  /** Emitting entity written into every record. Required for CSV; for JSONL a default for lines without `source`. */
  source: string;
  /** Metric name written into every record. Required for CSV; for JSONL a default for lines without `metric`. */
  metric: string;
  /** Tags added to every record. For JSONL a line's own tags win over these. Default `{}`. */
  tags: Record<string, string>;
  /** Every value is multiplied by this (unit conversion, e.g. 0.01 for percent → 0..1). Default 1. */
  valueScale?: number;
  /**
   * When set, a CSV label column (Microsoft `Label`) is also kept as this tag on every record
   * (`label=0` / `label=1`). Default: unset, the label is only exposed on the record event.
   */
  labelTag?: string;
}

/** Which parser a file went through; `nab` and `microsoft` are recognised from the CSV header. */
export type ImportFormat = 'nab' | 'microsoft' | 'csv' | 'jsonl';

/** A column by header name or by 0-based index. */
export type CsvColumn = string | number;

/** Options for CSV files that are neither NAB nor Microsoft shaped. */
export interface CsvOptions {
  /** Timestamp column; setting it (or `valueColumn`) switches off header auto-detection. */
  timestampColumn?: CsvColumn;
  /** Value column. */
  valueColumn?: CsvColumn;
  /** Optional 0/1 anomaly label column. */
  labelColumn?: CsvColumn;
  /** Whether line 1 is a header. Default true; without a header, columns must be indexes. */
  header?: boolean;
  /** Unit of purely numeric timestamps in CSV files. Default `'ms'`. */
  epochUnit?: 'ms' | 's';
}

export interface ImportOptions {
  /** Required for CSV (source and metric); optional defaults for JSONL. */
  mapping?: ImportMapping;
  /** Default `'auto'`: JSONL when the first non-blank line starts with `{`, CSV otherwise. */
  format?: 'auto' | 'csv' | 'jsonl';
  csv?: CsvOptions;
  /**
   * Shift every timestamp by one offset so that the first imported record lands on this epoch ms
   * (`--shift-to`). The offset is reported as `ImportProgress.shiftMs` so label windows can follow.
   */
  rebaseTo?: number;
  /** Called after each chunk read and once at the end (`done: true`). */
  onProgress?: (progress: ImportProgress) => void;
  /** Size of the input for the progress bar when it is a stream (files are stat'ed). */
  totalBytes?: number;
  /** Lines longer than this many characters are reported as errors and skipped. Default 1 MiB. */
  maxLineLength?: number;
  /** Read size when opening a file path. Default 1 MiB. */
  chunkSize?: number;
}

export interface ImportProgress {
  bytesRead: number;
  /** Undefined when the input is a stream whose size was not given. */
  totalBytes: number | undefined;
  /** Physical lines seen so far, header and blank lines included. */
  lines: number;
  records: number;
  errors: number;
  /** Undefined until the first non-blank line. */
  format: ImportFormat | undefined;
  /** Offset added to every timestamp (`rebaseTo` − first record's ts); 0 when not rebasing. */
  shiftMs: number;
  done: boolean;
}

export interface ImportRecordEvent {
  kind: 'record';
  record: Telemetry;
  /** 1-based physical line number in the file (the header is line 1). */
  line: number;
  /** The row's anomaly label (0 or 1) when the file has a label column. */
  label?: number;
}

export interface ImportErrorEvent {
  kind: 'error';
  /** 1-based physical line number in the file. */
  line: number;
  /** Why the row was skipped, e.g. `value 'abc' is not a number`. */
  reason: string;
  /** The offending line as read (without its line terminator; truncated when over maxLineLength). */
  raw: string;
  /** The closest stable code from src/errors.ts, for DLQ headers and counters. */
  code: ErrorCode;
}

export type ImportEvent = ImportRecordEvent | ImportErrorEvent;

/** An inclusive labelled anomaly window in epoch ms. */
export interface LabelWindow {
  start: number;
  end: number;
}

/** One labelled point, as exposed by a record event with a label. */
export interface LabelPoint {
  ts: number;
  label: number;
}
