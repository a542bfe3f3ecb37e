/**
 * OTLP metrics, protobuf encoding (`otlp_proto` in the OpenTelemetry Collector's Kafka
 * exporter): the bytes of an ExportMetricsServiceRequest. Field numbers from
 * opentelemetry-proto (metrics/v1/metrics.proto, common/v1/common.proto,
 * resource/v1/resource.proto), cross-checked against @opentelemetry/otlp-transformer's
 * serializer. Unknown fields are skipped, so newer producers stay readable.
 */
import { InputError } from '../errors';
import type {
  ExpHistogramPoint,
  HistogramPoint,
  NumberPoint,
  OtlpData,
  OtlpMetric,
  OtlpRequest,
  OtlpResourceMetrics,
  OtlpScopeMetrics,
  SummaryPoint,
} from './otlp-model';
import { readExpPoint, readHistogramPoint, readNumberPoint, readSummaryPoint } from './otlp-proto-points';
import { readKeyValue } from './otlp-proto-values';
import {
  WIRE_LEN,
  WIRE_VARINT,
  createProtoReader,
  expectWire,
  readMessage,
  readString,
  readTag,
  readVarint,
  skipField,
  type ProtoReader,
} from './protobuf';

/** Decodes an ExportMetricsServiceRequest (also valid for MetricsData: same field 1). */
export function decodeOtlpProto(buf: Buffer): OtlpRequest | InputError {
  try {
    const r = createProtoReader(buf);
    const resourceMetrics: OtlpResourceMetrics[] = [];
    while (r.pos < r.end) {
      const { field, wire } = readTag(r);
      if (field === 1) {
        expectWire(r, wire, WIRE_LEN, 'resource_metrics');
        resourceMetrics.push(readResourceMetrics(readMessage(r, `resourceMetrics[${resourceMetrics.length}]`)));
      } else skipField(r, wire);
    }
    return { resourceMetrics };
  } catch (err) {
    if (err instanceof InputError) return err;
    // Defensive: the reader only throws InputError; anything else is still bad input here.
    return new InputError('NOT_DECODABLE', `protobuf: ${(err as Error).message}`, { cause: err });
  }
}

function readResourceMetrics(r: ProtoReader): OtlpResourceMetrics {
  const out: OtlpResourceMetrics = { attributes: [], scopeMetrics: [] };
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    if (field === 1) {
      expectWire(r, wire, WIRE_LEN, 'resource');
      const res = readMessage(r, `${r.path}.resource`);
      while (res.pos < res.end) {
        const t = readTag(res);
        if (t.field === 1) {
          expectWire(res, t.wire, WIRE_LEN, 'attributes');
          out.attributes.push(readKeyValue(readMessage(res, `${res.path}.attributes`)));
        } else skipField(res, t.wire);
      }
    } else if (field === 2) {
      expectWire(r, wire, WIRE_LEN, 'scope_metrics');
      out.scopeMetrics.push(readScopeMetrics(readMessage(r, `${r.path}.scopeMetrics[${out.scopeMetrics.length}]`)));
    } else skipField(r, wire);
  }
  return out;
}

function readScopeMetrics(r: ProtoReader): OtlpScopeMetrics {
  const out: OtlpScopeMetrics = { scopeName: '', metrics: [] };
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    if (field === 1) {
      expectWire(r, wire, WIRE_LEN, 'scope');
      const scope = readMessage(r, `${r.path}.scope`);
      while (scope.pos < scope.end) {
        const t = readTag(scope);
        if (t.field === 1 && t.wire === WIRE_LEN) out.scopeName = readString(scope, 'scope.name');
        else skipField(scope, t.wire);
      }
    } else if (field === 2) {
      expectWire(r, wire, WIRE_LEN, 'metrics');
      out.metrics.push(readMetric(readMessage(r, `${r.path}.metrics[${out.metrics.length}]`)));
    } else skipField(r, wire);
  }
  return out;
}

function readMetric(r: ProtoReader): OtlpMetric {
  const out: OtlpMetric = { name: '', unit: '', data: undefined };
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    switch (field) {
      case 1:
        expectWire(r, wire, WIRE_LEN, 'name');
        out.name = readString(r, 'metric name');
        break;
      case 3:
        expectWire(r, wire, WIRE_LEN, 'unit');
        out.unit = readString(r, 'metric unit');
        break;
      case 5:
      case 7:
      case 9:
      case 10:
      case 11:
        expectWire(r, wire, WIRE_LEN, 'data');
        out.data = readData(field, readMessage(r, `${r.path}(${out.name || '?'})`));
        break;
      default:
        skipField(r, wire);
    }
  }
  return out;
}

/** Gauge(5) / Sum(7) / Histogram(9) / ExponentialHistogram(10) / Summary(11). */
function readData(kind: number, r: ProtoReader): OtlpData {
  let temporality = 0;
  let monotonic = false;
  const numbers: NumberPoint[] = [];
  const histograms: HistogramPoint[] = [];
  const exps: ExpHistogramPoint[] = [];
  const summaries: SummaryPoint[] = [];
  while (r.pos < r.end) {
    const { field, wire } = readTag(r);
    if (field === 1) {
      expectWire(r, wire, WIRE_LEN, 'data_points');
      const i = numbers.length + histograms.length + exps.length + summaries.length;
      const p = readMessage(r, `${r.path}.dataPoints[${i}]`);
      if (kind === 5 || kind === 7) numbers.push(readNumberPoint(p));
      else if (kind === 9) histograms.push(readHistogramPoint(p));
      else if (kind === 10) exps.push(readExpPoint(p));
      else summaries.push(readSummaryPoint(p));
    } else if (field === 2 && kind !== 5 && kind !== 11) {
      expectWire(r, wire, WIRE_VARINT, 'aggregation_temporality');
      temporality = readVarint(r);
    } else if (field === 3 && kind === 7) {
      expectWire(r, wire, WIRE_VARINT, 'is_monotonic');
      monotonic = readVarint(r) !== 0;
    } else skipField(r, wire);
  }
  switch (kind) {
    case 5:
      return { kind: 'gauge', points: numbers };
    case 7:
      return { kind: 'sum', temporality, monotonic, points: numbers };
    case 9:
      return { kind: 'histogram', temporality, points: histograms };
    case 10:
      return { kind: 'exponentialHistogram', temporality, points: exps };
    default:
      return { kind: 'summary', points: summaries };
  }
}
