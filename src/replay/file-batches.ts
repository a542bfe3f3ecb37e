/**
 * Telemetry files as batches of replay inputs: the importer's pure line core
 * (createLineImportState / importLine, the same parsing `homeostat import` does) driven chunk
 * by chunk, one array of inputs per chunk read. Handing the pipeline a batch per chunk instead
 * of one async-iterator step per record removes a promise hop per record, which cost more than
 * parsing the record (bench/replay.ts measures both).
 *
 * Each file is one synthetic partition; an input's offset is its 0-based line index, so a dead
 * letter names the line it came from. Lines that do not import become invalid inputs.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { validateTelemetry, type TelemetryLimits } from '../codec';
import { HomeostatError } from '../errors';
import { createLineImportState, importLine, type ImportOptions } from './import';
import { createLineSplitter, type SplitLine } from './import/line-splitter';
import type { ReplayInput } from './replay';

export interface FileBatchOptions {
  /** Import options (default: JSONL telemetry, as `homeostat import` writes it). */
  import?: ImportOptions;
  /**
   * The processor's record limits (config `limits`, resolveTelemetryLimits): a record the live
   * processor would dead-letter (ts out of range, too many tags, ...) is an invalid input here
   * too. Default: not checked. The byte-size limit is a wire-format limit and is not applied.
   */
  limits?: TelemetryLimits;
  /** After each chunk: bytes read so far and the file size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** The replay inputs of one file, one array per chunk read (arrays may be empty). */
export async function* fileBatches(file: string, partition: number, options: FileBatchOptions = {}): AsyncGenerator<ReplayInput[]> {
  let state = createLineImportState({ format: 'jsonl', ...options.import });
  const { chunkSize, maxLineLength } = state.options;
  let total: number;
  try {
    total = (await stat(file)).size;
  } catch (err) {
    throw new HomeostatError('USAGE', `cannot read replay input ${file}: ${(err as Error).message}`, { cause: err });
  }
  const splitter = createLineSplitter(maxLineLength);
  const limits = options.limits;
  let line = 0;
  let bytesRead = 0;
  const handle = (lines: readonly SplitLine[]): ReplayInput[] => {
    const out: ReplayInput[] = [];
    for (let i = 0; i < lines.length; i++) {
      const piece = lines[i];
      line++;
      const offset = line - 1;
      if (piece.tooLong) {
        out.push({ partition, offset, invalid: { code: 'RECORD_TOO_LARGE', message: `${file}:${line}: line is longer than ${maxLineLength} characters` } });
        continue;
      }
      const step = importLine(state, line, piece.text);
      state = step.state;
      const ev = step.event;
      if (ev === undefined) continue;
      if (ev.kind === 'record') {
        const checked = limits === undefined ? ev.record : validateTelemetry(ev.record as unknown as Record<string, unknown>, limits);
        if (checked instanceof HomeostatError) out.push({ partition, offset, invalid: { code: checked.code, message: `${file}:${ev.line}: ${checked.message}`, field: checked.field } });
        else out.push({ partition, offset, record: checked });
      } else out.push({ partition, offset, invalid: { code: ev.code, message: `${file}:${ev.line}: ${ev.reason}` } });
    }
    return out;
  };
  const stream = createReadStream(file, { highWaterMark: chunkSize });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytesRead += chunk.length;
    const batch = handle(splitter.push(chunk));
    options.onProgress?.(bytesRead, total);
    yield batch;
  }
  yield handle(splitter.end());
}
