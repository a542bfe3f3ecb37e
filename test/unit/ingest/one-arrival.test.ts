/**
 * One record is one arrival: the samples of an OTLP record are judged against the watermark
 * as it stood before the record, and the watermark advances after its last sample (engine
 * input `records`), as a source-level watermark does in Flink. Through the pure path (ingest
 * decoder → replay core) with records that each span a window boundary.
 */
import { resolveEngineConfig } from '../../../src/core';
import { createIngestDecoder } from '../../../src/ingest';
import { createProcessor, emptyOutputs } from '../../../src/pipeline/processor';
import { createDecisionEngine } from '../../../src/policies';
import { createTelemetryDecoder } from '../../../src/codec';
import { replayRecordsSync, topicReplayInputs, type ReplayFeed } from '../../../src/replay';
import type { Telemetry } from '../../../src/model/telemetry';
import { EXPORT_INTERVAL_MS, SAMPLES, batchedExports } from './batched-exports';

const T0 = Date.UTC(2026, 0, 1) + 5_000;
const engine = resolveEngineConfig({
  window: { sizeMs: EXPORT_INTERVAL_MS, graceMs: 1_000 },
  allowedOutOfOrdernessMs: 2_000,
  zeroFillWindows: 0,
  scopes: [],
});
const decisions = createDecisionEngine({ policies: [], signing: null });

function decoded(): Telemetry[][] {
  const decoder = createIngestDecoder({ format: 'otlp_json' });
  return batchedExports(T0).map((value, offset) => {
    const r = decoder.decodeSync(value, { partition: 0, timestamp: T0 + 60_000 });
    if (r.status !== 'ok')
      throw new Error(`record ${offset} did not decode: ${r.status === 'invalid' ? r.error.message : r.status}`);
    return r.values;
  });
}

describe('the samples of one OTLP record', () => {
  it('are judged against the watermark before the record: 12 exports batched in pairs lose nothing', () => {
    const records = decoded();
    expect(records.flat()).toHaveLength(SAMPLES);
    const feed: ReplayFeed[] = records.map((r, offset) => ({ partition: 0, offset, records: r }));
    const res = replayRecordsSync(feed, { engine, decisions, partitions: [0] });
    expect(res.counters.late).toBe(0);
    expect(res.dead).toHaveLength(0);
    expect(res.counters.consumed).toBe(SAMPLES);
    expect(res.counters.aggregated).toBe(SAMPLES);
    // Every sample is in a closed window: the counts of the series' signals add up.
    const counted = res.signals.filter((s) => s.scope === 'series').reduce((n, s) => n + s.count, 0);
    expect(counted).toBe(SAMPLES);
  });

  it('stepped one by one instead, make the earlier points of the later metrics late (the shape the test depends on)', () => {
    const feed: ReplayFeed[] = decoded().flatMap((r, offset) => r.map((record) => ({ partition: 0, offset, record })));
    const res = replayRecordsSync(feed, { engine, decisions, partitions: [0] });
    expect(res.counters.late).toBeGreaterThan(0);
    expect(res.counters.consumed).toBe(res.counters.aggregated + res.counters.late + res.counters.deadLettered);
  });

  it('advance the watermark once, after the record, to its latest sample minus the allowed out-of-orderness', () => {
    const [first] = decoded();
    const processor = createProcessor({ engine, partitionCount: 1 });
    processor.step({ kind: 'assign', partitions: [0] }, emptyOutputs());
    const out = emptyOutputs();
    processor.step({ kind: 'records', partition: 0, offset: 0, records: first }, out);
    const latest = Math.max(...first.map((t) => t.ts));
    expect(processor.watermark()).toBe(latest - engine.allowedOutOfOrdernessMs);
    expect(out.dead).toHaveLength(0);
    // The window of the record's earlier export has closed with every one of its points.
    const closed = out.finals.filter((s) => s.scope === 'series');
    expect(closed.length).toBeGreaterThan(0);
    expect(closed.reduce((n, s) => n + s.count, 0)).toBe(first.filter((t) => t.ts === T0).length);
  });

  it('replayed from a topic range with an ingest decoder, are one arrival as in the live runner', async () => {
    // Appended after the last export: no sample is ahead of its record's Kafka timestamp.
    const appended = String(T0 + 12 * EXPORT_INTERVAL_MS);
    const messages = batchedExports(T0).map((value, i) => ({
      partition: 0,
      offset: String(i),
      timestamp: appended,
      key: null,
      value,
    }));
    const read = {
      topic: 't',
      partitions: [0],
      ranges: [{ partition: 0, start: '0', end: String(messages.length) }],
      messages: new Map([[0, messages]]),
    };
    const feed = [
      ...(await topicReplayInputs(read, createTelemetryDecoder(), createIngestDecoder({ format: 'auto' }))),
    ].flat();
    expect(feed).toHaveLength(messages.length);
    const res = replayRecordsSync(feed, { engine, decisions, partitions: [0] });
    expect(res.counters).toMatchObject({ consumed: SAMPLES, aggregated: SAMPLES, late: 0 });
  });
});
