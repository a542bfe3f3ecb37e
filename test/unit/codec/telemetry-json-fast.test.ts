/**
 * The one-pass JSON telemetry reader must accept only what the general path (JSON.parse →
 * validateTelemetry) accepts, and give the same record: same values (-0 included), tags in
 * the same key order. Checked on valid records, whitespace and field order, numbers of every
 * shape, hand-made edge cases, every truncation and byte change, and random text.
 */
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import {
  DEFAULT_TELEMETRY_LIMITS,
  encodeTelemetryJson,
  validateTelemetry,
  type TelemetryLimits,
} from '../../../src/codec';
import { readTelemetryJsonFast } from '../../../src/codec/telemetry-json-fast';
import { InputError } from '../../../src/errors';
import type { Telemetry } from '../../../src/model/telemetry';
import { prefixesAndChanges } from '../../helpers/damaged-bytes';

const limits: TelemetryLimits = { ...DEFAULT_TELEMETRY_LIMITS, maxTags: 4, maxSourceLength: 12 };

/** The general path's verdict: the record, or undefined when it is refused. */
function general(bytes: Buffer): Telemetry | undefined {
  if (!isUtf8(bytes)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const v = validateTelemetry(parsed as Record<string, unknown>, limits);
  return v instanceof InputError ? undefined : v;
}

const fast = (text: string | Buffer): Telemetry | undefined => {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let start = 0;
  while (start < bytes.length && ' \t\r\n'.includes(String.fromCharCode(bytes[start]))) start++;
  return readTelemetryJsonFast(bytes, start, limits);
};

/** Never accepts what the general path refuses; agrees on what both accept (Object.is: -0). */
function agrees(text: string | Buffer): void {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const f = fast(bytes);
  if (f === undefined) return;
  const g = general(bytes);
  expect(g).toEqual(f);
  expect(Object.is(g!.value, f.value)).toBe(true);
  expect(Object.keys(f.tags)).toEqual(Object.keys(g!.tags));
}

const valid: Telemetry[] = [
  { ts: 1_767_225_600_000, source: 'w-1', metric: 'queue.depth', value: 120, tags: { role: 'worker', tenant: 't1' } },
  { ts: 1_767_225_600_001, source: 's', metric: 'm', value: -0.000123456789012345, tags: {} },
  { ts: 1_767_225_600_002, source: 's', metric: 'm', value: 1e300, tags: { '1': 'a', b: '', '0': 'c' } },
  { ts: 1_767_225_600_003, source: 's', metric: 'm', value: 7, tags: { k: 'v' } },
];

describe('readTelemetryJsonFast', () => {
  it('reads canonical records exactly as the general path does', () => {
    for (const t of valid) {
      const bytes = encodeTelemetryJson(t);
      expect(fast(bytes)).toEqual(t);
      agrees(bytes);
    }
  });

  it('reads whitespace, any field order and absent tags', () => {
    const texts = [
      ' {"ts": 1767225600000, "source": "s", "metric": "m", "value": 1.5, "tags": {"a": "b"}}\n',
      '{"value":2,"tags":{},"metric":"m","source":"s","ts":1767225600000}',
      '{ "ts" : 1767225600000 , "source" : "s" , "metric" : "m" , "value" : 3e2 }',
      '{"ts":1767225600000,"source":"s","metric":"m","value":-0}', // -0, as JSON.parse reads it
      '{"ts":1.767225600000e12,"source":"s","metric":"m","value":-12.5E-3,"tags":{ "x" : "y" , "z" : "w" }}',
    ];
    for (const text of texts) {
      expect(fast(text)).toBeDefined();
      agrees(text);
    }
  });

  it('leaves every refused or doubtful record to the general path', () => {
    const ok = (over: string) => `{"ts":1767225600000,"source":"s","metric":"m","value":1${over}}`;
    const doubtful = [
      ok(',"tags":{"k":"\\u0041"}'), // an escape
      ok(',"tags":{"k":"é"}'), // non-ASCII
      ok(',"tags":{"":"v"}'),
      ok(',"tags":{"__proto__":"v"}'),
      ok(',"tags":{"k":"a","k":"b"}'),
      ok(',"tags":{"a":"1","b":"2","c":"3","d":"4","e":"5"}'), // over maxTags
      ok(',"tags":{"k":1}'),
      ok(',"tags":null'),
      ok(',"extra":1'),
      ok(',"ts":1767225600001'), // repeated field
      '{"ts":1767225600000,"source":"","metric":"m","value":1}',
      '{"ts":1767225600000,"source":"s","metric":"m","value":1e400}',
      '{"ts":1767225600000.5,"source":"s","metric":"m","value":1}',
      '{"ts":999,"source":"s","metric":"m","value":1}',
      '{"ts":"2026-01-01T00:00:00Z","source":"s","metric":"m","value":1}', // ISO time: the general path
      '{"ts":1767225600000,"source":"s","metric":"m","value":01}',
      '{"ts":1767225600000,"source":"s","metric":"m","value":1.}',
      '{"ts":1767225600000,"source":"s","metric":"m","value":.5}',
      '{"ts":1767225600000,"source":"s","metric":"m","value":+1}',
      '{"ts":1767225600000,"source":"s","metric":"m","value":1.2345678901234567890123}',
      '{"ts":1767225600000,"source":"s","metric":"m","value":1} x',
      '{"ts":1767225600000,"source":"s","metric":"m","value":1,}',
      '{"ts":1767225600000,"source":"s","metric":"m"}',
    ];
    for (const text of doubtful) expect(fast(text)).toBeUndefined();
  });

  it('reads numbers as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        // Every shortest round-trip rendering is read, and read as JSON.parse reads it.
        const text = `{"ts":1767225600000,"source":"s","metric":"m","value":${JSON.stringify(value)}}`;
        expect(Object.is(fast(text)?.value, JSON.parse(text).value)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
    const numberText = fc
      .tuple(
        fc.boolean(),
        fc.stringMatching(/^[0-9]{1,25}$/),
        fc.option(fc.stringMatching(/^\.[0-9]{1,12}$/)),
        fc.option(fc.stringMatching(/^[eE][+-]?[0-9]{1,3}$/)),
      )
      .map(([neg, i, frac, exp]) => `${neg ? '-' : ''}${i}${frac ?? ''}${exp ?? ''}`);
    fc.assert(
      fc.property(numberText, (n) => agrees(`{"ts":1767225600000,"source":"s","metric":"m","value":${n}}`)),
      { numRuns: 5_000 },
    );
  });

  it('agrees with the general path on every truncation and byte change of valid records', () => {
    for (const t of valid) {
      const bytes = encodeTelemetryJson(t);
      for (let end = 0; end < bytes.length; end++) expect(fast(bytes.subarray(0, end))).toBeUndefined();
      for (let i = 0; i < bytes.length; i++) {
        for (const b of [0x20, 0x22, 0x2c, 0x30, 0x39, 0x3a, 0x5c, 0x7b, 0x7d, 0x80, bytes[i] ^ 0x01]) {
          const changed = Buffer.from(bytes);
          changed[i] = b;
          agrees(changed);
        }
      }
    }
  });

  it('reads a value in place inside a larger buffer exactly as its own copy, whatever follows it', () => {
    // Each record's truncations and byte changes, followed by the rest of the record and by
    // bytes a reader looking past the end would take up ('}', ',', digits, whitespace).
    const lead = Buffer.from('  ');
    const tails = ['', '}', ' }', ',"x":1}', '5}', '.5}', 'e3}', '"}'];
    for (const t of valid) {
      const bytes = encodeTelemetryJson(t);
      const candidates = prefixesAndChanges(bytes, () => 0x20);
      for (const c of candidates) {
        const own = readTelemetryJsonFast(Buffer.from(c), 0, limits);
        for (const tail of [bytes.subarray(Math.min(c.length, bytes.length)).toString(), ...tails]) {
          const big = Buffer.concat([lead, c, Buffer.from(tail)]);
          expect(readTelemetryJsonFast(big, lead.length, limits, lead.length + c.length)).toEqual(own);
        }
      }
    }
  });

  it('agrees with the general path on random text', () => {
    const alphabet = fc.constantFrom(...'{}[]":,.-+0123456789eE tsourcemtricvalguxy\\'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 80 }), (chars) => agrees(`{"ts":1767225600000,${chars.join('')}`)),
      { numRuns: 5_000 },
    );
    fc.assert(
      fc.property(fc.json(), (text) => agrees(text)),
      { numRuns: 2_000 },
    );
  });
});
