/**
 * The fast path reads a line exactly as the slow path does, or leaves it to the slow path:
 * scanTelemetry(line) is either null or the record JSON.parse + the importer + validateTelemetry
 * make of it — same ts, source, metric, value (Object.is: -0 stays -0) and tags in the same key
 * order — for random and adversarial lines, under different limits, scales and shifts.
 */
import fc from 'fast-check';
import { DEFAULT_TELEMETRY_LIMITS, validateTelemetry, type TelemetryLimits } from '../../../src/codec';
import { HomeostatError } from '../../../src/errors';
import type { Telemetry } from '../../../src/model/telemetry';
import { createAsciiInterner } from '../../../src/replay/fast-jsonl/ascii-interner';
import { createTelemetryScanner, LINE_SLACK } from '../../../src/replay/fast-jsonl/telemetry-scanner';
import { createLineImportState, formatTelemetryLine, importLine, type ImportOptions } from '../../../src/import';
import { anyLimits, anyLine, plainName, plainRecord, sameRecord } from './fast-jsonl-arbitraries';

interface Setup {
  limits: TelemetryLimits | undefined;
  import: ImportOptions;
}

/** The importer's state once the format and the rebase offset are settled (when the fast path starts). */
function settledState(setup: Setup) {
  const first = formatTelemetryLine({ ts: 1_700_000_000_000, source: 'first', metric: 'm', value: 1, tags: {} });
  return importLine(createLineImportState({ format: 'jsonl', ...setup.import }), 1, first).state;
}

/** The slow path: the record it makes of a line, or undefined when it rejects it. */
function slowPath(setup: Setup, line: string): Telemetry | undefined {
  const step = importLine(settledState(setup), 2, line);
  if (step.event?.kind !== 'record') return undefined;
  const record = step.event.record;
  if (setup.limits === undefined) return record;
  const checked = validateTelemetry(record as unknown as Record<string, unknown>, setup.limits);
  return checked instanceof HomeostatError ? undefined : checked;
}

/**
 * The fast path's record for a line. The line is scanned twice: the second scan meets it in the
 * scanner's caches (the interner, the source's remembered tags) and must read it the same. A
 * tiny interner keeps the scanner cheap to make per case and its slots contended.
 */
function fastPath(setup: Setup, line: string, eol = '\n'): { record: Telemetry | null; next: number } {
  const state = settledState(setup);
  const scanner = createTelemetryScanner({
    limits: setup.limits,
    maxLineLength: state.options.maxLineLength,
    shiftMs: state.shiftMs,
    valueScale: state.options.valueScale,
    interner: createAsciiInterner(2),
  });
  // Junk after the line's end: the scanner must not read it as part of the line.
  const buf = Buffer.from(`${line}${eol}${line}${eol}${'}"x'.slice(0, LINE_SLACK)}`, 'utf8');
  const record = scanner.scan(buf, 0);
  const next = scanner.next;
  const again = scanner.scan(buf, next);
  expect(again === null).toBe(record === null);
  if (record !== null && again !== null) {
    expect(sameRecord(again, record)).toBe(true);
    expect(scanner.next).toBe(2 * next);
  }
  return { record, next };
}

const anySetup: fc.Arbitrary<Setup> = fc.record({
  limits: anyLimits,
  import: fc.record(
    {
      mapping: fc.constantFrom(
        undefined,
        { source: 'default-src', metric: 'default-metric', tags: {}, valueScale: 0.01 },
        { source: 's', metric: 'm', tags: {}, valueScale: 1e300 },
      ),
      rebaseTo: fc.constantFrom(undefined, 1_800_000_000_000, 9_007_199_254_740_000),
      maxLineLength: fc.constantFrom(undefined, 60),
    },
    { requiredKeys: [] },
  ),
});

