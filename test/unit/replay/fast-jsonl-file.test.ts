/**
 * Reading a telemetry file for replay gives the same inputs — records, dead-lettered lines with
 * their line numbers and reasons — whichever path each line takes and however the file is cut
 * into reads: the fast path (bytes, scanner) equals the JSON.parse path (fastPath: false), and
 * both equal the reader replay used before the fast path (text chunks through the importer's
 * splitter and line core, kept below as the reference), on random files with malformed lines,
 * blank and CRLF lines, a byte-order mark, invalid UTF-8, over-long lines and no final newline.
 * (One difference by design: replay freezes records' tags, on both paths.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  DEFAULT_TELEMETRY_LIMITS,
  resolveTelemetryLimits,
  validateTelemetry,
  type TelemetryLimits,
} from '../../../src/codec';
import { HomeostatError } from '../../../src/errors';
import { fileBatches, type FileBatchOptions } from '../../../src/replay/file-batches';
import { createLineImportState, formatTelemetryLine, importLine, type ImportOptions } from '../../../src/import';
import { createLineSplitter } from '../../../src/import/line-splitter';
import type { ReplayInput } from '../../../src/replay/replay';
import { anyLimits, anyLine, plainRecord } from './fast-jsonl-arbitraries';

/** Replay's file reader before the fast path (src/replay/file-batches.ts at 9f79865), on bytes cut into reads. */
function referenceInputs(
  file: string,
  bytes: Buffer,
  chunkSize: number,
  imp: ImportOptions,
  limits: TelemetryLimits | undefined,
): ReplayInput[] {
  let state = createLineImportState({ format: 'jsonl', ...imp });
  const { maxLineLength } = state.options;
  const splitter = createLineSplitter(maxLineLength);
  const out: ReplayInput[] = [];
  let line = 0;
  const handle = (lines: ReturnType<typeof splitter.push>): void => {
    for (const piece of lines) {
      line++;
      const offset = line - 1;
      if (piece.tooLong) {
        out.push({
          partition: 0,
          offset,
          invalid: {
            code: 'RECORD_TOO_LARGE',
            message: `${file}:${line}: line is longer than ${maxLineLength} characters`,
          },
        });
        continue;
      }
      const step = importLine(state, line, piece.text);
      state = step.state;
      const ev = step.event;
      if (ev === undefined) continue;
      if (ev.kind === 'record') {
        const checked =
          limits === undefined ? ev.record : validateTelemetry(ev.record as unknown as Record<string, unknown>, limits);
        if (checked instanceof HomeostatError)
          out.push({
            partition: 0,
            offset,
            invalid: { code: checked.code, message: `${file}:${ev.line}: ${checked.message}`, field: checked.field },
          });
        else out.push({ partition: 0, offset, record: checked });
      } else
        out.push({ partition: 0, offset, invalid: { code: ev.code, message: `${file}:${ev.line}: ${ev.reason}` } });
    }
  };
  for (let i = 0; i < bytes.length; i += chunkSize) handle(splitter.push(bytes.subarray(i, i + chunkSize)));
  handle(splitter.end());
  return out;
}

async function readAll(file: string, options: FileBatchOptions): Promise<ReplayInput[]> {
  const out: ReplayInput[] = [];
  for await (const batch of fileBatches(file, 0, options)) out.push(...batch);
  return out;
}

/** Inputs with each record's tag keys in order, so that equal inputs also agree on key order. */
function withKeyOrder(inputs: readonly ReplayInput[]): unknown[] {
  return inputs.map((x) => ('record' in x ? { ...x, tagOrder: Object.keys(x.record.tags) } : x));
}

/** Lines of a file: telemetry lines of every kind, blank ones, and raw bytes that are not UTF-8. */
const fileLine = fc.oneof(
  { weight: 6, arbitrary: anyLine.map((s) => Buffer.from(s, 'utf8')) },
  { weight: 3, arbitrary: plainRecord.map((r) => Buffer.from(formatTelemetryLine(r), 'utf8')) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', '\t', '\r', '\u00a0', 'timestamp,value').map((s) => Buffer.from(s, 'utf8')),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.from([0x7b, 0x22, 0xc3]), // `{"` and half of a two-byte sequence
      Buffer.from('{"ts":1700000000000,"source":"\u00e9","metric":"m","value":1,"tags":{}}', 'utf8'),
      Buffer.concat([
        Buffer.from('{"ts":1700000000000,"source":"'),
        Buffer.from([0xe2, 0x82]),
        Buffer.from('","metric":"m","value":1,"tags":{}}'),
      ]),
    ),
  },
);

const anyFile = fc.record({
  lines: fc.array(fc.tuple(fileLine, fc.constantFrom('\n', '\n', '\n', '\r\n')), { maxLength: 30 }),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
  chunkSize: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 300 }), fc.constant(1 << 20)),
  maxLineLength: fc.constantFrom(undefined, 20, 70, 200),
  limits: anyLimits,
  rebaseTo: fc.constantFrom(undefined, 1_800_000_000_000),
});

