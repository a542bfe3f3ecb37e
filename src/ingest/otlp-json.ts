/**
 * OTLP metrics, JSON encoding (`otlp_json` in the OpenTelemetry Collector's Kafka
 * exporter): the Protobuf JSON mapping of ExportMetricsServiceRequest with the OTLP/JSON
 * rules — lowerCamelCase field names, 64-bit integers as decimal strings (numbers are
 * accepted too: the JS SDK writes counts as numbers), enums as integers (names accepted),
 * bytes in base64, doubles as numbers or "NaN"/"Infinity"/"-Infinity". Unknown fields are
 * ignored. https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 */
import { isUtf8 } from 'node:buffer';
import { InputError } from '../errors';
import {
  emptyBuckets,
  type Attribute,
  type ExpBuckets,
  type ExpHistogramPoint,
  type HistogramPoint,
  type NumberPoint,
  type OtlpData,
  type OtlpMetric,
  type OtlpRequest,
  type OtlpResourceMetrics,
  type PointBase,
  type SummaryPoint,
} from './otlp-model';

type Json = Record<string, unknown>;

class JsonShapeError extends Error {}

function fail(path: string, what: string): never {
  throw new JsonShapeError(`OTLP JSON ${path}: ${what}`);
}

function obj(v: unknown, path: string): Json {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail(path, 'must be an object');
  return v as Json;
}

function arr(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v;
}

function str(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(path, 'must be a string');
  return v;
}

const INTEGER_TEXT = /^-?\d+$/;

/** int64/uint64/fixed64 as a string or a number; `safe` requires a non-negative safe integer. */
function int(v: unknown, path: string, safe: boolean): number {
  if (v === undefined || v === null) return 0;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && INTEGER_TEXT.test(v)) n = Number(v);
  else fail(path, `must be an integer (a decimal string or a number), got ${JSON.stringify(v)?.slice(0, 40)}`);
  if (!Number.isInteger(n)) fail(path, `must be an integer, got ${n}`);
  if (safe && (n < 0 || !Number.isSafeInteger(n)))
    fail(path, `must be a non-negative integer below 2^53, got ${String(v)}`);
  return n;
}

