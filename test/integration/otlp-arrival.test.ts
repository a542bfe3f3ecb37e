/**
 * Foreign pipelines on the real broker. One record is one arrival: OTLP records that each
 * hold two consecutive 10 s exports (so each spans a window boundary) lose nothing on one
 * partition — stepped sample by sample, 720 of their 1,560 samples went LATE. And a source
 * whose records land on several partitions (an exporter that does not key by source) is
 * reported in the log, naming the fix, and in a metric.
 */
import { encodeTelemetryJson } from '../../src/codec';
import { batchedExports, SAMPLES } from '../unit/ingest/batched-exports';
import { counterValue, startIngestRunner, type IngestRunner } from '../helpers/ingest-runner';
import { produce, readTopic, waitFor } from '../helpers/kafka';

const WINDOW = 10_000;
const overrides = { engine: { window: { sizeMs: WINDOW, graceMs: 1_000 }, allowedOutOfOrdernessMs: 2_000 } };
/** Mid-window, recent enough for the log-time check, on whole windows. */
const t0 = (): number => Math.floor((Date.now() - 600_000) / WINDOW) * WINDOW + 5_000;

describe('OTLP records from a foreign pipeline', () => {
  const started: IngestRunner[] = [];
  afterAll(async () => {
    for (const r of started) await r.stop();
  });

  it.each([
    ['one process owning the partitions', false],
    ['scaled out (stage one)', true],
  ])(
    'judges every sample of a record against the watermark before it: batched exports on one partition lose nothing (%s)',
    async (_, scaleOut) => {
      const r = await startIngestRunner({ partitions: 1, overrides: { ...overrides, runner: { scaleOut } } });
      started.push(r);
      const start = t0();
      const records = batchedExports(start);
      // A later record closes every window the exports fall in.
      const closing = encodeTelemetryJson({
        ts: start + 300_000,
        source: 'checkout-7f9c',
        metric: 'eos',
        value: 0,
        tags: {},
      });
      await produce(r.config.topics.telemetry, [
        ...records.map((value) => ({ key: 'checkout-7f9c', value })),
        { key: 'checkout-7f9c', value: closing },
      ]);
      expect(await waitFor(() => r.runner.counters().consumed === SAMPLES + 1, 60_000)).toBe(true);
      const c = r.runner.counters();
      expect(c).toMatchObject({ consumed: SAMPLES + 1, aggregated: SAMPLES + 1, late: 0, deadLettered: 0 });
      expect(await readTopic(r.config.topics.dlq, 1, 2_000)).toHaveLength(0);
      expect(await counterValue(r.metrics, 'sourcesSplit')).toBe(0);
    },
  );

  it('says in the log and a metric when one source arrives on several partitions, naming the exporter option', async () => {
    const r = await startIngestRunner({ partitions: 2, overrides });
    started.push(r);
    const records = batchedExports(t0(), 'api-1');
    // Unkeyed, as the Collector's Kafka exporter writes at its defaults: spread over both partitions.
    await produce(
      r.config.topics.telemetry,
      records.map((value, i) => ({ partition: i % 2, value })),
    );
    expect(await waitFor(async () => (await counterValue(r.metrics, 'sourcesSplit')) === 1, 60_000)).toBe(true);
    const said = r.warnings.filter((w) => w.includes('"api-1"'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('partition_metrics_by_resource_attributes: true');
  });
});
