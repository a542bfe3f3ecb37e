import { resolveTelemetryLimits } from '../../../src/codec';
import { acceptSamples } from '../../../src/ingest/arrival';
import type { Telemetry } from '../../../src/model/telemetry';

const limits = resolveTelemetryLimits({ maxAheadOfLogTimeMs: 1_000 });
const at = (ts: number): Telemetry => ({ ts, source: 's', metric: 'm', value: ts, tags: {} });

describe('the samples of a record against its Kafka timestamp', () => {
  it('passes the array through when none runs ahead of the log', () => {
    const values = [at(1_000), at(2_000)];
    const refused: number[] = [];
    expect(acceptSamples(values, 2_000, limits, undefined, (t) => refused.push(t.ts))).toBe(values);
    expect(refused).toEqual([]);
  });

  it('refuses each sample too far ahead, with its reason, and keeps the others in order', () => {
    const refused: [number, string][] = [];
    const kept = acceptSamples([at(1_000), at(9_000), at(2_500), at(8_000)], 2_000, limits, undefined, (t, e) =>
      refused.push([t.ts, e.code]),
    );
    expect(kept.map((t) => t.ts)).toEqual([1_000, 2_500]);
    expect(refused).toEqual([
      [9_000, 'TS_OUT_OF_RANGE'],
      [8_000, 'TS_OUT_OF_RANGE'],
    ]);
  });
});
