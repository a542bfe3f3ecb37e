/**
 * The streaming edge of the importer: reads a file path or a Readable chunk by chunk, feeds each
 * physical line through the pure line importer and yields its events. Malformed rows become error
 * events and the import goes on; only unusable options or an unrecognisable header throw.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { HomeostatError } from '../errors';
import type { Telemetry } from '../model/telemetry';
import { createLineImportState, importLine, type LineImportState } from './line-importer';
import { createLineSplitter, type SplitLine } from './line-splitter';
import { labelWindowsFromPoints } from './labels';
import type {
  ImportErrorEvent,
  ImportEvent,
  ImportFormat,
  ImportOptions,
  ImportProgress,
  LabelPoint,
  LabelWindow,
} from './types';

/** A file path, or any Readable of bytes or strings (e.g. process.stdin). */
export type ImportInput = string | Readable;

/**
 * Streams the records and row errors of a CSV or JSONL file, in file order. Options are checked
 * now (throws ConfigError); a missing file or an unknown CSV header throws on the first `next()`.
 * Breaking out of the loop early closes the input.
 */
export function importRecords(input: ImportInput, options: ImportOptions = {}): AsyncIterable<ImportEvent> {
  const initial = createLineImportState(options);
  return run(input, initial, options.onProgress);
}

async function openInput(
  input: ImportInput,
  state: LineImportState,
): Promise<{ stream: Readable; total: number | undefined }> {
  const { chunkSize, totalBytes } = state.options;
  if (typeof input !== 'string') return { stream: input, total: totalBytes };
  try {
    const info = await stat(input);
    return { stream: createReadStream(input, { highWaterMark: chunkSize }), total: totalBytes ?? info.size };
  } catch (err) {
    throw new HomeostatError(
      'USAGE',
      `cannot read import file ${input}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

async function* run(
  input: ImportInput,
  initial: LineImportState,
  onProgress: ImportOptions['onProgress'],
): AsyncGenerator<ImportEvent> {
  const { stream, total } = await openInput(input, initial);
  const splitter = createLineSplitter(initial.options.maxLineLength);
  let state = initial;
  let line = 0;
  let bytesRead = 0;
  let records = 0;
  let errors = 0;
  const report = (done: boolean): void => {
    if (onProgress === undefined) return;
    const progress: ImportProgress = {
      bytesRead,
      totalBytes: total,
      lines: line,
      records,
      errors,
      format: state.format,
      shiftMs: state.shiftMs ?? 0,
      done,
    };
    onProgress(progress);
  };

  // Each chunk's lines are handled in one synchronous loop and their events yielded from an array:
  // delegating to a sync generator from an async one would cost extra promise hops per line.
  const handle = (lines: SplitLine[]): ImportEvent[] => {
    const events: ImportEvent[] = [];
    for (let i = 0; i < lines.length; i++) {
      const piece = lines[i];
      line += 1;
      let event: ImportEvent | undefined;
      if (piece.tooLong) {
        event = tooLong(line, piece.text, state.options.maxLineLength);
      } else {
        const step = importLine(state, line, piece.text);
        state = step.state;
        event = step.event;
      }
      if (event === undefined) continue;
      if (event.kind === 'record') records += 1;
      else errors += 1;
      events.push(event);
    }
    return events;
  };

  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    for (const event of handle(splitter.push(chunk))) yield event;
    report(false);
  }
  for (const event of handle(splitter.end())) yield event;
  report(true);
}

function tooLong(line: number, head: string, max: number): ImportErrorEvent {
  return {
    kind: 'error',
    line,
    reason: `line is longer than ${max} characters (maxLineLength)`,
    raw: head,
    code: 'RECORD_TOO_LARGE',
  };
}

/** Everything one import produced, for callers that want it in memory (tests, small files, reports). */
export interface ImportResult {
  records: Telemetry[];
  errors: ImportErrorEvent[];
  /** Points of the file's label column (Microsoft `Label`), shifted like the records; empty without one. */
  labelPoints: LabelPoint[];
  /** Contiguous runs of label 1 as windows (see labelWindowsFromPoints). */
  labelWindows: LabelWindow[];
  format: ImportFormat | undefined;
  /** Offset that was added to every ts (0 unless rebaseTo was given). */
  shiftMs: number;
  lines: number;
}

/** Runs importRecords to the end and collects its output. */
export async function importAll(input: ImportInput, options: ImportOptions = {}): Promise<ImportResult> {
  const records: Telemetry[] = [];
  const errors: ImportErrorEvent[] = [];
  const labelPoints: LabelPoint[] = [];
  // A holder object: TypeScript does not see assignments made inside the callback.
  const seen: { last?: ImportProgress } = {};
  const user = options.onProgress;
  const onProgress = (p: ImportProgress): void => {
    seen.last = p;
    if (user !== undefined) user(p);
  };
  for await (const ev of importRecords(input, { ...options, onProgress })) {
    if (ev.kind === 'error') {
      errors.push(ev);
      continue;
    }
    records.push(ev.record);
    if (ev.label !== undefined) labelPoints.push({ ts: ev.record.ts, label: ev.label });
  }
  return {
    records,
    errors,
    labelPoints,
    labelWindows: labelWindowsFromPoints(labelPoints),
    format: seen.last?.format,
    shiftMs: seen.last?.shiftMs ?? 0,
    lines: seen.last?.lines ?? 0,
  };
}
