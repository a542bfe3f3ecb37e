/** The pure pieces of the importer: timestamps, CSV field splitting, line splitting, label runs. */
import fc from 'fast-check';
import { parseDecimal } from '../../../src/import/csv-layout';
import { createLineSplitter } from '../../../src/import/line-splitter';
import {
  labelWindowsFromPoints,
  nabLabelKey,
  parseNabLabels,
  parseTimestamp,
  shiftWindows,
  splitCsvLine,
  type LabelPoint,
} from '../../../src/import';

describe('parseTimestamp', () => {
  it('reads zone-less NAB and ISO shapes as UTC', () => {
    expect(parseTimestamp('2014-03-07 03:41:00')).toBe(Date.UTC(2014, 2, 7, 3, 41));
    expect(parseTimestamp('2014-03-14 03:31:00.000000')).toBe(Date.UTC(2014, 2, 14, 3, 31));
    expect(parseTimestamp('2018-04-25T00:00:00Z')).toBe(Date.UTC(2018, 3, 25));
    expect(parseTimestamp('2018-04-25T00:00')).toBe(Date.UTC(2018, 3, 25));
    expect(parseTimestamp('2018-04-25')).toBe(Date.UTC(2018, 3, 25));
    expect(parseTimestamp(' 2018-04-25T10:20:30.1234Z ')).toBe(Date.UTC(2018, 3, 25, 10, 20, 30, 123));
    expect(parseTimestamp('2018-04-25T10:20:30.12')).toBe(Date.UTC(2018, 3, 25, 10, 20, 30, 120));
  });

  it('applies zone offsets', () => {
    expect(parseTimestamp('2018-04-25T02:00:00+02:00')).toBe(Date.UTC(2018, 3, 25));
    expect(parseTimestamp('2018-04-24T19:30:00-0430')).toBe(Date.UTC(2018, 3, 25));
    expect(parseTimestamp('2018-04-25T05:00:00+05')).toBe(Date.UTC(2018, 3, 25));
  });

  it('rejects impossible dates and other shapes', () => {
    for (const bad of [
      '2014-02-29 00:00:00',
      '2014-04-31',
      '2014-00-10',
      '2014-01-01 24:00:00',
      '2014-01-01 00:60',
      '2014-01-01T00:00:00Q',
      '2014-01-01T00:00:00.',
      '03/07/2014 03:41',
      '',
      'yesterday',
      '1700000000000',
    ]) {
      expect(parseTimestamp(bad)).toBeNaN();
    }
    expect(parseTimestamp('2016-02-29')).toBe(Date.UTC(2016, 1, 29));
    expect(parseTimestamp('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
    expect(parseTimestamp('1900-02-29')).toBeNaN();
  });

  it('takes plain epoch numbers only when a unit is given', () => {
    expect(parseTimestamp('1700000000000', 'ms')).toBe(1700000000000);
    expect(parseTimestamp('1700000000.25', 's')).toBe(1700000000250);
    expect(parseTimestamp('0x10', 'ms')).toBeNaN();
    expect(parseTimestamp('1.5', 'ms')).toBeNaN();
  });

  it('agrees with Date.UTC / toISOString over the whole 4-digit-year range', () => {
    // 0000-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z, the years toISOString writes with 4 digits.
    const min = -62167219200000;
    const max = 253402300799999;
    fc.assert(
      fc.property(fc.integer({ min, max }), (ms) => {
        const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
        expect(parseTimestamp(iso)).toBe(ms);
        expect(parseTimestamp(iso.slice(0, 19).replace('T', ' '))).toBe(Math.floor(ms / 1000) * 1000);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseDecimal', () => {
  it('reads back every finite double as JavaScript writes it', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) =>
        expect(parseDecimal(String(d))).toBe(d === 0 ? 0 : d),
      ),
    );
  });

  it('accepts exactly the strict decimal grammar', () => {
    // Oracle: the grammar as a regular expression.
    const grammar = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
    const text = fc.string({ unit: fc.constantFrom('1', '0', '.', 'e', 'E', '+', '-', ' ', 'x', 'I'), maxLength: 8 });
    fc.assert(
      fc.property(text, (t) => {
        const got = parseDecimal(t);
        if (grammar.test(t)) expect(got).toBe(Number(t));
        else expect(got).toBeNaN();
      }),
      { numRuns: 3000 },
    );
  });
});

describe('splitCsvLine', () => {
  const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', ' ', '1', '.', 'é') });

  it('gives back the fields of any RFC 4180 encoded row', () => {
    fc.assert(
      fc.property(
        fc.array(field, { minLength: 1, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        (fields, quoteAnyway) => {
          const line = fields
            .map((f, i) => (f.includes(',') || f.includes('"') || quoteAnyway[i] ? `"${f.replace(/"/g, '""')}"` : f))
            .join(',');
          expect(splitCsvLine(line)).toEqual(fields);
        },
      ),
    );
  });

  it('explains lines it cannot split', () => {
    expect(splitCsvLine('"a,b')).toBe('unterminated quoted field starting at column 1');
    expect(splitCsvLine('x,"a"b')).toBe('unexpected character after closing quote at column 6');
    expect(splitCsvLine('a,b"c')).toEqual(['a', 'b"c']);
    expect(splitCsvLine('"a",')).toEqual(['a', '']);
  });
});

describe('createLineSplitter', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '\n', '\r\n', ',', '\uFEFF') });

  it('yields the same lines however the bytes are chunked', () => {
    fc.assert(
      fc.property(text, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }), (s, sizes) => {
        const bytes = Buffer.from(s, 'utf8');
        const splitter = createLineSplitter(1 << 20);
        const got: string[] = [];
        let at = 0;
        let k = 0;
        while (at < bytes.length) {
          const n = sizes[k++ % sizes.length];
          got.push(...splitter.push(bytes.subarray(at, at + n)).map((l) => l.text));
          at += n;
        }
        got.push(...splitter.end().map((l) => l.text));
        // Reference: a leading BOM dropped, split on \n, one \r before it dropped, no empty tail line.
        const body = s.startsWith('\uFEFF') ? s.slice(1) : s;
        const want = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
        if (want[want.length - 1] === '') want.pop();
        expect(got).toEqual(want);
      }),
    );
  });

  it('cuts over-long lines to their head, once, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 11 }),
        (lengths, chunk) => {
          const s = lengths.map((n, i) => String.fromCharCode(97 + i).repeat(n)).join('\n') + '\n';
          const splitter = createLineSplitter(10);
          const got = [];
          for (let i = 0; i < s.length; i += chunk) got.push(...splitter.push(s.slice(i, i + chunk)));
          got.push(...splitter.end());
          expect(got).toEqual(
            lengths.map((n, i) => ({ text: String.fromCharCode(97 + i).repeat(Math.min(n, 10)), tooLong: n > 10 })),
          );
        },
      ),
    );
  });
});

