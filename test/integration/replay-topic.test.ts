/**
 * Replay from a topic on the real broker: a NAB file imported to a random 3-partition topic
 * (`homeostat import --topic`, Kafka timestamps = event times) and replayed between two
 * timestamps (`homeostat replay --topic --from --to`, offsets from fetchTopicOffsetsByTimestamp)
 * gives byte-identical decisions and commands to replaying the same records from a file. Then a
 * report is built from audit topics (`homeostat report --from-topics`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { registerImportCommand } from '../../src/cli/import';
import { registerReplayCommand } from '../../src/cli/replay';
import { registerReportCommand } from '../../src/cli/report';
import { createRecordCodec } from '../../src/codec';
import { importAll, writeTelemetryJsonl } from '../../src/import';
import { readJsonl } from '../../src/replay/jsonl';
import { runCli } from '../helpers/cli-in-process';
import { randomName, produce, withAdmin } from '../helpers/kafka';
import { brokers } from '../helpers/services';

const DATA = path.resolve(__dirname, '..', '..', 'data');
const LATENCY = path.join(DATA, 'nab/realKnownCause/ec2_request_latency_system_failure.csv');
const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'nab-latency.yaml');
const FROM = Date.UTC(2014, 2, 10);
const TO = Date.UTC(2014, 2, 20);

const cli = (...args: string[]) => runCli([registerImportCommand, registerReplayCommand, registerReportCommand], args);

async function createTopics(names: readonly string[], partitions: number): Promise<void> {
  await withAdmin(async (admin) => {
    // The data is from 2014: keep it (the default retention would delete it at once).
    await admin.createTopics({
      topics: names.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: [{ name: 'retention.ms', value: '-1' }],
      })),
      waitForLeaders: true,
    });
  });
}

describe('replay from a topic', () => {
  const telemetry = randomName('replay-telemetry');
  let dir: string;
  const f = (n: string): string => path.join(dir, n);
  const b = brokers().join(',');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'homeostat-replay-topic-'));
    await createTopics([telemetry], 3);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await withAdmin(async (admin) => admin.deleteTopics({ topics: [telemetry] })).catch(() => undefined);
  });

  it('imports a NAB file to the topic and replays a time range of it exactly as the same records from a file', async () => {
    const imported = await cli(
      'import',
      LATENCY,
      '--source',
      'ec2-latency',
      '--metric',
      'query.latency_ms',
      '--topic',
      telemetry,
      '--brokers',
      b,
      '--batch-size',
      '1000',
    );
    expect(imported.err).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.out).toContain(`imported 4032 records from ${LATENCY} (nab) to topic ${telemetry}`);

    const fromTopic = await cli(
      'replay',
      '-c',
      EXAMPLE,
      '--brokers',
      b,
      '--topic',
      telemetry,
      '--from',
      new Date(FROM).toISOString(),
      '--to',
      String(TO),
      '--out',
      f('topic.d.jsonl'),
      '--commands',
      f('topic.c.jsonl'),
      '--no-progress',
    );
    expect(fromTopic.err).toBe('');
    expect(fromTopic.code).toBe(0);

    // The same records from a file: the rows with FROM ≤ ts < TO.
    const all = await importAll(LATENCY, { mapping: { source: 'ec2-latency', metric: 'query.latency_ms', tags: {} } });
    const inRange = all.records.filter((r) => r.ts >= FROM && r.ts < TO);
    await writeTelemetryJsonl(inRange, f('range.jsonl'));
    const fromFile = await cli(
      'replay',
      '-c',
      EXAMPLE,
      '--input',
      f('range.jsonl'),
      '--out',
      f('file.d.jsonl'),
      '--commands',
      f('file.c.jsonl'),
      '--no-progress',
    );
    expect(fromFile.code).toBe(0);

    expect(fromTopic.out).toContain(`replayed ${inRange.length} records`);
    const topicDecisions = readFileSync(f('topic.d.jsonl'));
    expect(topicDecisions.length).toBeGreaterThan(0);
    expect(topicDecisions.equals(readFileSync(f('file.d.jsonl')))).toBe(true);
    expect(readFileSync(f('topic.c.jsonl')).equals(readFileSync(f('file.c.jsonl')))).toBe(true);
  });

  it('reports from audit topics read between two timestamps', async () => {
    const prefix = randomName('replay-audit');
    const topics = { signals: `${prefix}.signals`, actions: `${prefix}.actions`, decisions: `${prefix}.decisions` };
    await createTopics(Object.values(topics), 2);
    try {
      // What a live run with `actions.format: json` writes: canonical JSON, keyed by series / target.
      await cli(
        'replay',
        '-c',
        EXAMPLE,
        '--input',
        f('range.jsonl'),
        '--out',
        f('a.d.jsonl'),
        '--commands',
        f('a.c.jsonl'),
        '--signals',
        f('a.s.jsonl'),
        '--no-progress',
      );
      const signals = (await readJsonl('signal', f('a.s.jsonl'), { strict: true })).records;
      const commands = (await readJsonl('command', f('a.c.jsonl'), { strict: true })).records;
      const decisions = (await readJsonl('decision', f('a.d.jsonl'), { strict: true })).records;
      expect(commands.length).toBeGreaterThan(0);
      const at = (t: number): string => String(t);
      await produce(
        topics.signals,
        signals.map((s) => ({
          key: s.key,
          value: createRecordCodec('signal').encodeJson(s),
          timestamp: at(s.windowEnd),
        })),
      );
      await produce(
        topics.actions,
        commands.map((c) => ({
          key: c.target,
          value: createRecordCodec('command').encodeJson(c),
          timestamp: at(c.issuedAt),
        })),
      );
      await produce(
        topics.decisions,
        decisions.map((d) => ({
          key: d.target,
          value: createRecordCodec('decision').encodeJson(d),
          timestamp: at(d.eventTime),
        })),
      );
      const config = f('audit.yaml');
      writeFileSync(
        config,
        stringify({ ...(parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>), topics }),
      );
      const r = await cli(
        'report',
        '-c',
        config,
        '--brokers',
        b,
        '--from-topics',
        '--from',
        String(FROM),
        '--to',
        String(TO),
        '--labels',
        'nab',
        '--data-file',
        LATENCY,
        '--out',
        f('audit.html'),
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/wrote .*audit\.html \(.*, 3 sections, 2 charts\)/);
      const html = readFileSync(f('audit.html'), 'utf8');
      expect(html).toContain(`topics ${topics.signals}, ${topics.actions}, ${topics.decisions}`);
      expect(html).toContain('<svg');
    } finally {
      await withAdmin(async (admin) => admin.deleteTopics({ topics: Object.values(topics) })).catch(() => undefined);
    }
  });
});
