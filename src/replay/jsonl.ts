/**
 * Replay outputs as canonical JSON lines (createRecordCodec(kind).encodeJson: schema field
 * order, sorted map keys, no whitespace) — the same records always give the same bytes, so two
 * replays can be compared with cmp(1) and sha256sum — and reading such files back.
 *
 * Writing is synchronous (buffered, 64 KiB per write): the replay core is synchronous and a
 * local file keeps up; it keeps the outputs in lockstep with the pipeline, with no unbounded
 * queue in between.
 */
import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { HomeostatError, InputError } from '../errors';
import { createRecordCodec, type RecordKind, type RecordTypes } from '../codec';

const FLUSH_BYTES = 64 * 1024;
const NEWLINE = Buffer.from('\n');

export interface JsonlWriter<T> {
  readonly path: string;
  write(values: readonly T[]): void;
  /** Records and bytes written so far. */
  readonly records: number;
  readonly bytes: number;
  close(): void;
}

/** Creates (or truncates) `path` and writes records of `kind` to it as canonical JSON lines. */
export function createJsonlWriter<K extends RecordKind>(kind: K, path: string): JsonlWriter<RecordTypes[K]> {
  const codec = createRecordCodec(kind);
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true }); // as the report's: `--out out/x.jsonl` in a fresh clone
    fd = openSync(path, 'w');
  } catch (err) {
    throw new HomeostatError('USAGE', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
  let chunks: Buffer[] = [];
  let size = 0;
  let records = 0;
  let bytes = 0;
  let closed = false;
  const flush = (): void => {
    if (size === 0) return;
    const buf = Buffer.concat(chunks, size);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    chunks = [];
    size = 0;
  };
  return {
    path,
    write(values) {
      if (closed) throw new HomeostatError('INVALID_STATE', `${path} is already closed`);
      for (let i = 0; i < values.length; i++) {
        const line = codec.encodeJson(values[i]);
        chunks.push(line, NEWLINE);
        size += line.length + 1;
        records++;
        bytes += line.length + 1;
      }
      if (size >= FLUSH_BYTES) flush();
    },
    get records() {
      return records;
    },
    get bytes() {
      return bytes;
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        flush();
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** One line of a JSONL file that is not a record of the expected kind. */
export interface JsonlLineError {
  line: number;
  message: string;
}

/**
 * Reads a canonical (or any) JSON-lines file of records of `kind`; blank lines are skipped.
 * A line that is not a valid record is collected in `errors` (or, with `strict`, throws an
 * InputError naming the file and line).
 */
export async function readJsonl<K extends RecordKind>(
  kind: K,
  path: string,
  options: { strict?: boolean } = {},
): Promise<{ records: RecordTypes[K][]; errors: JsonlLineError[] }> {
  const codec = createRecordCodec(kind);
  const records: RecordTypes[K][] = [];
  const errors: JsonlLineError[] = [];
  const stream = createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) =>
      reject(new HomeostatError('USAGE', `cannot read ${path}: ${err.message}`, { cause: err })),
    );
  });
  await opened;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    if (text.trim() === '') continue;
    try {
      records.push(codec.decodeJson(Buffer.from(text, 'utf8')));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (options.strict === true)
        throw new InputError('INVALID_JSON', `${path}:${n}: not a ${kind} record: ${message}`, { cause: err });
      errors.push({ line: n, message });
    }
  }
  return { records, errors };
}