describe('replay file reader', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'homeostat-fast-jsonl-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same inputs on the fast path, the JSON.parse path and the reader before them', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(anyFile, async (f) => {
        const parts: Buffer[] = f.bom ? [Buffer.from([0xef, 0xbb, 0xbf])] : [];
        f.lines.forEach(([text, eol], i) =>
          parts.push(text, i < f.lines.length - 1 || f.finalNewline ? Buffer.from(eol) : Buffer.alloc(0)),
        );
        const bytes = Buffer.concat(parts);
        const file = path.join(dir, `f${n++}.jsonl`);
        writeFileSync(file, bytes);
        const imp: ImportOptions = { chunkSize: f.chunkSize, maxLineLength: f.maxLineLength, rebaseTo: f.rebaseTo };
        const expected = withKeyOrder(referenceInputs(file, bytes, f.chunkSize, imp, f.limits));
        const fast = await readAll(file, { import: imp, limits: f.limits });
        const slow = await readAll(file, { import: imp, limits: f.limits, fastPath: false });
        expect(withKeyOrder(fast)).toEqual(expected);
        expect(withKeyOrder(slow)).toEqual(expected);
        for (const x of [...fast, ...slow]) if ('record' in x) expect(Object.isFrozen(x.record.tags)).toBe(true);
      }),
      { numRuns: 400 },
    );
    // ~2 s alone; the default 5 s is too tight on the shared machine under load.
  }, 60_000);

  it('reports malformed lines with their line numbers and reasons between fast-path lines, and reads the rest', async () => {
    const ok = (ts: number): string =>
      formatTelemetryLine({ ts, source: 'w1', metric: 'queue.depth', value: 1.5, tags: { service: 'api' } });
    const file = path.join(dir, 'mixed.jsonl');
    writeFileSync(
      file,
      [
        ok(1_700_000_000_000),
        '{"ts":',
        '',
        ok(1_700_000_001_000),
        '{"ts":1700000002000,"source":"w1","metric":"queue.depth","value":"x","tags":{}}',
        ok(1_700),
        ok(1_700_000_003_000),
      ].join('\r\n'),
    );
    const inputs = await readAll(file, { limits: resolveTelemetryLimits(), import: { chunkSize: 64 } });
    expect(
      inputs.map((x) =>
        'record' in x ? `${x.offset} ${x.record.ts}` : `${x.offset} ${x.invalid.code} ${x.invalid.message}`,
      ),
    ).toEqual([
      '0 1700000000000',
      `1 INVALID_JSON ${file}:2: not valid JSON (${jsonError('{"ts":')})`,
      '3 1700000001000',
      `4 INVALID_FIELD ${file}:5: value "x" is not a number`,
      expect.stringMatching(new RegExp(`^5 TS_OUT_OF_RANGE ${file}:6: field 'ts' is 1700 `)),
      '6 1700000003000',
    ]);
  });

  it('reports a line longer than maxLineLength once, as one line, and goes on', async () => {
    const file = path.join(dir, 'long.jsonl');
    const good = formatTelemetryLine({ ts: 1_700_000_000_000, source: 'w', metric: 'm', value: 1, tags: {} });
    writeFileSync(file, [good, 'x'.repeat(5_000), good, `${good.slice(0, -1)}${' '.repeat(200)}}`].join('\n'));
    const inputs = await readAll(file, {
      limits: DEFAULT_TELEMETRY_LIMITS,
      import: { chunkSize: 7, maxLineLength: 100 },
    });
    expect(inputs.map((x) => ('record' in x ? `${x.offset} ok` : `${x.offset} ${x.invalid.code}`))).toEqual([
      '0 ok',
      '1 RECORD_TOO_LARGE',
      '2 ok',
      '3 RECORD_TOO_LARGE',
    ]);
  });

  it('closes the file cleanly when the caller stops early (a read may be in flight)', async () => {
    const file = path.join(dir, 'early.jsonl');
    const line = formatTelemetryLine({ ts: 1_700_000_000_000, source: 'w', metric: 'm', value: 1, tags: {} });
    writeFileSync(file, `${line}\n`.repeat(2_000));
    let batches = 0;
    for await (const batch of fileBatches(file, 0, { import: { chunkSize: 1024 } })) {
      expect(batch.length).toBeGreaterThan(0);
      if (++batches === 2) break;
    }
    expect(batches).toBe(2);
    // The same file reads whole afterwards.
    expect(await readAll(file, {})).toHaveLength(2_000);
  });

  it('names a missing file', async () => {
    await expect(readAll(path.join(dir, 'nowhere.jsonl'), {})).rejects.toThrow(
      /cannot read replay input .*nowhere\.jsonl/,
    );
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}
