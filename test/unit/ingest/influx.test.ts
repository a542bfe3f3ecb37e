import fc from 'fast-check';
import { InputError } from '../../../src/errors';
import {
  createIngestDecoder,
  parseLineProtocol,
  timestampToMs,
  type InfluxPoint,
  type IngestResult,
} from '../../../src/ingest';
import type { Telemetry } from '../../../src/model/telemetry';
import { DOCS, TELEGRAF } from './influx-fixtures';

const KAFKA_TS = 1_714_564_800_000;

function points(text: string): InfluxPoint[] {
  const r = parseLineProtocol(text);
  if (r instanceof InputError) throw new Error(r.message);
  return r;
}

function ok(r: IngestResult): Telemetry[] {
  if (r.status !== 'ok')
    throw new Error(`expected ok, got ${r.status === 'invalid' ? `${r.error.code}: ${r.error.message}` : r.status}`);
  return r.values;
}

const decoder = (): ReturnType<typeof createIngestDecoder> =>
  createIngestDecoder({ format: 'influx', influx: { defaultSource: 'edge' } });
const decode = (text: string): IngestResult => decoder().decodeSync(Buffer.from(text), { timestamp: KAFKA_TS });

describe('line protocol: the documentation’s examples', () => {
  it('reads floats, integers, unsigned integers and booleans', () => {
    const values = (lines: readonly string[]): unknown[] => lines.map((l) => points(l)[0].fields[0][1]);
    expect(values(DOCS.floats)).toEqual([
      { type: 'float', value: 1 },
      { type: 'float', value: 1 },
      { type: 'float', value: -1.234456e78 },
    ]);
    expect(values(DOCS.integers).map((v) => (v as { value: number }).value)).toEqual([1, 12485903, -12485903]);
    expect(values(DOCS.uintegers)).toEqual([
      { type: 'uinteger', value: 1 },
      { type: 'uinteger', value: 12485903 },
    ]);
    expect(values(DOCS.booleans).map((v) => (v as { value: boolean }).value)).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
  });

  it('unescapes spaces, commas and equals signs, quotes in strings, and emojis', () => {
    expect(points(DOCS.measurementWithSpaces)[0].measurement).toBe('my Measurement');
    expect(points(DOCS.quotesInString)[0].fields[0][1]).toEqual({ type: 'string', value: '"string" within a string' });
    const tagged = points(DOCS.tagsWithSpaces)[0];
    expect(tagged.tags).toEqual([
      ['tag Key1', 'tag Value1'],
      ['tag Key2', 'tag Value2'],
    ]);
    const emoji = points(DOCS.emojis)[0];
    expect(emoji.tags).toEqual([['tagKey', '🍭']]);
    expect(emoji.fields[0][1]).toEqual({ type: 'string', value: 'Launch 🚀' });
    expect(emoji.timestamp).toBe('1556813561098000000');
  });

  it('follows the backslash table', () => {
    for (const [written, meant] of DOCS.backslashes) {
      expect(points(`m,t=a${written}b f=1`)[0].tags[0][1]).toBe(`a${meant}b`);
    }
  });

  it('skips comment lines and blank lines', () => {
    const ps = points(`\n${DOCS.comment}\n\n`);
    expect(ps).toHaveLength(1);
    expect(ps[0].line).toBe(3);
  });

  it('maps only numeric and boolean fields; string fields are skipped and counted', () => {
    const r = decode(DOCS.syntaxExample);
    expect(ok(r)).toEqual([]);
    expect(r.status === 'ok' && r.skipped).toBe(1);
    expect(ok(decode(DOCS.booleans.join('\n'))).map((t) => t.value)).toEqual([1, 0, 1, 0, 1, 0]);
  });
});

