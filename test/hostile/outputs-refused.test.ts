/**
 * Finding 5, in general: any output its topic refuses (MESSAGE_TOO_LARGE) aborted the batch's
 * transaction, and the batch was read again, made the same output, and aborted again — the
 * processor was stuck for good. Here the signals topic was made by someone else with a small
 * max.message.bytes (4 KiB), and one source's tags make its signals larger than that: the
 * processor must dead-letter those signals with the reason OUTPUT_TOO_LARGE, publish the
 * others, and commit every batch. On the real broker, through the composition root.
 */
import { encodeTelemetryJson } from '../../src/codec';
import { DLQ_HEADERS } from '../../src/kafka/dlq';
import { createLogger } from '../../src/ops/logger';
import { startProcessor, testProcessorConfig, type RunningProcessor } from '../helpers/processor';
import { checkpointsAtEnd, produce, randomName, readTopic, waitFor, withAdmin } from '../helpers/kafka';

// Every tag of a record identifies its series, so the signals of a record with wide tags are wide.
const config = testProcessorConfig(randomName('hostile-refused'), {
  dimensionTags: ['tenant', 'service', ...Array.from({ length: 30 }, (_, i) => `t${i}`)],
});
const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const WIDE_TAGS = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`t${i}`, 'x'.repeat(200)]));

let proc: RunningProcessor | undefined;
afterAll(async () => {
  await proc?.stop();
});

test('a signal larger than its topic allows is dead-lettered with a reason and every batch commits', async () => {
  await withAdmin((admin) =>
    admin.createTopics({
      topics: [
        {
          topic: config.topics.signals,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '4096' }],
        },
      ],
      waitForLeaders: true,
    }),
  );
  proc = await startProcessor(config, createLogger({ level: 'silent' }));
  const records = [];
  for (let s = 0; s < 5; s++) {
    for (const [p, source, tags] of [
      [0, 'worker-1', {}],
      [1, 'worker-2', {}],
      [1, 'wide', WIDE_TAGS],
    ] as const) {
      records.push({
        key: source,
        partition: p,
        value: encodeTelemetryJson({ ts: T0 + s * 1000 + 100, source, metric: 'queue.depth', value: 5, tags }),
      });
    }
  }
  // Later records on both partitions close the windows above.
  for (const p of [0, 1])
    records.push({
      key: `end-${p}`,
      partition: p,
      value: encodeTelemetryJson({ ts: T0 + 30_000, source: `end-${p}`, metric: 'queue.depth', value: 1, tags: {} }),
    });
  await produce(config.topics.telemetry, records);

  // Never stuck: the group's offsets reach the end of the telemetry topic.
  const committed = () => withAdmin((admin) => checkpointsAtEnd(admin, config.kafka.groupId, config.topics.telemetry));
  expect(await waitFor(committed, 60_000, 500)).toBe(true);
  // No batch was refused by the broker: before, each try aborted and the batch was read again, for ever.
  const metrics = await (await fetch(`http://127.0.0.1:${proc.port}/metrics`)).text();
  expect(metrics).toMatch(/^homeostat_transactions_total\{result="committed"\} [1-9]/m);
  expect(metrics).not.toMatch(/^homeostat_transactions_total\{result="aborted"\} [1-9]/m);
  expect(metrics).toMatch(/^homeostat_dlq_records_total\{reason="OUTPUT_TOO_LARGE"\} ([5-9]|\d\d)/m);

  const dead = (await readTopic(config.topics.dlq, Number.MAX_SAFE_INTEGER, 5000)).filter(
    (m) => m.headers?.[DLQ_HEADERS.code]?.toString() === 'OUTPUT_TOO_LARGE',
  );
  expect(dead.length).toBeGreaterThanOrEqual(5);
  for (const m of dead) {
    expect(m.headers?.[DLQ_HEADERS.topic]?.toString()).toBe(config.topics.signals);
    expect(m.headers?.[DLQ_HEADERS.message]?.toString()).toMatch(/max\.message\.bytes/);
    expect(m.value!.toString()).toContain('"source":"wide"');
  }
  const signals = (await readTopic(config.topics.signals, Number.MAX_SAFE_INTEGER, 5000)).map((m) =>
    m.value!.toString(),
  );
  expect(signals.filter((v) => v.includes('"source":"worker-1"')).length).toBeGreaterThanOrEqual(5);
  expect(signals.some((v) => v.includes('"source":"wide"'))).toBe(false);
});
