/**
 * A broker whose only client listener is SASL_PLAINTEXT with SCRAM-SHA-256 and SCRAM-SHA-512.
 * Wrong credentials and no credentials are refused; `homeostat topics create` and
 * `homeostat run` with a wrong password exit 1 with a message that names SASL and the
 * settings to fix; the right credentials — inline or from a file, either mechanism — create
 * topics, produce and consume through the project's kafkaJsConfig, and run the processor.
 */
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createRecordCodec, encodeTelemetryJson } from '../../src/codec';
import { explainKafkaError, kafkaJsConfig } from '../../src/kafka/client';
import type { KafkaConfig } from '../../src/config/kafka-schema';
import { runCli } from '../helpers/cli';
import { randomName, waitFor } from '../helpers/kafka';
import {
  faultRegistry,
  TOPIC_KEYS,
  logLines,
  startCliProcessor,
  stopChild,
  topicNames,
  writeFaultConfig,
} from './lib/cli';
import { endOffsets, produceOrdered, readAll } from './lib/kafka';
import { reportFigures } from '../helpers/figures';
import { T0, endMarkers } from './lib/workload';
import { useFaultBroker } from './lib/fixture';

const fx = useFaultBroker('sasl', { sasl: 'scram' });
const { dir, children } = fx;

function client(config: KafkaConfig): Kafka {
  return new Kafka({ ...kafkaJsConfig(config), logLevel: logLevel.NOTHING, retry: { retries: 1 } });
}

/** Connects an admin and lists topics; resolves to the error, or undefined when it worked. */
async function tryAdmin(config: KafkaConfig): Promise<Error | undefined> {
  const admin = client(config).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

test('wrong or missing credentials are refused with a clear error; the right ones work end to end', async () => {
  const sasl = fx.inst.sasl!;
  expect(sasl.mechanisms).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512']);
  const right = fx.inst.kafkaConfig();
  const wrong = fx.inst.kafkaConfig({
    sasl: { mechanism: 'scram-sha-256', username: sasl.username, password: `${sasl.password}x` },
  });
  const stranger = fx.inst.kafkaConfig({
    sasl: { mechanism: 'scram-sha-512', username: 'mallory', password: sasl.password },
  });
  const none = fx.inst.kafkaConfig({ sasl: undefined, connectionTimeoutMs: 2_000, requestTimeoutMs: 3_000 });

  // Refused at the library level, and explained.
  const wrongErr = await tryAdmin(wrong);
  expect(wrongErr?.name).toBe('KafkaJSSASLAuthenticationError');
  const explained = explainKafkaError(wrongErr, right.brokers);
  expect(explained.message).toMatch(/refused the SASL credentials/);
  expect(explained.message).toMatch(/kafka\.sasl\.mechanism, username and password/);
  expect((await tryAdmin(stranger))?.name).toBe('KafkaJSSASLAuthenticationError');
  // A client without SASL gets no answer from a SASL listener.
  expect(await tryAdmin(none)).toBeInstanceOf(Error);

  // The CLI, with a wrong password: exit 1, a message naming SASL and what to fix.
  const prefix = randomName('sc');
  const badFile = writeFaultConfig(dir, `${prefix}-bad`, fx.inst, { partitions: 2, kafka: { sasl: wrong.sasl } }).file;
  for (const args of [['topics', 'create'], ['run']]) {
    const r = await runCli([
      ...args,
      '--config',
      badFile,
      '--brokers',
      fx.inst.brokers.join(','),
      '--registry',
      faultRegistry(),
    ]);
    expect({ args, code: r.code }).toEqual({ args, code: 1 });
    expect(r.stderr).toMatch(
      /^homeostat: the broker refused the SASL credentials .*SASL.*; check kafka\.sasl\.mechanism, username and password \[KAFKA\]$/m,
    );
    expect(r.elapsedMs).toBeLessThan(60_000);
  }

  // The right password from a file, SCRAM-SHA-512: topics create works.
  const good = writeFaultConfig(dir, prefix, fx.inst, {
    partitions: 2,
    kafka: { sasl: { mechanism: 'scram-sha-512', username: sasl.username, passwordFile: sasl.passwordFile } },
  });
  const created = await runCli([
    'topics',
    'create',
    '--config',
    good.file,
    '--brokers',
    fx.inst.brokers.join(','),
    '--registry',
    faultRegistry(),
  ]);
  expect(created.code).toBe(0);
  expect(created.stdout).toMatch(new RegExp(`^${TOPIC_KEYS.length} created, 0 already existed$`, 'm'));

  // Produce and consume through kafkaJsConfig (SCRAM-SHA-256, inline password), and run the processor.
  const topics = topicNames(prefix);
  const records = Array.from({ length: 400 }, (_, i) => ({
    key: `worker-${i % 4}`,
    partition: i % 2,
    value: encodeTelemetryJson({
      ts: T0 + i * 25,
      source: `worker-${i % 4}`,
      metric: 'queue.depth',
      value: i % 10,
      tags: {},
    }),
  }));
  await produceOrdered(fx.inst, topics.telemetry, [...records, ...endMarkers(2, T0 + 3_600_000)]);
  expect(await endOffsets(fx.inst, topics.telemetry)).toBe(402);
  const log = join(dir, `${prefix}.log`);
  const proc = startCliProcessor(good.file, fx.inst, log);
  children.push(proc);
  expect(await waitFor(async () => (await endOffsets(fx.inst, topics.signals)) > 0, 90_000, 250)).toBe(true);
  expect(await stopChild(proc, 'SIGTERM')).toBe(0);
  expect(logLines(log).some((l) => l.msg === 'final accounting' && l.accounting?.consumed === 402)).toBe(true);
  const codec = createRecordCodec('signal');
  const signals = (await readAll(fx.inst, topics.signals)).map((m) => codec.decodeJson(m.value!));
  const aggregated = signals.filter((s) => s.scope === 'series' && !s.partial).reduce((n, s) => n + s.count, 0);
  expect(aggregated).toBe(400);

  reportFigures('security-sasl', {
    refused: [
      'wrong password',
      'unknown user',
      'no SASL',
      'CLI topics create (wrong password)',
      'CLI run (wrong password)',
    ],
    accepted: ['SCRAM-SHA-512 password file: topics create', 'SCRAM-SHA-256: produce, consume, homeostat run'],
    signals: signals.length,
    aggregated,
  });
});
