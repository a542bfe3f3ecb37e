/**
 * OTLP through `homeostat run` (issue acceptance): metrics made by the OpenTelemetry JS SDK,
 * serialized by its own OTLP protobuf encoder as the Collector's Kafka exporter writes them,
 * produced to the telemetry topic, consumed by the CLI processor with `ingest.format: auto`,
 * and found on the signals topic with the right values and tags.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createRecordCodec } from '../../src/codec';
import { BIN, stop, waitForTopic } from '../helpers/cli';
import { produce, randomName, readTopic, waitFor } from '../helpers/kafka';
import { brokers, registryUrl } from '../helpers/services';
import { AggregationType, createOtelHarness, toProto } from '../unit/ingest/otel-fixtures';

test('OTLP protobuf from the OpenTelemetry SDK reaches the signals topic through homeostat run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-otlp-'));
  const prefix = randomName('otlprun');
  const topics = Object.fromEntries(
    ['telemetry', 'dlq', 'signals', 'decisions', 'actions', 'actionResults', 'outcomes', 'control', 'state'].map(
      (t) => [t, `${prefix}.${t}`],
    ),
  );
  const config = join(dir, 'c.yaml');
  writeFileSync(
    config,
    stringify({
      kafka: { groupId: randomName('grp'), transactionalIdPrefix: randomName('tx') },
      topics: { ...topics, telemetryPartitions: 1 },
      engine: { window: { sizeMs: 1000, graceMs: 100 }, allowedOutOfOrdernessMs: 100 },
      ingest: { format: 'auto' },
      actions: { format: 'json' },
      http: { enabled: false },
    }),
  );
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'run', '--config', config, '--brokers', brokers().join(','), '--registry', registryUrl()],
    {
      stdio: ['ignore', openSync(join(dir, 'log'), 'a'), openSync(join(dir, 'log'), 'a')],
    },
  );
  try {
    expect(await waitForTopic(`${prefix}.signals`)).toBe(true);
    const h = createOtelHarness({
      temporality: 'delta',
      histogram: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } },
    });
    const requests = h.meter.createCounter('requests');
    const latency = h.meter.createHistogram('query.latency_ms');
    // Two exports a few seconds apart: the second one's event time closes the first one's window.
    const messages = [];
    for (let e = 0; e < 2; e++) {
      for (let i = 0; i < 100; i++) {
        requests.add(1, { tenant: 'acme' });
        latency.record(10 + i);
      }
      messages.push({ key: 'checkout-1', value: toProto(await h.collect()) });
      await new Promise((r) => setTimeout(r, 2500));
    }
    await h.shutdown();
    await produce(`${prefix}.telemetry`, messages);
    const codec = createRecordCodec('signal');
    let found: { sum: number; count: number; tags: Record<string, string> } | undefined;
    await waitFor(
      async () => {
        const got = await readTopic(`${prefix}.signals`, 1, 3000);
        for (const m of got) {
          const s = codec.decodeJson(m.value!);
          if (s.scope === 'series' && s.metric === 'requests' && s.count > 0) found = s;
        }
        return found !== undefined;
      },
      40_000,
      500,
    );
    expect(found).toBeDefined();
    expect(found!.sum).toBe(100);
    expect(found!.tags).toMatchObject({ tenant: 'acme', service: 'checkout' });
  } finally {
    await stop(child, 'SIGTERM');
  }
});
