/**
 * Issue #18, finding 6: one small OTLP record can expand to tens of thousands of samples
 * (histogram points with large counts), and each refused sample used to become a DLQ record
 * of its own — ~44 MB of dead letters from one ~1.5 KB input, held in memory until the batch
 * committed. On the real broker: a ~1.5 KB record whose every sample is late makes one DLQ
 * record (its own bytes, the refused count in headers); a record past
 * ingest.maxSamplesPerRecord goes to the DLQ whole; the accounting adds up in samples.
 */
import { encodeTelemetryJson } from '../../src/codec';
import { DLQ_HEADERS } from '../../src/kafka/dlq';
import { DLQ_SAMPLE_HEADERS } from '../../src/kafka/dlq-arrival';
import { DEFAULT_MAX_SAMPLES_PER_RECORD } from '../../src/ingest';
import { counterValue, startIngestRunner, type IngestRunner } from '../helpers/ingest-runner';
import { produce, readTopic, waitFor } from '../helpers/kafka';

const attr = (key: string, value: string): object => ({ key, value: { stringValue: value } });

/** OTLP JSON: `points` delta histogram points at `ts`, each of a million observations in two buckets. */
function histograms(ts: number, points: number, source: string): Buffer {
  const dataPoints = Array.from({ length: points }, (_, i) => ({
    timeUnixNano: String(BigInt(ts) * 1_000_000n),
    count: '1000000',
    sum: 5e6,
    bucketCounts: ['500000', '500000'],
    explicitBounds: [5],
    attributes: [attr('r', String(i))],
  }));
  return Buffer.from(
    JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [attr('service.instance.id', source)] },
          scopeMetrics: [{ metrics: [{ name: 'lat', histogram: { aggregationTemporality: 1, dataPoints } }] }],
        },
      ],
    }),
  );
}

describe('one small OTLP record that expands to many samples', () => {
  let r: IngestRunner | undefined;
  afterAll(async () => {
    await r?.stop();
  });

  it('makes one DLQ record per input, and a record past the bound goes whole to the DLQ', async () => {
    r = await startIngestRunner({ partitions: 1 });
    const now = Date.now();
    const amplifier = histograms(now - 600_000, 8, 'hostile');
    expect(amplifier.length).toBeLessThan(2_000);
    // Enough histogram points that even 16 samples each exceed the bound.
    const tooMany = histograms(now - 600_000, Math.ceil(DEFAULT_MAX_SAMPLES_PER_RECORD / 16) + 1, 'hostile');
    // An honest sample first moves the watermark well past the amplifier's event time: every sample of it is late.
    const honest = encodeTelemetryJson({ ts: now - 60_000, source: 'honest', metric: 'm', value: 1, tags: {} });
    await produce(r.config.topics.telemetry, [
      { key: 'honest', value: honest },
      { key: 'hostile', value: amplifier },
      { key: 'hostile', value: tooMany },
    ]);
    const dlq = await readTopic(r.config.topics.dlq, 2, 60_000);
    expect(await waitFor(() => r!.runner.counters().late > 0, 30_000)).toBe(true);
    // Nothing more arrives: the DLQ holds exactly one record per refused input.
    expect(await readTopic(r.config.topics.dlq, 3, 3_000)).toHaveLength(2);
    const header = (i: number, name: string): string | undefined => dlq[i].headers?.[name]?.toString();
    const [late, whole] = dlq[0].headers?.[DLQ_HEADERS.code]?.toString() === 'LATE' ? [0, 1] : [1, 0];

    const c = r.runner.counters();
    expect(dlq[late].value).toEqual(amplifier);
    expect(header(late, DLQ_SAMPLE_HEADERS.refused)).toBe(String(c.late));
    expect(header(late, DLQ_SAMPLE_HEADERS.total)).toBe(String(c.late));
    expect(header(late, DLQ_SAMPLE_HEADERS.reasons)).toBe(`LATE=${c.late}`);
    expect(c.late).toBeGreaterThan(1_000);

    expect(dlq[whole].value).toEqual(tooMany);
    expect(header(whole, DLQ_HEADERS.code)).toBe('RECORD_TOO_LARGE');
    expect(header(whole, DLQ_HEADERS.message)).toContain('maxSamplesPerRecord');
    expect(header(whole, DLQ_SAMPLE_HEADERS.refused)).toBeUndefined();

    // Accounting in samples: the amplifier's samples are late, the record refused whole counts once.
    expect(c).toMatchObject({ consumed: 1 + c.late + 1, aggregated: 1, deadLettered: 1 });
    expect(await counterValue(r.metrics, 'dlqRecords')).toBe(2);
  });
});
