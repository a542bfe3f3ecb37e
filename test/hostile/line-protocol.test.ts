/**
 * Finding 3: line protocol must parse in linear time with length caps, and a field value
 * spelled like an Object.prototype member is not a boolean.
 *
 * No timing assertion: the scanner's work is counted instead. A quadratic float check on a
 * long run of digits is what stalled the event loop; here a step counter wrapped around
 * String.prototype.charCodeAt (what every hand-written scanner in influx.ts reads with)
 * shows the work grows linearly with the input, and the regex that was quadratic is gone.
 */
import { isFloatText, MAX_NUMBER_TEXT, parseLineProtocol } from '../../src/ingest/influx';
import { InputError } from '../../src/errors';

function countCharReads(run: () => void): number {
  const original = String.prototype.charCodeAt;
  let reads = 0;
  String.prototype.charCodeAt = function (this: string, i: number): number {
    reads++;
    return original.call(this, i);
  };
  try {
    run();
  } finally {
    String.prototype.charCodeAt = original;
  }
  return reads;
}

describe('line protocol under hostile input', () => {
  it('checks a float in one pass: reads grow linearly with the digits', () => {
    const reads = (n: number): number => countCharReads(() => isFloatText(`${'1'.repeat(n)}x`));
    const small = reads(10_000);
    const large = reads(40_000);
    // Linear: four times the digits is about four times the reads (a quadratic check is ~16×).
    expect(large / small).toBeLessThan(4.5);
    expect(large).toBeLessThan(40_000 * 3);
  });

  it('refuses an over-long number before scanning it, as a malformed line naming the limit', () => {
    const digits = '1'.repeat(40_000);
    const out = parseLineProtocol(`cpu,host=a value=${digits}x 1700000000000000000\n`);
    expect(out).toBeInstanceOf(InputError);
    expect((out as InputError).message).toContain(`at most ${MAX_NUMBER_TEXT}`);
  });

  it('parses a whole 8 MiB record of digit runs with a bounded number of reads per byte', () => {
    const line = `cpu,host=a value=${'9'.repeat(60)}.5 1700000000000000000\n`;
    const text = line.repeat(Math.floor((8 * 1024 * 1024) / line.length));
    let out: ReturnType<typeof parseLineProtocol> = [];
    const reads = countCharReads(() => {
      out = parseLineProtocol(text);
    });
    expect(Array.isArray(out)).toBe(true);
    expect(reads / text.length).toBeLessThan(6);
  });

  it('accepts the float spellings of the reference and refuses the rest', () => {
    for (const ok of ['1', '1.', '1.0', '.5', '-1.2e+78', '+3E-2', '0.000', '12e3']) expect(isFloatText(ok)).toBe(true);
    for (const bad of ['', '.', '-', 'e3', '1e', '1e+', '1.2.3', '1x', '--1', '1 ', 'NaN', 'Infinity'])
      expect(isFloatText(bad)).toBe(false);
  });

  it('does not read toString, constructor or hasOwnProperty as a boolean', () => {
    for (const word of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
      const out = parseLineProtocol(`cpu,host=a value=${word} 1700000000000000000`);
      expect(out).toBeInstanceOf(InputError);
      expect((out as InputError).message).toContain('is not a number');
    }
    const ok = parseLineProtocol('cpu,host=a up=true,down=F 1700000000000000000');
    expect(ok).toEqual([
      expect.objectContaining({
        fields: [
          ['up', { type: 'boolean', value: true }],
          ['down', { type: 'boolean', value: false }],
        ],
      }),
    ]);
  });

  it('caps names and quoted strings', () => {
    const longName = parseLineProtocol(`${'m'.repeat(5000)},host=a value=1 1700000000000000000`);
    expect(longName).toBeInstanceOf(InputError);
    expect((longName as InputError).message).toContain('measurement is 5000 characters long');
    const longString = parseLineProtocol(`cpu,host=a note="${'x'.repeat(70_000)}",value=1 1700000000000000000`);
    expect(longString).toBeInstanceOf(InputError);
    expect((longString as InputError).message).toContain('string field value is longer than');
  });
});