describe('fast JSONL path', () => {
  it('reads every line as the slow path does, or leaves it to the slow path', () => {
    let taken = 0;
    let total = 0;
    fc.assert(
      fc.property(anySetup, anyLine, fc.constantFrom('\n', '\r\n'), (setup, line, eol) => {
        total++;
        const fast = fastPath(setup, line, eol);
        if (fast.record === null) return;
        taken++;
        const slow = slowPath(setup, line);
        expect(slow).toBeDefined();
        expect(sameRecord(fast.record, slow as Telemetry)).toBe(true);
        expect(fast.next).toBe(Buffer.byteLength(line) + eol.length);
      }),
      { numRuns: 20_000 },
    );
    // The generators reach both paths (a check on the test, not on the scanner).
    expect(taken).toBeGreaterThan(total / 20);
    expect(taken).toBeLessThan(total * 0.9);
  });

  it('takes every line homeostat writes for a plain record (printable ASCII, short numbers)', () => {
    fc.assert(
      fc.property(plainRecord, (record) => {
        const line = formatTelemetryLine(record);
        const fast = fastPath({ limits: DEFAULT_TELEMETRY_LIMITS, import: {} }, line);
        expect(fast.record).not.toBeNull();
        // The line sorts the tags; key order is compared against the slow path below.
        expect(fast.record).toEqual(record);
        expect(
          sameRecord(
            fast.record as Telemetry,
            slowPath({ limits: DEFAULT_TELEMETRY_LIMITS, import: {} }, line) as Telemetry,
          ),
        ).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([
    ['-0 as a value', '{"ts":1700000000000,"source":"a","metric":"m","value":-0,"tags":{}}', true],
    ['-0.000 as a value', '{"ts":1700000000000,"source":"a","metric":"m","value":-0.000,"tags":{}}', true],
    [
      '15 significant digits',
      '{"ts":1700000000000,"source":"a","metric":"m","value":0.123456789012345,"tags":{}}',
      true,
    ],
    [
      'a long fraction of zeros',
      '{"ts":1700000000000,"source":"a","metric":"m","value":-0.0000000000000000000001,"tags":{}}',
      true,
    ],
    [
      '16 significant digits',
      '{"ts":1700000000000,"source":"a","metric":"m","value":1234567890123456,"tags":{}}',
      false,
    ],
    [
      '23 digits after the point',
      '{"ts":1700000000000,"source":"a","metric":"m","value":0.00000000000000000000001,"tags":{}}',
      false,
    ],
    ['1e308', '{"ts":1700000000000,"source":"a","metric":"m","value":1e308,"tags":{}}', false],
    ['an escaped quote', '{"ts":1700000000000,"source":"a\\"b","metric":"m","value":1,"tags":{}}', false],
    ['a \\u escape', '{"ts":1700000000000,"source":"\\u0061","metric":"m","value":1,"tags":{}}', false],
    ['non-ASCII text', '{"ts":1700000000000,"source":"é","metric":"m","value":1,"tags":{}}', false],
    ['reordered keys', '{"source":"a","ts":1700000000000,"metric":"m","value":1,"tags":{}}', false],
    ['an extra field', '{"ts":1700000000000,"source":"a","metric":"m","value":1,"tags":{},"x":1}', false],
    ['unsorted tags', '{"ts":1700000000000,"source":"a","metric":"m","value":1,"tags":{"b":"1","a":"2"}}', false],
    ['a duplicate tag', '{"ts":1700000000000,"source":"a","metric":"m","value":1,"tags":{"a":"1","a":"2"}}', false],
    ['a __proto__ tag', '{"ts":1700000000000,"source":"a","metric":"m","value":1,"tags":{"__proto__":"x"}}', false],
    ['trailing space', '{"ts":1700000000000,"source":"a","metric":"m","value":1,"tags":{}} ', false],
    ['a ts in seconds (out of range)', '{"ts":1700000000,"source":"a","metric":"m","value":1,"tags":{}}', false],
  ])('%s: fast path %p, same record as the slow path', (_, line, taken) => {
    const setup = { limits: DEFAULT_TELEMETRY_LIMITS, import: {} };
    const fast = fastPath(setup, line);
    expect(fast.record !== null).toBe(taken);
    if (fast.record !== null) expect(sameRecord(fast.record, slowPath(setup, line) as Telemetry)).toBe(true);
  });

  it('keeps -0 negative, and shares one frozen tags object between records of a source with the same tags', () => {
    const setup = { limits: undefined, import: {} };
    const a = fastPath(setup, '{"ts":1,"source":"a","metric":"m","value":-0,"tags":{"k":"v"}}').record as Telemetry;
    expect(Object.is(a.value, -0)).toBe(true);
    const scanner = createTelemetryScanner({ maxLineLength: 1000 });
    const line = Buffer.from(
      '{"ts":1,"source":"a","metric":"m","value":1,"tags":{"k":"v"}}\n{"ts":2,"source":"a","metric":"m","value":2,"tags":{"k":"v"}}\n   ',
    );
    const first = scanner.scan(line, 0) as Telemetry;
    const second = scanner.scan(line, scanner.next) as Telemetry;
    expect(second.tags).toBe(first.tags);
    expect(second).toEqual({ ts: 2, source: 'a', metric: 'm', value: 2, tags: { k: 'v' } });
    expect(Object.isFrozen(first.tags)).toBe(true);
    expect(() => {
      first.tags.k = 'changed';
    }).toThrow(TypeError);
  });
});

describe('ASCII interner', () => {
  it('returns the string of the bytes, also when every string competes for the same slots', () => {
    // 2 slots, and a constant hash: every string collides with every other.
    const interner = createAsciiInterner(1);
    fc.assert(
      fc.property(fc.array(plainName, { minLength: 1, maxLength: 30 }), (names) => {
        for (const name of names) {
          const buf = Buffer.from(`${name}"...`, 'latin1');
          const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
          expect(interner.get(view, buf, 0, name.length, 7)).toBe(name);
        }
      }),
    );
  });
});