/** Unix nanoseconds (string or number) → epoch ms, floor; exact for decimal strings. */
function timeMs(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string' && /^\d+$/.test(v)) return v.length <= 6 ? 0 : Number(v.slice(0, -6));
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return Math.floor(v / 1e6);
  fail(path, `must be unsigned nanoseconds since the epoch, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

const SPECIAL_DOUBLES: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function dbl(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v in SPECIAL_DOUBLES) return SPECIAL_DOUBLES[v];
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  fail(path, `must be a number, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

const TEMPORALITY_NAMES: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

function temporality(v: unknown, path: string): number {
  if (typeof v === 'string' && v in TEMPORALITY_NAMES) return TEMPORALITY_NAMES[v];
  return int(v, path, true);
}

/** AnyValue → tag text; the same rules as the protobuf reader (see otlp-proto.ts). */
function anyValue(v: unknown, path: string, depth: number): string {
  if (depth > 32) fail(path, 'values nest deeper than 32 levels');
  const o = obj(v, path);
  if ('stringValue' in o) return str(o.stringValue, `${path}.stringValue`);
  if ('boolValue' in o) {
    if (typeof o.boolValue !== 'boolean') fail(`${path}.boolValue`, 'must be a boolean');
    return o.boolValue ? 'true' : 'false';
  }
  if ('intValue' in o) {
    const i = o.intValue;
    if (typeof i === 'string' && INTEGER_TEXT.test(i)) return i;
    return String(int(i, `${path}.intValue`, false));
  }
  if ('doubleValue' in o) return String(dbl(o.doubleValue, `${path}.doubleValue`));
  if ('bytesValue' in o) return str(o.bytesValue, `${path}.bytesValue`);
  if ('arrayValue' in o) {
    const values = arr(obj(o.arrayValue, `${path}.arrayValue`).values, `${path}.arrayValue.values`);
    return JSON.stringify(values.map((x, i) => anyValue(x, `${path}.arrayValue.values[${i}]`, depth + 1)));
  }
  if ('kvlistValue' in o) {
    const values = arr(obj(o.kvlistValue, `${path}.kvlistValue`).values, `${path}.kvlistValue.values`);
    const out: Record<string, string> = {};
    values.forEach((x, i) => {
      const [k, val] = keyValue(x, `${path}.kvlistValue.values[${i}]`, depth + 1);
      if (k !== '__proto__') out[k] = val;
    });
    return JSON.stringify(out);
  }
  return '';
}

function keyValue(v: unknown, path: string, depth = 0): Attribute {
  const o = obj(v, path);
  return [str(o.key, `${path}.key`), anyValue(o.value, `${path}.value`, depth)];
}

function attributes(v: unknown, path: string): Attribute[] {
  return arr(v, path).map((x, i) => keyValue(x, `${path}[${i}]`));
}

function pointBase(o: Json, path: string): PointBase {
  return {
    attributes: attributes(o.attributes, `${path}.attributes`),
    startMs: timeMs(o.startTimeUnixNano, `${path}.startTimeUnixNano`),
    timeMs: timeMs(o.timeUnixNano, `${path}.timeUnixNano`),
    flags: int(o.flags, `${path}.flags`, true),
  };
}

function numberPoint(v: unknown, path: string): NumberPoint {
  const o = obj(v, path);
  let value: number | undefined;
  if (o.asDouble !== undefined && o.asDouble !== null) value = dbl(o.asDouble, `${path}.asDouble`);
  else if (o.asInt !== undefined && o.asInt !== null) value = int(o.asInt, `${path}.asInt`, false);
  return { ...pointBase(o, path), value };
}

function counts(v: unknown, path: string): number[] {
  return arr(v, path).map((x, i) => int(x, `${path}[${i}]`, true));
}

function histogramPoint(v: unknown, path: string): HistogramPoint {
  const o = obj(v, path);
  return {
    ...pointBase(o, path),
    count: int(o.count, `${path}.count`, true),
    sum: dbl(o.sum, `${path}.sum`),
    bucketCounts: counts(o.bucketCounts, `${path}.bucketCounts`),
    explicitBounds: arr(o.explicitBounds, `${path}.explicitBounds`).map(
      (x, i) => dbl(x, `${path}.explicitBounds[${i}]`) ?? NaN,
    ),
    min: dbl(o.min, `${path}.min`),
    max: dbl(o.max, `${path}.max`),
  };
}

function expBuckets(v: unknown, path: string): ExpBuckets {
  if (v === undefined || v === null) return emptyBuckets();
  const o = obj(v, path);
  return { offset: int(o.offset, `${path}.offset`, false), counts: counts(o.bucketCounts, `${path}.bucketCounts`) };
}

function expPoint(v: unknown, path: string): ExpHistogramPoint {
  const o = obj(v, path);
  return {
    ...pointBase(o, path),
    count: int(o.count, `${path}.count`, true),
    sum: dbl(o.sum, `${path}.sum`),
    scale: int(o.scale, `${path}.scale`, false),
    zeroCount: int(o.zeroCount, `${path}.zeroCount`, true),
    zeroThreshold: dbl(o.zeroThreshold, `${path}.zeroThreshold`) ?? 0,
    positive: expBuckets(o.positive, `${path}.positive`),
    negative: expBuckets(o.negative, `${path}.negative`),
    min: dbl(o.min, `${path}.min`),
    max: dbl(o.max, `${path}.max`),
  };
}

function summaryPoint(v: unknown, path: string): SummaryPoint {
  const o = obj(v, path);
  return {
    ...pointBase(o, path),
    count: int(o.count, `${path}.count`, true),
    sum: dbl(o.sum, `${path}.sum`) ?? 0,
    quantiles: arr(o.quantileValues, `${path}.quantileValues`).map((q, i) => {
      const qo = obj(q, `${path}.quantileValues[${i}]`);
      return {
        quantile: dbl(qo.quantile, `${path}.quantileValues[${i}].quantile`) ?? 0,
        value: dbl(qo.value, `${path}.quantileValues[${i}].value`) ?? 0,
      };
    }),
  };
}

function data(m: Json, path: string): OtlpData | undefined {
  const points = (d: Json, p: string): unknown[] => arr(d.dataPoints, `${p}.dataPoints`);
  if (m.gauge !== undefined) {
    const p = `${path}.gauge`;
    return { kind: 'gauge', points: points(obj(m.gauge, p), p).map((x, i) => numberPoint(x, `${p}.dataPoints[${i}]`)) };
  }
  if (m.sum !== undefined) {
    const p = `${path}.sum`;
    const d = obj(m.sum, p);
    if (d.isMonotonic !== undefined && typeof d.isMonotonic !== 'boolean')
      fail(`${p}.isMonotonic`, 'must be a boolean');
    return {
      kind: 'sum',
      temporality: temporality(d.aggregationTemporality, `${p}.aggregationTemporality`),
      monotonic: d.isMonotonic === true,
      points: points(d, p).map((x, i) => numberPoint(x, `${p}.dataPoints[${i}]`)),
    };
  }
  if (m.histogram !== undefined) {
    const p = `${path}.histogram`;
    const d = obj(m.histogram, p);
    return {
      kind: 'histogram',
      temporality: temporality(d.aggregationTemporality, `${p}.aggregationTemporality`),
      points: points(d, p).map((x, i) => histogramPoint(x, `${p}.dataPoints[${i}]`)),
    };
  }
  if (m.exponentialHistogram !== undefined) {
    const p = `${path}.exponentialHistogram`;
    const d = obj(m.exponentialHistogram, p);
    return {
      kind: 'exponentialHistogram',
      temporality: temporality(d.aggregationTemporality, `${p}.aggregationTemporality`),
      points: points(d, p).map((x, i) => expPoint(x, `${p}.dataPoints[${i}]`)),
    };
  }
  if (m.summary !== undefined) {
    const p = `${path}.summary`;
    return {
      kind: 'summary',
      points: points(obj(m.summary, p), p).map((x, i) => summaryPoint(x, `${p}.dataPoints[${i}]`)),
    };
  }
  return undefined;
}

/** Maps an already parsed OTLP JSON object. */
export function otlpFromJson(parsed: Json): OtlpRequest | InputError {
  try {
    const resourceMetrics: OtlpResourceMetrics[] = arr(parsed.resourceMetrics, 'resourceMetrics').map((rmv, i) => {
      const rp = `resourceMetrics[${i}]`;
      const rm = obj(rmv, rp);
      return {
        attributes: attributes(obj(rm.resource, `${rp}.resource`).attributes, `${rp}.resource.attributes`),
        scopeMetrics: arr(rm.scopeMetrics, `${rp}.scopeMetrics`).map((smv, j) => {
          const sp = `${rp}.scopeMetrics[${j}]`;
          const sm = obj(smv, sp);
          return {
            scopeName: str(obj(sm.scope, `${sp}.scope`).name, `${sp}.scope.name`),
            metrics: arr(sm.metrics, `${sp}.metrics`).map((mv, k): OtlpMetric => {
              const mp = `${sp}.metrics[${k}]`;
              const m = obj(mv, mp);
              const name = str(m.name, `${mp}.name`);
              return { name, unit: str(m.unit, `${mp}.unit`), data: data(m, `${mp}(${name || '?'})`) };
            }),
          };
        }),
      };
    });
    return { resourceMetrics };
  } catch (err) {
    if (err instanceof JsonShapeError) return new InputError('INVALID_FIELD', err.message);
    return new InputError('NOT_DECODABLE', `OTLP JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Parses and maps OTLP JSON bytes. */
export function decodeOtlpJson(buf: Buffer): OtlpRequest | InputError {
  if (!isUtf8(buf))
    return new InputError('INVALID_UTF8', `value looks like OTLP JSON but is not valid UTF-8 (${buf.length} bytes)`);
  let parsed: unknown;
  try {
    const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
    parsed = JSON.parse(buf.toString('utf8', bom));
  } catch (err) {
    return new InputError('INVALID_JSON', `value is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return new InputError(
      'NOT_DECODABLE',
      'value is JSON but not an object; expected an OTLP ExportMetricsServiceRequest ({"resourceMetrics":[...]})',
    );
  }
  return otlpFromJson(parsed as Json);
}