describe('label windows', () => {
  it('makes one window per run of label-1 points, spanning the run', () => {
    const pts = (labels: number[]): LabelPoint[] => labels.map((label, i) => ({ ts: i * 60_000, label }));
    expect(labelWindowsFromPoints(pts([0, 1, 1, 0, 1, 0, 0, 1, 1]))).toEqual([
      { start: 60_000, end: 120_000 },
      { start: 240_000, end: 240_000 },
      { start: 420_000, end: 480_000 },
    ]);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 1)), (labels) => {
        const windows = labelWindowsFromPoints(pts(labels));
        const runs = labels.filter((l, i) => l === 1 && labels[i - 1] !== 1).length;
        expect(windows).toHaveLength(runs);
        // Every labelled point lies in exactly one window, every other point in none.
        labels.forEach((l, i) => {
          const inside = windows.filter((w) => w.start <= i * 60_000 && i * 60_000 <= w.end).length;
          expect(inside).toBe(l === 1 ? 1 : 0);
        });
      }),
    );
  });

  it('shifts windows by an import offset', () => {
    expect(shiftWindows([{ start: 1, end: 5 }], 10)).toEqual([{ start: 11, end: 15 }]);
  });

  it('parses NAB windows and names the bad entry', () => {
    expect(
      parseNabLabels({ 'a/b.csv': [['2014-03-14 03:31:00.000000', '2014-03-14 14:41:00.000000']], 'c.csv': [] }),
    ).toEqual({
      'a/b.csv': [{ start: Date.UTC(2014, 2, 14, 3, 31), end: Date.UTC(2014, 2, 14, 14, 41) }],
      'c.csv': [],
    });
    expect(() => parseNabLabels([])).toThrow(/root/);
    expect(() => parseNabLabels({ 'a.csv': [['2014-03-14 03:31:00']] })).toThrow(
      /a\.csv\[0\] must be a \[start, end\] pair/,
    );
    expect(() => parseNabLabels({ 'a.csv': [['2014-03-14', 'soon']] })).toThrow(/a\.csv\[0\] has a timestamp/);
    expect(() => parseNabLabels({ 'a.csv': [['2014-03-15', '2014-03-14']] })).toThrow(/ends before it starts/);
  });

  it('keys NAB files by their path under the NAB root', () => {
    expect(nabLabelKey('/data/nab/realKnownCause/x.csv', '/data/nab')).toBe('realKnownCause/x.csv');
  });
});
