/**
 * Writes telemetry as JSONL with one fixed layout — keys `ts, source, metric, value, tags`, tag keys
 * sorted by code unit — so the same records always give the same bytes (diffable, hashable replays).
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../errors';
import type { Telemetry } from '../model/telemetry';

/** One record as a JSON line, without the newline. Throws InputError for a record JSON cannot carry. */
export function formatTelemetryLine(record: Telemetry): string {
  if (!Number.isSafeInteger(record.ts))
    throw new InputError('TS_OUT_OF_RANGE', `ts ${record.ts} is not an integer epoch ms`, { field: 'ts' });
  // JSON.stringify would silently write NaN and Infinity as null.
  if (!Number.isFinite(record.value))
    throw new InputError('NON_FINITE_VALUE', `value ${record.value} cannot be written as JSON`, { field: 'value' });
  // Code-unit order (not localeCompare): the same on every machine and locale.
  const keys = Object.keys(record.tags).sort();
  let tags = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    tags += `${i === 0 ? '' : ','}${JSON.stringify(k)}:${JSON.stringify(record.tags[k])}`;
  }
  return (
    `{"ts":${record.ts},"source":${JSON.stringify(record.source)},"metric":${JSON.stringify(record.metric)},` +
    `"value":${JSON.stringify(record.value)},"tags":{${tags}}}`
  );
}

export interface WriteJsonlOptions {
  /** End a caller-supplied Writable when done. Default false (e.g. process.stdout stays open); a path is always closed. */
  end?: boolean;
}

export interface WriteJsonlResult {
  records: number;
  bytes: number;
}

// Lines are batched into writes of about this many characters: one write per record costs more than the formatting.
const BATCH_CHARS = 64 * 1024;

/**
 * Writes records as JSONL (one `\n`-terminated line each) to a file path (created or truncated) or
 * a Writable, honouring backpressure. Rejects with InputError on a record that cannot be written,
 * or with the stream's error.
 */
export async function writeTelemetryJsonl(
  records: Iterable<Telemetry> | AsyncIterable<Telemetry>,
  output: string | Writable,
  options: WriteJsonlOptions = {},
): Promise<WriteJsonlResult> {
  const result: WriteJsonlResult = { records: 0, bytes: 0 };
  async function* batches(): AsyncGenerator<string> {
    let batch = '';
    for await (const record of records) {
      batch += `${formatTelemetryLine(record)}\n`;
      result.records += 1;
      if (batch.length >= BATCH_CHARS) {
        result.bytes += Buffer.byteLength(batch);
        yield batch;
        batch = '';
      }
    }
    if (batch.length > 0) {
      result.bytes += Buffer.byteLength(batch);
      yield batch;
    }
  }
  // A file's folder is created as the report's is: `--out out/x.jsonl` works in a fresh clone.
  if (typeof output === 'string') mkdirSync(dirname(output), { recursive: true });
  const dest = typeof output === 'string' ? createWriteStream(output) : output;
  const end = typeof output === 'string' ? true : (options.end ?? false);
  await pipeline(Readable.from(batches()), dest, { end });
  return result;
}
