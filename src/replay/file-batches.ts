/**
 * Telemetry files as batches of replay inputs, one array per chunk read. Handing the pipeline
 * a batch per chunk instead of one async-iterator step per record removes a promise hop per
 * record, which cost more than parsing the record (bench/replay.ts measures both).
 *
 * The file is read as bytes in blocks of whole lines (fast-jsonl/line-blocks.ts). A line in the
 * layout homeostat writes is read by the scanner (fast-jsonl/telemetry-scanner.ts) without
 * JSON.parse; every other line — blank, CSV, foreign JSON, malformed, or a record the limits
 * refuse — is decoded and goes through the importer's pure line core (createLineImportState /
 * importLine, the parsing `homeostat import` does) and validateTelemetry, which word the error.
 * The scanner only accepts what that slow path would accept, with the same result, so the
 * inputs do not depend on which path a line took (test/unit/replay/fast-jsonl-*.test.ts).
 * Records' tags are frozen on both paths; on the fast path the records of a source whose tags
 * read the same share one tags object (fast-jsonl/tags-scanner.ts says why).
 *
 * Each file is one synthetic partition; an input's offset is its 0-based line index, so a dead
 * letter names the line it came from. Lines that do not import become invalid inputs.
 */
import { validateTelemetry, type TelemetryLimits } from '../codec';
import { HomeostatError } from '../errors';
import { createAsciiInterner, type AsciiInterner } from './fast-jsonl/ascii-interner';
import { lineBlocks } from './fast-jsonl/line-blocks';
import { createTelemetryScanner, LINE_SLACK, type TelemetryScanner } from './fast-jsonl/telemetry-scanner';
import { createLineImportState, importLine, type ImportOptions, type LineImportState } from '../import';
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
  /**
   * Read lines in homeostat's own layout with the scanner (default true). false sends every
   * line through JSON.parse and the importer: the same inputs, slower (a baseline for the bench).
   */
  fastPath?: boolean;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * The fast path applies once the format is known to be JSONL and the rebase offset is fixed
 * (both settle on the first line or record, which takes the slow path); default tags from a
 * mapping would have to be merged, so with them every line takes the slow path.
 */
function scannerFor(
  state: LineImportState,
  limits: TelemetryLimits | undefined,
  interner: AsciiInterner,
): TelemetryScanner | undefined {
  if (state.format !== 'jsonl' || state.shiftMs === undefined) return undefined;
  const tags = state.options.mapping?.tags;
  if (tags !== undefined && Object.keys(tags).length > 0) return undefined;
  return createTelemetryScanner({
    limits,
    maxLineLength: state.options.maxLineLength,
    shiftMs: state.shiftMs,
    valueScale: state.options.valueScale,
    interner,
  });
}

/** The replay inputs of one file, one array per chunk read (arrays may be empty). */
export async function* fileBatches(
  file: string,
  partition: number,
  options: FileBatchOptions = {},
): AsyncGenerator<ReplayInput[]> {
  let state = createLineImportState({ format: 'jsonl', ...options.import });
  const { chunkSize, maxLineLength } = state.options;
  const limits = options.limits;
  const fastPath = options.fastPath !== false;
  const interner = createAsciiInterner();
  let scanner = fastPath ? scannerFor(state, limits, interner) : undefined;
  let line = 0;

  const tooLong = (): ReplayInput => ({
    partition,
    offset: line - 1,
    invalid: { code: 'RECORD_TOO_LARGE', message: `${file}:${line}: line is longer than ${maxLineLength} characters` },
  });

  /** One line, `buf[start, nl)`, through the importer and the limits. */
  const slow = (buf: Buffer, start: number, nl: number): ReplayInput | undefined => {
    const offset = line - 1;
    const text = buf.toString('utf8', start, nl > start && buf[nl - 1] === CR ? nl - 1 : nl);
    if (text.length > maxLineLength) return tooLong();
    const step = importLine(state, line, text);
    if (step.state !== state) {
      state = step.state;
      scanner = fastPath ? scannerFor(state, limits, interner) : undefined;
    }
    const ev = step.event;
    if (ev === undefined) return undefined;
    if (ev.kind === 'error')
      return { partition, offset, invalid: { code: ev.code, message: `${file}:${ev.line}: ${ev.reason}` } };
    const checked =
      limits === undefined ? ev.record : validateTelemetry(ev.record as unknown as Record<string, unknown>, limits);
    if (checked instanceof HomeostatError)
      return {
        partition,
        offset,
        invalid: { code: checked.code, message: `${file}:${ev.line}: ${checked.message}`, field: checked.field },
      };
    // Frozen like the fast path's, so records do not differ by the path they took.
    Object.freeze(checked.tags);
    return { partition, offset, record: checked };
  };

  // Every 3 bytes of UTF-8 decode to at least one UTF-16 unit (invalid bytes included, as
  // replacement characters): past this many bytes without a newline, the line's text is surely
  // longer than maxLineLength, even if a `\r` ends it.
  const maxLineBytes = 3 * (maxLineLength + 2);
  for await (const block of lineBlocks(file, { chunkSize, maxLineBytes, slack: LINE_SLACK })) {
    const out: ReplayInput[] = [];
    if (block.tooLong) {
      line++;
      out.push(tooLong());
    }
    const { buf, end } = block;
    let p = block.start;
    while (p < end) {
      line++;
      if (scanner !== undefined) {
        const record = scanner.scan(buf, p);
        if (record !== null) {
          out.push({ partition, offset: line - 1, record });
          p = scanner.next;
          continue;
        }
      }
      const nl = buf.indexOf(LF, p);
      const input = slow(buf, p, nl);
      if (input !== undefined) out.push(input);
      p = nl + 1;
    }
    options.onProgress?.(block.bytesRead, block.totalBytes);
    yield out;
  }
}
