/**
 * decodeFast is decodeSync's one-pass answer without the result object around it (the
 * driver's per-record path, kafka/processor-driver.ts): whenever it answers, decodeSync must
 * answer `ok` with the same record; where it does not, decodeSync decides alone. Checked on
 * Avro under the reader's own schema and under another writer schema (resolved: never the
 * one-pass reader's), JSON, every format setting, and damaged, truncated and foreign bytes.
 */
import fc from 'fast-check';
import { createTelemetryDecoder, encodeTelemetryJson, type WireFormat } from '../../../src/codec';
import type { Telemetry } from '../../../src/model/telemetry';
import { EVOLVED_ID, OWN_ID, UNKNOWN_ID, evolved, frame, lookup, own } from '../../helpers/telemetry-writers';

const telemetry = fc.record({
  ts: fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }),
  source: fc.constantFrom('w-1', 'w-2', 'worker-long-name-3', 's'),
  metric: fc.constantFrom('queue.depth', 'query.latency_ms', 'm'),
  value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()),
  tags: fc.dictionary(fc.constantFrom('role', 'tenant', 'service', 'b'), fc.constantFrom('worker', 't1', '', 'x')),
});

/** Every way a record is written on the wire here, damaged or not. */
function wireForms(t: Telemetry, cut: number, flip: number, byte: number): Buffer[] {
  const json = encodeTelemetryJson(t);
  const ownAvro = frame(OWN_ID, own.toBuffer(t));
  const evolvedAvro = frame(EVOLVED_ID, evolved.toBuffer(t));
  const forms = [json, ownAvro, evolvedAvro, frame(UNKNOWN_ID, own.toBuffer(t)), Buffer.from(` \n${json.toString()}`)];
  const damaged: Buffer[] = [];
  for (const f of forms) {
    damaged.push(f.subarray(0, Math.min(cut, f.length)));
    const g = Buffer.from(f);
    g[flip % g.length] = byte;
    damaged.push(g);
  }
  return [...forms, ...damaged];
}

describe('decodeFast', () => {
  const formats: WireFormat[] = ['auto', 'avro', 'json'];
  const decoders = formats.map((format) => createTelemetryDecoder({ resolver: lookup, format }));

  beforeAll(async () => {
    for (const d of decoders) {
      await d.loadSchema(OWN_ID);
      await d.loadSchema(EVOLVED_ID);
    }
  });

  test('answers only where decodeSync says ok, with the same record', () => {
    let answered = 0;
    let declined = 0;
    fc.assert(
      fc.property(telemetry, fc.nat(200), fc.nat(), fc.nat(255), (t, cut, flip, byte) => {
        for (const value of wireForms(t, cut, flip, byte)) {
          for (const d of decoders) {
            const fast = d.decodeFast(value);
            const slow = d.decodeSync(value);
            if (fast === undefined) {
              declined++;
              continue;
            }
            answered++;
            expect(slow.status).toBe('ok');
            if (slow.status !== 'ok') return;
            expect(fast).toEqual(slow.value);
            expect(Object.keys(fast.tags)).toEqual(Object.keys(slow.value.tags));
          }
        }
      }),
      { numRuns: 150 },
    );
    // Both sides were exercised: the one-pass readers answered, and left records to decodeSync.
    expect(answered).toBeGreaterThan(0);
    expect(declined).toBeGreaterThan(0);
  });

  test('decodeFastIn answers for a value inside a larger buffer exactly as decodeFast for its own copy', () => {
    let answered = 0;
    fc.assert(
      fc.property(telemetry, fc.nat(200), fc.nat(), fc.nat(255), fc.nat(9), (t, cut, flip, byte, lead) => {
        const forms = wireForms(t, cut, flip, byte);
        forms.forEach((value, i) => {
          // Followed by another form: a reader looking past the value's end would find a record.
          const next = forms[(i + 1) % forms.length];
          const big = Buffer.concat([Buffer.alloc(lead, 0x7b), value, next]);
          for (const d of decoders) {
            const inPlace = d.decodeFastIn(big, lead, lead + value.length);
            expect(inPlace).toEqual(d.decodeFast(Buffer.from(value)));
            if (inPlace !== undefined) answered++;
          }
        });
      }),
      { numRuns: 150 },
    );
    expect(answered).toBeGreaterThan(0);
  });

  test('declines what decodeSync must decide: a tombstone, an empty value, a schema to fetch, another writer schema', () => {
    const t: Telemetry = { ts: 1_767_225_600_000, source: 'w-1', metric: 'm', value: 1, tags: { role: 'worker' } };
    const [auto] = decoders;
    expect(auto.decodeFast(null)).toBeUndefined();
    expect(auto.decodeFast(Buffer.alloc(0))).toBeUndefined();
    expect(auto.decodeFast(frame(UNKNOWN_ID, own.toBuffer(t)))).toBeUndefined();
    expect(auto.decodeSync(frame(UNKNOWN_ID, own.toBuffer(t)))).toEqual({
      status: 'schema-miss',
      schemaId: UNKNOWN_ID,
    });
    // Resolved from another writer schema: decodeSync reads it (ok), the one-pass reader must not.
    const resolved = frame(EVOLVED_ID, evolved.toBuffer(t));
    expect(auto.decodeFast(resolved)).toBeUndefined();
    expect(auto.decodeSync(resolved)).toEqual({ status: 'ok', value: t, format: 'avro' });
    // Each format setting answers only for its own encoding.
    const [, avroOnly, jsonOnly] = decoders;
    expect(avroOnly.decodeFast(encodeTelemetryJson(t))).toBeUndefined();
    expect(jsonOnly.decodeFast(frame(OWN_ID, own.toBuffer(t)))).toBeUndefined();
    expect(auto.decodeFast(frame(OWN_ID, own.toBuffer(t)))).toEqual(t);
    expect(auto.decodeFast(encodeTelemetryJson(t))).toEqual(t);
  });
});
