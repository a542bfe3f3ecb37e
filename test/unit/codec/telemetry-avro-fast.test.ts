/**
 * The one-pass telemetry reader must accept only what the general path (guard → avsc →
 * validateTelemetry) accepts, and give the same record: same fields, same values, tags in
 * the same key order. Checked on valid records, every truncation and single-byte change of
 * them, hand-made edge cases and random bodies.
 */
import fc from 'fast-check';
import { DEFAULT_TELEMETRY_LIMITS, schemaType, validateTelemetry, type TelemetryLimits } from '../../../src/codec';
import { guardAvro } from '../../../src/codec/avro-guard';
import { internAscii } from '../../../src/codec/ascii-intern';
import { readTelemetryFast } from '../../../src/codec/telemetry-avro-fast';
import { InputError } from '../../../src/errors';
import type { Telemetry } from '../../../src/model/telemetry';
import { prefixesAndChanges } from '../../helpers/damaged-bytes';

const type = schemaType('telemetry');
const limits: TelemetryLimits = { ...DEFAULT_TELEMETRY_LIMITS, maxTags: 4, maxSourceLength: 12 };

/** The general path's verdict on a body: the record, or undefined when it is refused. */
function general(body: Buffer): Telemetry | undefined {
  const scan = guardAvro(type, body, 0);
  if (scan.end !== body.length) return undefined;
  let decoded: { value: unknown; offset: number };
  try {
    decoded = type.decode(body, 0);
  } catch {
    return undefined;
  }
  if (decoded.offset !== body.length) return undefined;
  const v = validateTelemetry(decoded.value as Record<string, unknown>, limits);
  return v instanceof InputError ? undefined : v;
}

/** The fast reader never accepts what the general path refuses, and agrees on what both accept. */
function agrees(body: Buffer): boolean {
  const fast = readTelemetryFast(body, 0, limits);
  if (fast === undefined) return true;
  const slow = general(body);
  expect(slow).toEqual(fast);
  expect(Object.keys(fast.tags)).toEqual(Object.keys(slow!.tags));
  return true;
}

const encode = (value: unknown): Buffer => type.toBuffer(value);

const valid: Telemetry[] = [
  { ts: 1_767_225_600_000, source: 'w-1', metric: 'queue.depth', value: 120, tags: { role: 'worker', tenant: 't1' } },
  { ts: 1_767_225_600_001, source: 'ü€𝄞', metric: 'm', value: -0.5, tags: {} },
  { ts: 1_767_225_600_002, source: 's', metric: 'm', value: 1e300, tags: { '1': 'a', b: '', '0': 'c' } },
];

