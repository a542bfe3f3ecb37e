/** Malformed rows are reported with their line numbers and never stop the rest of the import. */
import { Readable } from 'node:stream';
import { ConfigError, HomeostatError } from '../../../src/errors';
import { formatImportError, importAll, importRecords, type ImportOptions } from '../../../src/import';

const mapping = { source: 'api-01', metric: 'requests', tags: { service: 'api' } };

function fromText(text: string, chunkSize = 7): Readable {
  // Small chunks so that lines and quoted fields straddle chunk boundaries.
  const chunks: Buffer[] = [];
  const buf = Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length; i += chunkSize) chunks.push(buf.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

async function run(text: string, options: ImportOptions = { mapping }) {
  return importAll(fromText(text), options);
}

describe('malformed CSV rows', () => {
  it('reports a bad number, a bad timestamp and a wrong column count with their lines, and imports the rest', async () => {
    const text = [
      'timestamp,value', // 1
      '2014-03-07 03:41:00,45.868', // 2
      '2014-03-07 03:46:00,abc', // 3
      '2014-13-07 03:51:00,1.5', // 4
      '2014-03-07 03:56:00', // 5
      '2014-03-07 04:01:00,1,2', // 6
      '2014-03-07 04:06:00,47.5', // 7
    ].join('\n');
    const result = await run(text);
    expect(result.records.map((r) => r.value)).toEqual([45.868, 47.5]);
    expect(result.errors.map((e) => [e.line, e.code, e.raw])).toEqual([
      [3, 'INVALID_FIELD', '2014-03-07 03:46:00,abc'],
      [4, 'INVALID_FIELD', '2014-13-07 03:51:00,1.5'],
      [5, 'MISSING_FIELD', '2014-03-07 03:56:00'],
      [6, 'MISSING_FIELD', '2014-03-07 04:01:00,1,2'],
    ]);
    expect(formatImportError(result.errors[0])).toBe("line 3: value 'abc' is not a number");
    expect(result.errors[1].reason).toMatch(/^timestamp '2014-13-07 03:51:00' is not a date-time/);
    expect(result.errors[2].reason).toBe('expected 2 columns, found 1');
    expect(result.errors[3].reason).toBe('expected 2 columns, found 3');
  });

  it.each([[''], [' '], ['0x1f'], ['1,5'], ['NaN'], ['Infinity'], ['1e']])('rejects value %j', async (value) => {
    const result = await run(`timestamp,value\n2014-03-07 03:41:00,${value}\n2014-03-07 03:46:00,2\n`);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0].line).toBe(2);
    expect(result.records.map((r) => r.value)).toEqual([2]);
  });

  it('reports a value that overflows to infinity as non-finite', async () => {
    const result = await run('timestamp,value\n2014-03-07 03:41:00,1e999\n');
    expect(result.errors.map((e) => [e.line, e.code])).toEqual([[2, 'NON_FINITE_VALUE']]);
  });

  it('skips blank lines without errors but keeps counting them in line numbers', async () => {
    const result = await run('\ntimestamp,value\n\n2014-03-07 03:41:00,1\n   \n\r\n2014-03-07 03:46:00,x\n\n');
    expect(result.records).toHaveLength(1);
    expect(result.errors.map((e) => e.line)).toEqual([7]);
    expect(result.lines).toBe(8);
  });

  it('splits quoted fields holding commas and escaped quotes, and reports the value they hold', async () => {
    const text = [
      '"TimeStamp","Value","Label"',
      '"2018-04-25T00:00:00Z","1,234.5","0"', // 2: one field, not a number
      '"2018-04-25T00:01:00Z","12",0', // 3: fine
      '"2018-04-25T00:02:00Z,"12",0', // 4: the first quote closes before 12, then a stray character
      '"2018-04-25T00:03:00Z","12', // 5: unterminated quote
      '2018-04-25T00:04:00Z,13,1', // 6: fine, unquoted
    ].join('\r\n');
    const result = await run(text);
    expect(result.format).toBe('microsoft');
    expect(result.records.map((r) => [r.ts, r.value])).toEqual([
      [Date.UTC(2018, 3, 25, 0, 1), 12],
      [Date.UTC(2018, 3, 25, 0, 4), 13],
    ]);
    expect(result.errors.map((e) => [e.line, e.reason])).toEqual([
      [2, "value '1,234.5' is not a number"],
      [4, 'unexpected character after closing quote at column 24'],
      [5, 'unterminated quoted field starting at column 24'],
    ]);
    expect(result.labelPoints.map((p) => p.label)).toEqual([0, 1]);
  });

  it('rejects a label that is not 0 or 1', async () => {
    const result = await run('TimeStamp,Value,Label\n2018-04-25T00:00:00Z,1,2\n2018-04-25T00:01:00Z,1,1\n');
    expect(result.errors.map((e) => [e.line, e.reason])).toEqual([[2, "label '2' is not 0 or 1"]]);
    expect(result.records).toHaveLength(1);
  });

  it('reads a last line without a newline, a byte-order mark and multi-byte text split across chunks', async () => {
    const text =
      '\uFEFFtimestamp,value\n2014-03-07 03:41:00,1\n2014-03-07 03:46:00,\u00e9\u20ac\n2014-03-07 03:51:00,3';
    const result = await importAll(fromText(text, 1), { mapping });
    expect(result.format).toBe('nab');
    expect(result.records.map((r) => r.value)).toEqual([1, 3]);
    expect(result.errors.map((e) => [e.line, e.raw])).toEqual([[3, '2014-03-07 03:46:00,\u00e9\u20ac']]);
  });

  it('reports an over-long line once, skips it, and goes on', async () => {
    const long = `2014-03-07 03:46:00,${'9'.repeat(500)}`;
    const result = await importAll(
      fromText(`timestamp,value\n2014-03-07 03:41:00,1\n${long}\n2014-03-07 03:51:00,3\n`, 16),
      {
        mapping,
        maxLineLength: 64,
      },
    );
    expect(result.records.map((r) => r.value)).toEqual([1, 3]);
    expect(result.errors.map((e) => [e.line, e.code, e.raw.length])).toEqual([[3, 'RECORD_TOO_LARGE', 64]]);
    expect(result.lines).toBe(4);
  });

  it('throws a ConfigError naming the fix for an unknown header', async () => {
    await expect(run('time,cpu\n2014-03-07 03:41:00,1\n')).rejects.toThrow(
      /header 'time,cpu' is neither NAB.*csv.timestampColumn/,
    );
    await expect(run('time,cpu\n')).rejects.toBeInstanceOf(ConfigError);
  });

  it('throws for CSV without a mapping, and checks options before reading', async () => {
    await expect(run('timestamp,value\n2014-03-07 03:41:00,1\n', {})).rejects.toThrow(/mapping is required for CSV/);
    expect(() => importRecords('nowhere.csv', { mapping: { ...mapping, source: '' } })).toThrow(
      /mapping.source "" must be a non-empty string/,
    );
    expect(() => importRecords('nowhere.csv', { mapping, rebaseTo: 1.5 })).toThrow(ConfigError);
    expect(() => importRecords('nowhere.csv', { mapping: { ...mapping, valueScale: Number.NaN } })).toThrow(
      /valueScale/,
    );
  });

  it('throws a USAGE error for a missing file on the first read', async () => {
    const iter = importRecords('/nonexistent/dir/file.csv', { mapping })[Symbol.asyncIterator]();
    const err: unknown = await iter.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HomeostatError);
    expect((err as HomeostatError).code).toBe('USAGE');
  });

  it('yields nothing for an empty file or a header alone', async () => {
    expect((await run('')).records).toEqual([]);
    const headerOnly = await run('timestamp,value\n');
    expect(headerOnly.records).toEqual([]);
    expect(headerOnly.errors).toEqual([]);
    expect(headerOnly.format).toBe('nab');
  });
});

