/**
 * The one-pass readers remember each source's last tags by their bytes (tags-memo.ts): a
 * record whose tag bytes are its source's last ones shares their (frozen) tags object. The
 * memory must never change what a record reads as: not across sources, changed tags, other
 * limits, trailing bytes, or buffers that are views at any offset of a larger one.
 */
import fc from 'fast-check';
import { DEFAULT_TELEMETRY_LIMITS, encodeTelemetryJson, schemaType, type TelemetryLimits } from '../../../src/codec';
import { readTelemetryFast } from '../../../src/codec/telemetry-avro-fast';
import { readTelemetryJsonFast } from '../../../src/codec/telemetry-json-fast';
import type { Telemetry } from '../../../src/model/telemetry';

const type = schemaType('telemetry');
const limits: TelemetryLimits = { ...DEFAULT_TELEMETRY_LIMITS };

const record = (source: string, tags: Record<string, string>, value = 1): Telemetry => ({
  ts: 1_767_225_600_000,
  source,
  metric: 'queue.depth',
  value,
  tags,
});

type Reader = (t: Telemetry, l?: TelemetryLimits) => Telemetry | undefined;

/** Reads `t` written in a fresh buffer at a random-ish offset of a larger one. */
function viaAvro(t: Telemetry, l: TelemetryLimits = limits): Telemetry | undefined {
  const body = type.toBuffer(t);
  const pad = t.value % 7 >= 0 ? Math.abs(Math.trunc(t.value)) % 7 : 0;
  const big = Buffer.alloc(body.length + pad + 3, 0xee);
  body.copy(big, pad);
  return readTelemetryFast(big.subarray(pad, pad + body.length), 0, l);
}

function viaJson(t: Telemetry, l: TelemetryLimits = limits): Telemetry | undefined {
  const text = encodeTelemetryJson(t);
  return readTelemetryJsonFast(text, 0, l);
}

/** The key order a general reader gives (avsc in wire order; JSON.parse in text order). */
const avroKeys = (t: Telemetry): string[] => Object.keys((type.fromBuffer(type.toBuffer(t)) as Telemetry).tags);
const jsonKeys = (t: Telemetry): string[] =>
  Object.keys((JSON.parse(encodeTelemetryJson(t).toString()) as Telemetry).tags);

describe.each([
  ['Avro', viaAvro, avroKeys],
  ['JSON', viaJson, jsonKeys],
] as [string, Reader, (t: Telemetry) => string[]][])('%s reader: remembered tags', (_name, read, keysOf) => {
  it("shares one frozen tags object between a source's records with the same tags", () => {
    const a = read(record('memo-a', { role: 'worker', tenant: 't1' }, 1));
    const b = read(record('memo-a', { role: 'worker', tenant: 't1' }, 2));
    expect(a).toEqual(record('memo-a', { role: 'worker', tenant: 't1' }, 1));
    expect(b).toEqual(record('memo-a', { role: 'worker', tenant: 't1' }, 2));
    expect(b!.tags).toBe(a!.tags);
    expect(Object.isFrozen(b!.tags)).toBe(true);
  });

  it('reads changed tags afresh, and never lends one source the tags of another', () => {
    read(record('memo-b', { tenant: 't1' }));
    expect(read(record('memo-b', { tenant: 't2' }))!.tags).toEqual({ tenant: 't2' });
    expect(read(record('memo-b', { tenant: 't2', zone: 'z' }))!.tags).toEqual({ tenant: 't2', zone: 'z' });
    expect(read(record('memo-b', {}))!.tags).toEqual({});
    expect(read(record('memo-c', { tenant: 't2' }))!.tags).toEqual({ tenant: 't2' });
  });

  it('applies the limits of the read, not those the tags were remembered under', () => {
    const t = record('memo-d', { a: '1', b: '2', c: 'three' });
    expect(read(t)!.tags).toEqual(t.tags);
    expect(read(t, { ...limits, maxTags: 2 })).toBeUndefined();
    expect(read(t, { ...limits, maxTagValueLength: 4 })).toBeUndefined();
    expect(read(t)!.tags).toEqual(t.tags);
  });

  it('reads like a fresh reader on random streams of a few sources and tag sets', () => {
    const tagSets: Record<string, string>[] = [
      {},
      { a: 'x' },
      { a: 'y' },
      { a: 'x', b: 'y' },
      { b: 'x', a: 'y' },
      { a: 'x'.repeat(120) },
    ];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: tagSets.length - 1 })), {
          maxLength: 60,
        }),
        (stream) => {
          for (const [s, k] of stream) {
            const t = record(`memo-r${s}`, tagSets[k], s + k);
            const got = read(t);
            expect(got).toEqual(t);
            expect(Object.keys(got!.tags)).toEqual(keysOf(t));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Avro reader: remembered tags', () => {
  it('refuses the remembered tag bytes followed by more bytes', () => {
    const t = record('memo-e', { role: 'worker' });
    const body = type.toBuffer(t);
    expect(readTelemetryFast(body, 0, limits)).toEqual(t);
    expect(readTelemetryFast(Buffer.concat([body, Buffer.from([0])]), 0, limits)).toBeUndefined();
    expect(readTelemetryFast(body, 0, limits)).toEqual(t);
  });
});

describe('JSON reader: remembered tags', () => {
  it('reads tags written before the source, and tags with other spacing, as JSON.parse does', () => {
    const first = Buffer.from('{"ts":1767225600000,"source":"memo-f","metric":"m","value":1,"tags":{"k":"v"}}');
    const spaced = Buffer.from('{"ts":1767225600000,"source":"memo-f","metric":"m","value":2,"tags": { "k" : "v" } }');
    const before = Buffer.from('{"tags":{"k":"w"},"ts":1767225600000,"source":"memo-f","metric":"m","value":3}');
    for (const text of [first, spaced, before, first]) {
      const parsed = JSON.parse(text.toString()) as Telemetry;
      expect(readTelemetryJsonFast(text, 0, limits)).toEqual(parsed);
    }
  });
});
