/**
 * Metrics made by the real OpenTelemetry JS SDK (@opentelemetry/sdk-metrics) and
 * serialized by its own OTLP encoders (@opentelemetry/otlp-transformer), so the decoders
 * are tested against what an instrumented service actually sends — not hand-made bytes.
 */
import type { Meter } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  MeterProvider,
  MetricReader,
  type AggregationOption,
  type ResourceMetrics,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { mulberry32 } from '../../../src/client/random';

/** A reader that only exports when asked: `collect()` is the test's export interval. */
class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface OtelHarness {
  meter: Meter;
  /** One export: what a PeriodicExportingMetricReader would hand the OTLP exporter now. */
  collect(): Promise<ResourceMetrics>;
  shutdown(): Promise<void>;
}

export interface OtelHarnessOptions {
  resource?: Record<string, string>;
  temporality?: 'delta' | 'cumulative';
  /** Aggregation for histogram instruments (default: the SDK's explicit buckets). */
  histogram?: AggregationOption;
  views?: ViewOptions[];
}

export const DEFAULT_RESOURCE: Record<string, string> = {
  'service.name': 'checkout',
  'service.instance.id': 'checkout-7f9c',
  'host.name': 'node-3',
  'deployment.environment.name': 'prod',
  'telemetry.sdk.language': 'nodejs',
};

export function createOtelHarness(options: OtelHarnessOptions = {}): OtelHarness {
  const temporality =
    options.temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
  const reader = new CollectingReader({
    // OTLP exporters' "delta" preference: delta for counters and histograms, cumulative for
    // up-down counters (their value is a level). https://opentelemetry.io/docs/specs/otel/metrics/sdk_exporters/otlp/#additional-configuration
    aggregationTemporalitySelector: (t) =>
      t === InstrumentType.UP_DOWN_COUNTER || t === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
        ? AggregationTemporality.CUMULATIVE
        : temporality,
    ...(options.histogram
      ? {
          aggregationSelector: (t) =>
            t === InstrumentType.HISTOGRAM ? options.histogram! : { type: AggregationType.DEFAULT },
        }
      : {}),
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes(options.resource ?? DEFAULT_RESOURCE),
    readers: [reader],
    views: options.views ?? [],
  });
  return {
    meter: provider.getMeter('homeostat-test', '1.0.0'),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new Error(`collect failed: ${String(errors[0])}`);
      return resourceMetrics;
    },
    shutdown: () => provider.shutdown(),
  };
}

export function toProto(rm: ResourceMetrics): Buffer {
  const bytes = ProtobufMetricsSerializer.serializeRequest(rm);
  if (!bytes) throw new Error('serializer returned nothing');
  return Buffer.from(bytes);
}

export function toJson(rm: ResourceMetrics): Buffer {
  const bytes = JsonMetricsSerializer.serializeRequest(rm);
  if (!bytes) throw new Error('serializer returned nothing');
  return Buffer.from(bytes);
}

export { AggregationType };

/** Deterministic lognormal latencies (ms), no Math.random: median ~33 ms, p99 ~134 ms. */
export function lognormalLatencies(n: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    out.push(Math.exp(3.5 + 0.6 * z));
  }
  return out;
}