describe('line protocol: what Telegraf’s Kafka output writes', () => {
  it('maps measurement + field to the metric name (`value` alone keeps the measurement) and host to source', () => {
    const [t] = ok(decode(TELEGRAF.multipleTags.replace(' 0\n', ' 1519194109000000042\n')));
    expect(t).toEqual({ ts: 1519194109000, source: 'localhost', metric: 'cpu', value: 42, tags: { cpu: 'CPU0' } });
    expect(ok(decode(TELEGRAF.splitFields)).map((x) => [x.metric, x.value, x.ts])).toEqual([
      ['cpu.abc', 123, 1519194109000],
      ['cpu.def', 456, 1519194109000],
    ]);
  });

  it('maps every field of a real procstat line', () => {
    const values = ok(decode(TELEGRAF.procstat));
    expect(values).toHaveLength(53); // the 53 fields of the line
    expect(values.find((t) => t.metric === 'procstat.memory_rss')?.value).toBe(5103616);
    expect(values.find((t) => t.metric === 'procstat.cpu_time_user')?.value).toBe(0.02);
    expect(values.every((t) => t.ts === 1517620624000 && t.source === 'edge' && t.tags.exe === 'bash')).toBe(true);
  });

  it('keeps Telegraf’s escaped newline literally and reads the largest uint64', () => {
    expect(points(TELEGRAF.nameNewline)[0].measurement).toBe('c\\npu');
    expect(points(TELEGRAF.uintMax)[0].fields[0][1]).toEqual({
      type: 'uinteger',
      value: Number(18446744073709551615n),
    });
  });

  it('dead-letters timestamp 0 as out of range (epoch 1970 is never a real sample)', () => {
    const r = decode(TELEGRAF.minimal);
    expect(r.status === 'invalid' && r.error.code).toBe('TS_OUT_OF_RANGE');
  });

  it('prefers an explicit `source` tag over `host`, and needs one of them without defaultSource', () => {
    expect(ok(decode('cpu,host=h1,source=worker-3 value=1 1519194109000000042'))[0]).toMatchObject({
      source: 'worker-3',
      tags: { host: 'h1' },
    });
    const r = createIngestDecoder({ format: 'influx' }).decodeSync(Buffer.from('cpu value=1 1519194109000000042'));
    expect(r.status === 'invalid' && r.error.code).toBe('MISSING_FIELD');
  });

  it('applies the configured precision, and the Kafka timestamp when a line has none', () => {
    expect(timestampToMs('1519194109000000042', 'ns')).toBe(1519194109000);
    expect(timestampToMs('1519194109000042', 'us')).toBe(1519194109000);
    expect(timestampToMs('1519194109000', 'ms')).toBe(1519194109000);
    expect(timestampToMs('1519194109', 's')).toBe(1519194109000);
    const d = createIngestDecoder({ format: 'influx', influx: { precision: 's', defaultSource: 'x' } });
    expect(ok(d.decodeSync(Buffer.from('m f=1 1519194109')))[0].ts).toBe(1519194109000);
    expect(ok(decode('m f=1'))[0].ts).toBe(KAFKA_TS);
    const noTs = createIngestDecoder({ format: 'influx', influx: { defaultSource: 'x' } }).decodeSync(
      Buffer.from('m f=1'),
    );
    expect(noTs.status === 'invalid' && noTs.error.code).toBe('MISSING_FIELD');
  });
});

describe('line protocol: malformed lines', () => {
  const cases: [string, RegExp][] = [
    ['cpu', /no field set/],
    ['cpu ', /field key is empty/],
    ['cpu value=', /has no value/],
    ['cpu value', /has no '=value'/],
    ['cpu value=abc', /not a number/],
    ['cpu value="open', /no closing double quote/],
    ['cpu value=1 12x', /timestamp "12x" is not an integer/],
    ['cpu value=1 12 junk', /unexpected text after the timestamp/],
    ['cpu,host value=1', /tag "host" has no '=value'/],
    [',host=a value=1', /measurement is empty/],
    ['cpu value=99999999999999999999i', /outside the int64 range/],
    ['cpu value=1e999', /out of range/],
  ];
  it.each(cases)('%j → InputError naming the line', (line, reason) => {
    const r = decode(`ok value=1 1519194109000000042\n${line}`);
    expect(r.status).toBe('invalid');
    if (r.status !== 'invalid') return;
    expect(r.error).toBeInstanceOf(InputError);
    expect(r.error.code).toBe('NOT_DECODABLE');
    expect(r.error.message).toMatch(/line 2, column \d+/);
    expect(r.error.message).toMatch(reason);
    expect(r.error.message).toContain(JSON.stringify(line));
  });
});

describe('line protocol: escaping round trip (property)', () => {
  // The escaping the reference describes: a backslash before `\` and the element's specials.
  const escape = (s: string, specials: string): string =>
    s.replace(/[\\]/g, '\\\\').replace(new RegExp(`[${specials}]`, 'g'), (c) => `\\${c}`);
  const name = fc
    .string({
      unit: fc.constantFrom('a', 'b', 'Z', '0', ' ', ',', '=', '\\', '"', 'é', '_', '.'),
      minLength: 1,
      maxLength: 12,
    })
    .filter((s) => !s.endsWith('\\') && s.trim() !== '' && !s.startsWith('#') && !s.startsWith(' '));

  it('parses back every measurement, tag and field name it was given', () => {
    fc.assert(
      fc.property(name, name, name, name, fc.double({ noNaN: true, noDefaultInfinity: true }), (m, tk, tv, fk, v) => {
        const line = `${escape(m, ' ,')},${escape(tk, ' ,=')}=${escape(tv, ' ,=')} ${escape(fk, ' ,=')}=${String(v)} 1519194109000000042`;
        const [p] = points(line);
        expect(p.measurement).toBe(m);
        expect(p.tags).toEqual([[tk, tv]]);
        // String(-0) is "0": line protocol cannot carry the sign of zero (regression: seed 1872260410).
        expect(p.fields).toEqual([[fk, { type: 'float', value: v === 0 ? 0 : v }]]);
      }),
    );
  });
});