describe('generic CSV', () => {
  it('reads named columns, ignores the others (quoted commas included) and takes epoch seconds', async () => {
    const text = [
      'host,"note, free text",cpu,at',
      'a,"x, y",0.5,1398729600',
      'b,"z",0.75,1398729660.5',
      'c,"w",bad,1398729720',
    ].join('\n');
    const result = await run(text, { mapping, csv: { timestampColumn: 'at', valueColumn: 'CPU', epochUnit: 's' } });
    expect(result.format).toBe('csv');
    expect(result.records.map((r) => [r.ts, r.value])).toEqual([
      [1398729600000, 0.5],
      [1398729660500, 0.75],
    ]);
    expect(result.errors.map((e) => [e.line, e.reason])).toEqual([[4, "value 'bad' is not a number"]]);
  });

  it('reads headerless files by column index, including line 1', async () => {
    const result = await run('1000,1\n2000,x\n3000,3,extra\n', {
      mapping,
      csv: { header: false, timestampColumn: 0, valueColumn: 1 },
    });
    expect(result.records.map((r) => [r.ts, r.value])).toEqual([
      [1000, 1],
      [3000, 3],
    ]);
    expect(result.errors.map((e) => e.line)).toEqual([2]);
  });

  it('names the missing column in its ConfigError', async () => {
    await expect(run('a,b\n1,2\n', { mapping, csv: { timestampColumn: 'a', valueColumn: 'c' } })).rejects.toThrow(
      /csv.valueColumn 'c' is not in the header \(a,b\)/,
    );
    await expect(
      run('1,2\n', { mapping, csv: { header: false, timestampColumn: 'a', valueColumn: 1 } }),
    ).rejects.toThrow(/give a 0-based column index/);
  });
});

