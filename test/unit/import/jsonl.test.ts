/** JSONL in (ISO and epoch ts) and out (deterministic layout), and the round trip between them. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import fc from 'fast-check';
import type { Telemetry } from '../../../src/model/telemetry';
import { formatTelemetryLine, importAll, writeTelemetryJsonl } from '../../../src/import';

const fromText = (text: string): Readable => Readable.from([Buffer.from(text, 'utf8')]);

describe('JSONL import', () => {
  it('reads ts as epoch ms or as an ISO string (zone-less = UTC, offsets applied)', async () => {
    const lines = [
      '{"ts":1700000000000,"source":"w1","metric":"queue.depth","value":3,"tags":{"role":"db"}}',
      '{"ts":"2023-11-14T22:13:20Z","source":"w1","metric":"queue.depth","value":4}',
      '{"ts":"2023-11-14T22:13:20.5","source":"w1","metric":"queue.depth","value":5,"tags":{}}',
      '{"ts":"2023-11-15T00:13:20+02:00","source":"w1","metric":"queue.depth","value":6,"extra":true}',
    ];
    const result = await importAll(fromText(lines.join('\n')));
    expect(result.format).toBe('jsonl');
    expect(result.errors).toEqual([]);
    expect(result.records.map((r) => r.ts)).toEqual([1700000000000, 1700000000000, 1700000000500, 1700000000000]);
    expect(result.records[0]).toEqual({
      ts: 1700000000000,
      source: 'w1',
      metric: 'queue.depth',
      value: 3,
      tags: { role: 'db' },
    });
    expect(result.records[3]).not.toHaveProperty('extra');
  });

  it('fills source, metric and tags from the mapping; the line wins', async () => {
    const text = '{"ts":1,"value":1}\n{"ts":2,"value":2,"source":"s2","tags":{"service":"own","k":"v"}}\n';
    const result = await importAll(fromText(text), {
      mapping: { source: 'def', metric: 'requests', tags: { service: 'api' }, valueScale: 2 },
    });
    expect(result.records).toEqual([
      { ts: 1, source: 'def', metric: 'requests', value: 2, tags: { service: 'api' } },
      { ts: 2, source: 's2', metric: 'requests', value: 4, tags: { service: 'own', k: 'v' } },
    ]);
  });

  it('reports each bad line with its number and reason, and imports the rest', async () => {
    const lines = [
      '{"ts":1,"source":"a","metric":"m","value":1}', // 1
      '{"ts":1,"source":"a","metric":"m","value":', // 2
      '[1,2]', // 3
      '{"source":"a","metric":"m","value":1}', // 4
      '{"ts":"yesterday","source":"a","metric":"m","value":1}', // 5
      '{"ts":1.5,"source":"a","metric":"m","value":1}', // 6
      '{"ts":1,"metric":"m","value":1}', // 7
      '{"ts":1,"source":"a","metric":"m","value":"1"}', // 8
      '{"ts":1,"source":"a","metric":"m","value":1e999}', // 9
      '{"ts":1,"source":"a","metric":"m","value":1,"tags":{"n":1}}', // 10
      '', // 11
      '{"ts":2,"source":"a","metric":"m","value":2}', // 12
    ];
    const result = await importAll(fromText(lines.join('\n')));
    expect(result.records.map((r) => r.ts)).toEqual([1, 2]);
    expect(result.errors.map((e) => [e.line, e.code])).toEqual([
      [2, 'INVALID_JSON'],
      [3, 'INVALID_JSON'],
      [4, 'MISSING_FIELD'],
      [5, 'INVALID_FIELD'],
      [6, 'INVALID_FIELD'],
      [7, 'MISSING_FIELD'],
      [8, 'INVALID_FIELD'],
      [9, 'NON_FINITE_VALUE'],
      [10, 'INVALID_FIELD'],
    ]);
    expect(result.errors[3].reason).toMatch(/^ts "yesterday" is not a date-time/);
    expect(result.errors[4].reason).toBe('ts 1.5 is not an integer epoch ms');
    expect(result.errors[8].reason).toBe("tag 'n' is 1, not a string");
    expect(result.errors.every((e) => e.raw === lines[e.line - 1])).toBe(true);
  });

  it('refuses a __proto__ tag rather than dropping it', async () => {
    const result = await importAll(fromText('{"ts":1,"source":"a","metric":"m","value":1,"tags":{"__proto__":"x"}}\n'));
    expect(result.errors.map((e) => e.reason)).toEqual(["tag key '__proto__' is not allowed"]);
  });
});

describe('JSONL output', () => {
  it('writes keys in a fixed order with tag keys sorted', () => {
    const line = formatTelemetryLine({
      value: 1.5,
      tags: { z: '1', a: '2', B: '3' },
      metric: 'm',
      source: 's"q',
      ts: 10,
    });
    expect(line).toBe('{"ts":10,"source":"s\\"q","metric":"m","value":1.5,"tags":{"B":"3","a":"2","z":"1"}}');
  });

  it('refuses records JSON cannot carry', () => {
    expect(() => formatTelemetryLine({ ts: 1, source: 's', metric: 'm', value: Number.NaN, tags: {} })).toThrow(
      /value NaN/,
    );
    expect(() => formatTelemetryLine({ ts: 1.5, source: 's', metric: 'm', value: 1, tags: {} })).toThrow(/ts 1.5/);
  });

  const record = fc.record({
    ts: fc.integer({ min: -8.64e15, max: 8.64e15 }),
    source: fc.string({ minLength: 1 }),
    metric: fc.string({ minLength: 1 }),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    tags: fc.dictionary(
      fc.string().filter((k) => k !== '__proto__'),
      fc.string(),
    ),
  });

  it('round-trips through import, and the same records always give the same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 20 }), async (records: Telemetry[]) => {
        const sink = new PassThrough();
        const chunks: Buffer[] = [];
        sink.on('data', (c: Buffer) => chunks.push(c));
        const written = await writeTelemetryJsonl(records, sink);
        const text = Buffer.concat(chunks).toString('utf8');
        expect(written).toEqual({ records: records.length, bytes: Buffer.byteLength(text) });
        const back = await importAll(fromText(text), { format: 'jsonl' });
        expect(back.errors).toEqual([]);
        // -0 is written as 0, the one value JSON cannot keep apart.
        expect(back.records).toEqual(records.map((r) => ({ ...r, value: Object.is(r.value, -0) ? 0 : r.value })));
        const again = back.records.map(formatTelemetryLine).join('\n');
        expect(again + (records.length > 0 ? '\n' : '')).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it('writes a file from an async iterable, in batches, and leaves a caller stream open by default', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'homeostat-import-'));
    try {
      const file = path.join(dir, 'out.jsonl');
      async function* many(): AsyncGenerator<Telemetry> {
        for (let i = 0; i < 5000; i++) {
          // Let the event loop turn now and then, as a real async source would.
          if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
          yield { ts: i, source: 'src', metric: 'm', value: i / 3, tags: { i: String(i) } };
        }
      }
      const result = await writeTelemetryJsonl(many(), file);
      const text = readFileSync(file, 'utf8');
      expect(result).toEqual({ records: 5000, bytes: Buffer.byteLength(text) });
      expect(text.split('\n')).toHaveLength(5001);
      const back = await importAll(file);
      expect(back.records).toHaveLength(5000);
      expect(back.records[4999]).toEqual({
        ts: 4999,
        source: 'src',
        metric: 'm',
        value: 4999 / 3,
        tags: { i: '4999' },
      });

      const sink = new PassThrough();
      sink.resume();
      await writeTelemetryJsonl([{ ts: 1, source: 's', metric: 'm', value: 1, tags: {} }], sink);
      expect(sink.writableEnded).toBe(false);
      await writeTelemetryJsonl([], sink, { end: true });
      expect(sink.writableEnded).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("creates the file's missing folders (`import --out out/x.jsonl` in a fresh clone), and rejects when it cannot", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'homeostat-import-'));
    try {
      const nested = path.join(dir, 'out', 'deeper', 'x.jsonl');
      expect(
        await writeTelemetryJsonl([{ ts: 1, source: 's', metric: 'm', value: 1, tags: {} }], nested),
      ).toMatchObject({ records: 1 });
      expect(readFileSync(nested, 'utf8')).toContain('"source":"s"');
      // A folder that is a file cannot be created.
      await expect(writeTelemetryJsonl([], path.join(nested, 'y.jsonl'))).rejects.toThrow(/EEXIST|ENOTDIR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