describe('readTelemetryFast', () => {
  it('reads valid records exactly as the general path does', () => {
    for (const t of valid) {
      const body = encode(t);
      const fast = readTelemetryFast(body, 0, limits);
      expect(fast).toEqual(general(body));
      expect(fast).toEqual(t);
      expect(Object.keys(fast!.tags)).toEqual(Object.keys(general(body)!.tags));
    }
  });

  it('reads from an offset (after the Confluent header)', () => {
    const body = encode(valid[0]);
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), body]);
    expect(readTelemetryFast(framed, 5, limits)).toEqual(valid[0]);
  });

  it('leaves every refused or doubtful record to the general path', () => {
    const base = { ts: 1_767_225_600_000, source: 's', metric: 'm', value: 1 };
    const doubtful: unknown[] = [
      { ...base, ts: 999 }, // before minTs
      { ...base, ts: 5_000_000_000_000 }, // after maxTs
      { ...base, source: '' },
      { ...base, source: 'x'.repeat(13) }, // over maxSourceLength
      { ...base, metric: '' },
      { ...base, value: NaN },
      { ...base, value: Infinity },
      { ...base, tags: { '': 'empty key' } },
      { ...base, tags: { a: '1', b: '2', c: '3', d: '4', e: '5' } }, // over maxTags
      { ...base, tags: { k: 'v'.repeat(257) } },
    ];
    for (const v of doubtful) {
      const body = encode(v);
      expect(readTelemetryFast(body, 0, limits)).toBeUndefined();
    }
    // A '__proto__' key and a repeated key, written by hand (avsc would not write them).
    const head = encode({ ...base, tags: {} }).subarray(0, -1);
    const str = (s: string) => Buffer.concat([Buffer.from([s.length * 2]), Buffer.from(s)]);
    const proto = Buffer.concat([head, Buffer.from([2]), str('__proto__'), str('x'), Buffer.from([0])]);
    const twice = Buffer.concat([head, Buffer.from([4]), str('k'), str('a'), str('k'), str('b'), Buffer.from([0])]);
    for (const body of [proto, twice]) expect(readTelemetryFast(body, 0, limits)).toBeUndefined();
    // A block with a negative count and a byte size is read as avsc reads it.
    const sized = Buffer.concat([head, Buffer.from([1, 8]), str('k'), str('v'), Buffer.from([0])]);
    expect(readTelemetryFast(sized, 0, limits)).toEqual({ ...base, tags: { k: 'v' } });
    expect(general(sized)).toEqual({ ...base, tags: { k: 'v' } });
  });

  it('agrees with the general path on every truncation and single-byte change of valid records', () => {
    for (const t of valid) {
      const body = encode(t);
      for (let end = 0; end < body.length; end++) {
        expect(readTelemetryFast(body.subarray(0, end), 0, limits)).toBeUndefined();
        agrees(body.subarray(0, end));
      }
      for (let i = 0; i < body.length; i++) {
        for (const b of [0x00, 0x01, 0x7f, 0x80, 0xff, body[i] ^ 0x01]) {
          const changed = Buffer.from(body);
          changed[i] = b;
          agrees(changed);
        }
      }
      agrees(Buffer.concat([body, Buffer.from([0])])); // a trailing byte
      expect(readTelemetryFast(Buffer.concat([body, Buffer.from([0])]), 0, limits)).toBeUndefined();
    }
  });

  it('reads a body in place inside a larger buffer exactly as its own copy, reading nothing past its end', () => {
    // Each body's truncations and byte changes, followed by the rest of the body (and a trailing
    // byte): a reader that looked past the end it was given would find a whole record there.
    const lead = Buffer.from([0, 0, 0, 0, 7]);
    for (const t of valid) {
      const body = encode(t);
      const candidates = prefixesAndChanges(body, (b) => b ^ 0x01);
      for (const c of candidates) {
        const rest = body.subarray(Math.min(c.length, body.length));
        const big = Buffer.concat([lead, c, rest, Buffer.from([0])]);
        const inPlace = readTelemetryFast(big, lead.length, limits, lead.length + c.length);
        expect(inPlace).toEqual(readTelemetryFast(Buffer.from(c), 0, limits));
      }
    }
  });

  it('agrees with the general path on random bodies', () => {
    const prefix = encode({ ts: 1_767_225_600_000, source: 's', metric: 'm', value: 1, tags: {} }).subarray(0, 8);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, prefixed) =>
        agrees(prefixed ? Buffer.concat([prefix, Buffer.from(bytes)]) : Buffer.from(bytes)),
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('internAscii', () => {
  it('gives the UTF-8 decoding of the bytes, whatever the table held before', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 80, unit: 'binary' }), { maxLength: 50 }), (names) => {
        for (const name of [...names, ...names]) {
          const bytes = Buffer.concat([Buffer.from('xx'), Buffer.from(name, 'utf8')]);
          expect(internAscii(bytes, 2, bytes.length - 2)).toBe(bytes.toString('utf8', 2));
        }
      }),
      { numRuns: 500 },
    );
    // Many distinct names share slots: each still decodes to itself.
    for (let i = 0; i < 40_000; i++) {
      const name = `worker-${i % 20_000}`;
      expect(internAscii(Buffer.from(name), 0, name.length)).toBe(name);
    }
  });
});
