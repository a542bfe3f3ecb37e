/**
 * Telemetry JSONL lines for the fast-path tests: homeostat's own layout with plain values (the
 * fast path must take them), and everything around it — escapes, unicode, number spellings
 * (1e308, -0, 1E3, 00, 1.), missing, extra, duplicate and reordered keys, whitespace, unsorted
 * or odd tag keys, and random byte-level edits of good lines — which it must either read
 * exactly as the slow path does or leave to it.
 */
import fc from 'fast-check';
import { DEFAULT_TELEMETRY_LIMITS, type TelemetryLimits } from '../../../src/codec';
import type { Telemetry } from '../../../src/model/telemetry';
import { formatTelemetryLine } from '../../../src/import';

/** Printable ASCII without `"` and `\`: strings JSON writes as they are. */
const PLAIN = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).filter(
  (c) => c !== '"' && c !== '\\',
);
const plainChar = fc.constantFrom(...PLAIN);
export const plainName = fc.string({ unit: plainChar, minLength: 1, maxLength: 24 });

/** A decimal with at most 15 significant digits and no exponent, as the fast path reads it. */
const shortDecimal = fc
  .tuple(fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }), fc.integer({ min: 0, max: 15 }))
  .map(([m, k]) => m / 10 ** k);

/** Records homeostat writes and the fast path must accept (given default limits). */
export const plainRecord: fc.Arbitrary<Telemetry> = fc.record({
  ts: fc.integer({ min: DEFAULT_TELEMETRY_LIMITS.minTs, max: DEFAULT_TELEMETRY_LIMITS.maxTs }),
  source: plainName,
  metric: plainName,
  // JSON.stringify writes an exponent below 1e-6 (1e-7), which is the slow path's, and -0 as 0
  // (+ 0 turns -0 into 0; lines spelling -0 are in anyLine).
  value: fc
    .oneof(fc.integer({ min: -1e6, max: 1e6 }), shortDecimal, fc.constantFrom(0, 0.1, 23.57, 0.000001))
    .map((v) => v + 0)
    .filter((v) => !/e/.test(JSON.stringify(v))),
  tags: fc.dictionary(
    plainName.filter((k) => k !== '__proto__'),
    fc.string({ unit: plainChar, maxLength: 24 }),
    { maxKeys: 6, noNullPrototype: true },
  ),
});

const anyString = fc.oneof(
  plainName,
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '',
    '__proto__',
    'a"b',
    'back\\slash',
    'tab\there',
    'nul\u0000',
    'del\u007f',
    'é',
    '€uro',
    '😀',
    '\ud800',
  ),
);

/** A JSON string literal: mostly as JSON.stringify writes it, sometimes with needless escapes. */
const stringText = fc.oneof(
  { weight: 4, arbitrary: anyString.map((s) => JSON.stringify(s)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '"\\u0041pi"',
      '"a\\/b"',
      '"\\u00e9"',
      '"x\\ty"',
      '"\\"q\\""',
      '"unterminated',
      '"bad\\escape"',
      '"\\ud83d\\ude00"',
    ),
  },
);

const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => JSON.stringify(v)),
  shortDecimal.map((v) => JSON.stringify(v)),
  fc.integer({ min: 1e12, max: 4.2e12 }).map(String),
  fc
    .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,20}$/), fc.option(fc.stringMatching(/^[0-9]{1,20}$/)))
    .map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}`),
  fc.constantFrom(
    '-0',
    '0',
    '-0.0',
    '0.0',
    '1e308',
    '1.7976931348623157e308',
    '1e309',
    '-1e309',
    '5e-324',
    '1E3',
    '1e+3',
    '1e-7',
    '2.5E-3',
    '00',
    '01',
    '-01',
    '1.',
    '.5',
    '+1',
    '-',
    '1.5e',
    '1e',
    '123456789012345',
    '1234567890123456',
    '0.000000000000001',
    '9007199254740993',
    '9007199254740992',
    '1699999999574',
    '1699999999574.0',
    '-1699999999574',
    '1e12',
    'NaN',
    'Infinity',
    'true',
    'null',
    '"12"',
    '[]',
    '{}',
  ),
);

const tsText = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1e12, max: 4.2e12 }).map(String) },
  { weight: 1, arbitrary: numberText },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '"2024-05-01T12:00:00Z"',
      '"2024-05-01 12:00:00"',
      '"yesterday"',
      '0',
      '999999999999',
      '4102444800001',
    ),
  },
);

interface TagsShape {
  entries: [string, string][];
  /** Sort keys as homeostat does (else: as generated, possibly with duplicates). */
  sorted: boolean;
}

const tagsText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ entries: fc.array(fc.tuple(anyString, anyString), { maxLength: 6 }), sorted: fc.boolean() })
      .map(({ entries, sorted }: TagsShape) => {
        const list = sorted ? [...new Map(entries)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : entries;
        return `{${list.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
      }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{}',
      'null',
      '[]',
      '"a"',
      '{"a":1}',
      '{"a":null}',
      '{"a":"x","a":"y"}',
      '{"b":"1","a":"2"}',
      '{"":"x"}',
      '{"__proto__":"x"}',
      '{"1":"a","b":"c"}',
      '{"a":"x",}',
      '{ "a" : "x" }',
    ),
  },
);

