/**
 * OTLP JSON records shaped as a collector that batches a service's exports writes them: each
 * record holds two consecutive 10 s exports of one service, every metric carrying its points
 * of both (the earlier export's first). A record thus spans a window boundary, and its points
 * are in event-time order per metric but not across metrics — the shape that made the earlier
 * points of a record's later metrics LATE when the watermark moved inside the record.
 */
export const EXPORT_INTERVAL_MS = 10_000;
export const EXPORTS = 12;
export const EXPORTS_PER_RECORD = 2;
export const METRICS = 13;
export const ROUTES = 10;
/** Samples in all: one per metric, route and export. */
export const SAMPLES = EXPORTS * METRICS * ROUTES;

const attr = (key: string, value: string): object => ({ key, value: { stringValue: value } });

/** The first export is taken at `t0` (mid-window, so every record spans a window boundary); a record per EXPORTS_PER_RECORD exports. */
export function batchedExports(t0: number, source = 'checkout-7f9c'): Buffer[] {
  const records: Buffer[] = [];
  for (let first = 0; first < EXPORTS; first += EXPORTS_PER_RECORD) {
    const batch = Array.from({ length: EXPORTS_PER_RECORD }, (_, i) => first + i);
    const metrics = Array.from({ length: METRICS }, (_, m) => ({
      name: `app.metric_${m}`,
      gauge: {
        dataPoints: batch.flatMap((e) =>
          Array.from({ length: ROUTES }, (_, r) => ({
            timeUnixNano: String(BigInt(t0 + e * EXPORT_INTERVAL_MS) * 1_000_000n),
            asDouble: e + 1,
            attributes: [attr('route', `/r${r}`)],
          })),
        ),
      },
    }));
    const request = {
      resourceMetrics: [
        {
          resource: { attributes: [attr('service.name', 'checkout'), attr('service.instance.id', source)] },
          scopeMetrics: [{ scope: { name: 'app' }, metrics }],
        },
      ],
    };
    records.push(Buffer.from(JSON.stringify(request)));
  }
  return records;
}
