/** `homeostat topics create` against the real broker: creates every topic once, then reports them as existing. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { randomName, withAdmin } from '../helpers/kafka';
import { brokers } from '../helpers/services';
import { TOPIC_KEYS, topicNames } from '../helpers/topic-names';

const run = promisify(execFile);
const BIN = resolve(__dirname, '..', '..', 'bin', 'homeostat.js');

test('topics create is idempotent and compacts the control topic', async () => {
  const prefix = randomName('topics');
  const file = join(mkdtempSync(join(tmpdir(), 'homeostat-topics-')), 'c.yaml');
  writeFileSync(
    file,
    stringify({
      topics: {
        ...topicNames(prefix),
        telemetryTimestampType: 'LogAppendTime',
      },
    }),
  );
  const first = await run(process.execPath, [
    BIN,
    'topics',
    'create',
    '--config',
    file,
    '--brokers',
    brokers().join(','),
  ]);
  expect(first.stdout).toContain(`${TOPIC_KEYS.length} created, 0 already existed`);
  const second = await run(process.execPath, [
    BIN,
    'topics',
    'create',
    '--config',
    file,
    '--brokers',
    brokers().join(','),
  ]);
  expect(second.stdout).toContain(`0 created, ${TOPIC_KEYS.length} already existed`);
  await withAdmin(async (admin) => {
    const meta = await admin.fetchTopicMetadata({
      topics: [`${prefix}.telemetry`, `${prefix}.control`, `${prefix}.stage`],
    });
    expect(meta.topics.find((t) => t.name === `${prefix}.telemetry`)!.partitions.length).toBe(6);
    // Stage two reads the stage topic in one order.
    expect(meta.topics.find((t) => t.name === `${prefix}.stage`)!.partitions.length).toBe(1);
    const configs = await admin.describeConfigs({
      resources: [{ type: 2, name: `${prefix}.control`, configNames: ['cleanup.policy'] }],
      includeSynonyms: false,
    });
    expect(configs.resources[0].configEntries[0].configValue).toBe('compact');
    // The broker stamps telemetry records when asked to (the clock bound then judges by its clock).
    const telemetry = await admin.describeConfigs({
      resources: [{ type: 2, name: `${prefix}.telemetry`, configNames: ['message.timestamp.type'] }],
      includeSynonyms: false,
    });
    expect(telemetry.resources[0].configEntries[0].configValue).toBe('LogAppendTime');
  });
});

test('a clear error when no broker answers', async () => {
  const err = await run(process.execPath, [BIN, 'topics', 'create', '--brokers', '127.0.0.1:1'], {
    timeout: 60_000,
  }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  expect(err?.code).toBe(1);
  expect(err?.stderr).toMatch(/cannot reach Kafka at 127\.0\.0\.1:1/);
});