/** A line as a list of `"key":value` parts that can be reordered, dropped, doubled or padded. */
const structuredLine = fc
  .record({
    ts: tsText,
    source: stringText,
    metric: stringText,
    value: numberText,
    tags: tagsText,
    order: fc.constantFrom('canonical', 'canonical', 'canonical', 'shuffled'),
    shuffle: fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
    drop: fc.option(fc.constantFrom('ts', 'source', 'metric', 'value', 'tags'), { freq: 4 }),
    extra: fc.option(
      fc.constantFrom('"extra":1', '"ts":1700000000000', '"value":2', '"tags":{}', '"z":{"nested":[1,2]}'),
      { freq: 4 },
    ),
    space: fc.constantFrom('', '', '', ' ', '\t'),
    trail: fc.constantFrom('', '', '', ' ', '\r', 'x', '}', ','),
  })
  .map((l) => {
    let parts: [string, string][] = [
      ['ts', l.ts],
      ['source', l.source],
      ['metric', l.metric],
      ['value', l.value],
      ['tags', l.tags],
    ];
    if (l.order === 'shuffled')
      parts = parts
        .map((p, i) => [p, l.shuffle[i]] as const)
        .sort((a, b) => a[1] - b[1])
        .map(([p]) => p);
    if (l.drop !== null) parts = parts.filter(([k]) => k !== l.drop);
    const text = parts.map(([k, v]) => `"${k}":${l.space}${v}`);
    if (l.extra !== null) text.push(l.extra);
    return `{${text.join(`,${l.space}`)}}${l.trail}`;
  });

const EDIT_CHARS = ['"', '\\', '{', '}', ',', ':', '-', '.', 'e', 'E', '0', '9', ' ', '\t', 'é', '\u0000', 'x', '['];

/** Random edits (insert, delete, replace a character) of a line. */
function edited(line: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      line,
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...EDIT_CHARS)), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([text, edits]) => {
      let s = text;
      for (const [at, kind, c] of edits) {
        const i = s.length === 0 ? 0 : at % s.length;
        if (kind === 'insert') s = s.slice(0, i) + c + s.slice(i);
        else if (kind === 'delete') s = s.slice(0, i) + s.slice(i + 1);
        else s = s.slice(0, i) + c + s.slice(i + 1);
      }
      return s;
    });
}

const canonicalLine = plainRecord.map(formatTelemetryLine);

/** Any line (no `\n`): canonical, structured variants, or edits of either. */
export const anyLine: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: canonicalLine },
    { weight: 4, arbitrary: structuredLine },
    { weight: 3, arbitrary: edited(fc.oneof(canonicalLine, structuredLine)) },
  )
  .map((s) => s.replace(/\n/g, ''));

/** Record limits to validate with: none, the defaults, or tight ones that many lines break. */
export const anyLimits: fc.Arbitrary<TelemetryLimits | undefined> = fc.constantFrom(
  undefined,
  DEFAULT_TELEMETRY_LIMITS,
  {
    ...DEFAULT_TELEMETRY_LIMITS,
    minTs: 0,
    maxSourceLength: 6,
    maxMetricLength: 6,
    maxTags: 2,
    maxTagKeyLength: 3,
    maxTagValueLength: 4,
  },
);

/** The same record, field by field: value and ts with Object.is (so -0 ≠ 0), tags in key order. */
export function sameRecord(a: Telemetry, b: Telemetry): boolean {
  const ka = Object.keys(a.tags);
  const kb = Object.keys(b.tags);
  return (
    Object.is(a.ts, b.ts) &&
    a.source === b.source &&
    a.metric === b.metric &&
    Object.is(a.value, b.value) &&
    JSON.stringify(Object.keys(a)) === JSON.stringify(Object.keys(b)) &&
    ka.length === kb.length &&
    ka.every((k, i) => k === kb[i] && a.tags[k] === b.tags[k])
  );
}
