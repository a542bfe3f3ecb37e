import type { Logger } from '../../../src/ops/logger';
import { createSourcePartitionWatch, SPLIT_SOURCE_FIX } from '../../../src/kafka/source-partitions';
import type { Telemetry } from '../../../src/model/telemetry';

function recordingLogger(): { logger: Logger; warnings: { obj: Record<string, unknown>; msg: string }[] } {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const logger = {
    warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg }),
  } as unknown as Logger;
  return { logger, warnings };
}

const sample = (source: string): Telemetry => ({ ts: 1, source, metric: 'm', value: 1, tags: {} });

describe('a source seen on more than one partition', () => {
  it('is reported once, naming the exporter option that keys records by source', () => {
    const { logger, warnings } = recordingLogger();
    const split: string[] = [];
    const w = createSourcePartitionWatch({ logger, onSplit: (s) => split.push(s) });
    w.see([sample('a'), sample('a'), sample('b')], 0);
    w.see([sample('a')], 0);
    expect(w.split()).toBe(0);
    w.see([sample('a')], 1);
    w.see([sample('a')], 2);
    w.see([sample('a')], 1);
    expect(split).toEqual(['a']);
    expect(w.split()).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toContain('"a"');
    expect(warnings[0].msg).toContain('partition_metrics_by_resource_attributes: true');
    expect(warnings[0].msg).toContain(SPLIT_SOURCE_FIX);
    expect(warnings[0].obj.partitions).toEqual([0, 1]);
  });

  it('logs at most once per interval and counts the sources in between', () => {
    const { logger, warnings } = recordingLogger();
    let now = 0;
    const w = createSourcePartitionWatch({ logger, logEveryMs: 60_000, now: () => now });
    for (let i = 0; i < 5; i++) {
      w.see([sample(`s${i}`)], 0);
      w.see([sample(`s${i}`)], 1);
      now += 1_000;
    }
    expect(w.split()).toBe(5);
    expect(warnings).toHaveLength(1);
    now += 60_000;
    w.see([sample('late-one')], 0);
    w.see([sample('late-one')], 3);
    expect(warnings).toHaveLength(2);
    expect(warnings[1].obj).toMatchObject({ sourcesSplit: 6, notLoggedSince: 4 });
  });

  it('remembers a bounded number of sources', () => {
    const { logger } = recordingLogger();
    const w = createSourcePartitionWatch({ logger, maxSources: 2 });
    w.see([sample('a'), sample('b'), sample('c')], 0);
    // 'a' was forgotten to make room: seen again elsewhere it is taken as new, not as split.
    w.see([sample('a')], 1);
    expect(w.split()).toBe(0);
    w.see([sample('c')], 1);
    expect(w.split()).toBe(1);
  });
});