describe('mapping, scaling and rebasing', () => {
  it('applies source, metric, tags and valueScale, with a fresh tags object per record', async () => {
    const result = await run('timestamp,value\n2014-03-07 03:41:00,50\n2014-03-07 03:46:00,25\n', {
      mapping: { ...mapping, metric: 'cpu.util', valueScale: 0.01 },
    });
    expect(result.records).toEqual([
      { ts: Date.UTC(2014, 2, 7, 3, 41), source: 'api-01', metric: 'cpu.util', value: 0.5, tags: { service: 'api' } },
      { ts: Date.UTC(2014, 2, 7, 3, 46), source: 'api-01', metric: 'cpu.util', value: 0.25, tags: { service: 'api' } },
    ]);
    expect(result.records[0].tags).not.toBe(result.records[1].tags);
    expect(result.records[0].tags).not.toBe(mapping.tags);
  });

  it('shifts the series so the first record starts at rebaseTo and reports the offset', async () => {
    const to = Date.UTC(2030, 0, 1);
    const progress: number[] = [];
    const result = await run('timestamp,value\n2014-03-07 03:41:00,x\n2014-03-07 03:46:00,1\n2014-03-07 03:51:00,2\n', {
      mapping,
      rebaseTo: to,
      onProgress: (p) => progress.push(p.shiftMs),
    });
    // The errored first row does not fix the offset; the first imported record does.
    expect(result.records.map((r) => r.ts)).toEqual([to, to + 300_000]);
    expect(result.shiftMs).toBe(to - Date.UTC(2014, 2, 7, 3, 46));
    expect(progress[progress.length - 1]).toBe(result.shiftMs);
  });

  it('stops reading when the consumer breaks out early', async () => {
    let pulled = 0;
    function* lines() {
      yield 'timestamp,value\n';
      for (let i = 0; i < 1000; i++) {
        pulled += 1;
        yield `2014-03-07 03:41:00,${i}\n`;
      }
    }
    const seen: number[] = [];
    for await (const ev of importRecords(Readable.from(lines()), { mapping })) {
      if (ev.kind === 'record') seen.push(ev.record.value);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(pulled).toBeLessThan(1000);
  });
});
