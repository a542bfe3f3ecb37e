/**
 * OTLP metrics.proto data points in protobuf: NumberDataPoint, HistogramDataPoint,
 * ExponentialHistogramDataPoint (with its Buckets) and SummaryDataPoint. Field numbers from
 * opentelemetry-proto, cross-checked against @opentelemetry/otlp-transformer's serializer.
 */
import {
  emptyBuckets,
  type ExpBuckets,
  type ExpHistogramPoint,
  type HistogramPoint,
  type NumberPoint,
  type PointBase,
  type SummaryPoint,
} from './otlp-model';
import { readKeyValue } from './otlp-proto-values';
import {
  WIRE_I64,
  WIRE_LEN,
  WIRE_VARINT,
  expectWire,
  readDouble,
  readFixed64Uint53,
  readMessage,
  readRepeated,
  readSfixed64,
  readSint,
  readTag,
  readTimeMs,
  readUint53,
  readVarint,
  skipField,
  type ProtoReader,
} from './protobuf';

function base(): PointBase {
  return { attributes: [], startMs: 0, timeMs: 0, flags: 0 };
}

/** Fields every point type shares: start (2) and time (3) fixed64. */
function readTimes(r: ProtoReader, field: number, wire: number, p: PointBase): boolean {
  if (field === 2 || field === 3) {
    expectWire(r, wire, WIRE_I64, field === 2 ? 'start_time_unix_nano' : 'time_unix_nano');
    const ms = readTimeMs(r);
    if (field === 2) p.startMs = ms;
    else p.timeMs = ms;
    return true;
  }
  return false;
}

function readAttr(r: ProtoReader, wire: number, p: PointBase): void {
  expectWire(r, wire, WIRE_LEN, 'attributes');
  p.attributes.push(readKeyValue(readMessage(r, `${r.path}.attributes`)));
}

function readFlags(r: ProtoReader, wire: number, p: PointBase): void {
  expectWire(r, wire, WIRE_VARINT, 'flags');
  p.flags = readVarint(r);
}

export function readNumberPoint(r: ProtoReader): NumberPoint {
  const p: NumberPoint = { ...base(), value: undefined };
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    if (readTimes(r, field, wire, p)) continue;
    if (field === 4) {
      expectWire(r, wire, WIRE_I64, 'as_double');
      p.value = readDouble(r);
    } else if (field === 6) {
      expectWire(r, wire, WIRE_I64, 'as_int');
      p.value = readSfixed64(r);
    } else if (field === 7) readAttr(r, wire, p);
    else if (field === 8) readFlags(r, wire, p);
    else skipField(r, wire);
  }
  return p;
}

const readCountFixed = (r: ProtoReader): number => readFixed64Uint53(r, 'a bucket count');
const readCountVarint = (r: ProtoReader): number => readUint53(r, 'a bucket count');

export function readHistogramPoint(r: ProtoReader): HistogramPoint {
  const p: HistogramPoint = {
    ...base(),
    count: 0,
    sum: undefined,
    bucketCounts: [],
    explicitBounds: [],
    min: undefined,
    max: undefined,
  };
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    if (readTimes(r, field, wire, p)) continue;
    switch (field) {
      case 4:
        expectWire(r, wire, WIRE_I64, 'count');
        p.count = readFixed64Uint53(r, 'count');
        break;
      case 5:
        expectWire(r, wire, WIRE_I64, 'sum');
        p.sum = readDouble(r);
        break;
      case 6:
        readRepeated(r, wire, WIRE_I64, readCountFixed, p.bucketCounts, 'bucket_counts');
        break;
      case 7:
        readRepeated(r, wire, WIRE_I64, readDouble, p.explicitBounds, 'explicit_bounds');
        break;
      case 9:
        readAttr(r, wire, p);
        break;
      case 10:
        readFlags(r, wire, p);
        break;
      case 11:
        expectWire(r, wire, WIRE_I64, 'min');
        p.min = readDouble(r);
        break;
      case 12:
        expectWire(r, wire, WIRE_I64, 'max');
        p.max = readDouble(r);
        break;
      default:
        skipField(r, wire);
    }
  }
  return p;
}

function readExpBuckets(r: ProtoReader): ExpBuckets {
  const b = emptyBuckets();
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    if (field === 1) {
      expectWire(r, wire, WIRE_VARINT, 'offset');
      b.offset = readSint(r);
    } else if (field === 2) readRepeated(r, wire, WIRE_VARINT, readCountVarint, b.counts, 'bucket_counts');
    else skipField(r, wire);
  }
  return b;
}

export function readExpPoint(r: ProtoReader): ExpHistogramPoint {
  const p: ExpHistogramPoint = {
    ...base(),
    count: 0,
    sum: undefined,
    scale: 0,
    zeroCount: 0,
    zeroThreshold: 0,
    positive: emptyBuckets(),
    negative: emptyBuckets(),
    min: undefined,
    max: undefined,
  };
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    if (readTimes(r, field, wire, p)) continue;
    switch (field) {
      case 1:
        readAttr(r, wire, p);
        break;
      case 4:
        expectWire(r, wire, WIRE_I64, 'count');
        p.count = readFixed64Uint53(r, 'count');
        break;
      case 5:
        expectWire(r, wire, WIRE_I64, 'sum');
        p.sum = readDouble(r);
        break;
      case 6:
        expectWire(r, wire, WIRE_VARINT, 'scale');
        p.scale = readSint(r);
        break;
      case 7:
        expectWire(r, wire, WIRE_I64, 'zero_count');
        p.zeroCount = readFixed64Uint53(r, 'zero_count');
        break;
      case 8:
      case 9: {
        expectWire(r, wire, WIRE_LEN, field === 8 ? 'positive' : 'negative');
        const b = readExpBuckets(readMessage(r, `${r.path}.${field === 8 ? 'positive' : 'negative'}`));
        if (field === 8) p.positive = b;
        else p.negative = b;
        break;
      }
      case 10:
        readFlags(r, wire, p);
        break;
      case 12:
        expectWire(r, wire, WIRE_I64, 'min');
        p.min = readDouble(r);
        break;
      case 13:
        expectWire(r, wire, WIRE_I64, 'max');
        p.max = readDouble(r);
        break;
      case 14:
        expectWire(r, wire, WIRE_I64, 'zero_threshold');
        p.zeroThreshold = readDouble(r);
        break;
      default:
        skipField(r, wire);
    }
  }
  return p;
}

export function readSummaryPoint(r: ProtoReader): SummaryPoint {
  const p: SummaryPoint = { ...base(), count: 0, sum: 0, quantiles: [] };
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    if (readTimes(r, field, wire, p)) continue;
    if (field === 4) {
      expectWire(r, wire, WIRE_I64, 'count');
      p.count = readFixed64Uint53(r, 'count');
    } else if (field === 5) {
      expectWire(r, wire, WIRE_I64, 'sum');
      p.sum = readDouble(r);
    } else if (field === 6) {
      expectWire(r, wire, WIRE_LEN, 'quantile_values');
      const q = readMessage(r, `${r.path}.quantileValues`);
      const v = { quantile: 0, value: 0 };
      while (q.pos < q.end) {
        const t = readTag(q);
        if ((t.field === 1 || t.field === 2) && t.wire === WIRE_I64) {
          if (t.field === 1) v.quantile = readDouble(q);
          else v.value = readDouble(q);
        } else skipField(q, t.wire);
      }
      p.quantiles.push(v);
    } else if (field === 7) readAttr(r, wire, p);
    else if (field === 8) readFlags(r, wire, p);
    else skipField(r, wire);
  }
  return p;
}
