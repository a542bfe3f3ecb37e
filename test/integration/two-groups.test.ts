/**
 * Two homeostat groups on one cluster, each with its own topics and group id and neither
 * naming a transactional id prefix — two teams' deployments, or staging beside production.
 * Each group's owner takes its transactional id when it is given the partitions, which fences
 * whichever producer held that id before; so the ids must differ between groups, or the
 * second group's start fences the first's owner, which then fails its next commit and
 * rebuilds, fencing the second in turn. The default prefix follows the group id; this holds
 * both groups to committing every batch without a failed transaction.
 */
import type { Message } from 'kafkajs';
import pino from 'pino';
import { encodeTelemetryJson } from '../../src/codec';
import { loadConfig, type HomeostatConfig } from '../../src/config/homeostat-config';
import { engineConfigFrom } from '../../src/config/resolve-engine';
import { createRunner, type Runner } from '../../src/kafka/processor-driver';
import { checkpointsAtEnd, createTopic, produce, randomName, waitFor, withAdmin } from '../helpers/kafka';
import { brokers } from '../helpers/services';
import { topicNames } from '../helpers/topic-names';

const T0 = Date.UTC(2026, 0, 1);

/** Records of four sources, four a second, from `from` on: 10 s windows close as they go. */
function records(from: number, count: number): Message[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const source = `svc-${i % 4}`;
    return {
      key: source,
      value: encodeTelemetryJson({ source, metric: 'query.latency_ms', ts: T0 + i * 250, value: i % 97, tags: {} }),
    };
  });
}

/** A group with topics of its own and no transactional id prefix of its own. */
async function group(name: string): Promise<HomeostatConfig> {
  const topics = topicNames(randomName(name));
  for (const t of Object.values(topics)) await createTopic(t, 1);
  return loadConfig({
    overrides: { kafka: { brokers: brokers(), groupId: randomName(name) }, actions: { format: 'json' }, topics },
  });
}

/**
 * The runner of a group; the messages of its own warnings and errors go to `problems`. kafkajs's
 * are left out: on a fresh broker it logs retried responses (the transaction coordinator not yet
 * loaded) as errors. A fenced producer shows in the runner's own: the batch failed, the state reset.
 */
function runner(c: HomeostatConfig, problems: string[]): Runner {
  const logger = pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as { msg: string; kafkajs?: unknown };
        if (entry.kafkajs === undefined) problems.push(`${c.kafka.groupId}: ${entry.msg}`);
      },
    },
  );
  return createRunner({ config: c, engine: engineConfigFrom(c), logger });
}

/** Produces to a group's telemetry and waits until its checkpoints are at the end. */
async function feed(c: HomeostatConfig, part: Message[]): Promise<void> {
  await produce(c.topics.telemetry, part);
  const handled = () => withAdmin((a) => checkpointsAtEnd(a, c.kafka.groupId, c.topics.telemetry));
  expect(await waitFor(handled, 60_000, 200)).toBe(true);
}

test('two groups that name no transactional id prefix do not fence each other', async () => {
  const [a, b] = [await group('blue'), await group('green')];
  expect(a.kafka.transactionalIdPrefix).not.toBe(b.kafka.transactionalIdPrefix);
  const problems: string[] = [];
  const runners = [runner(a, problems), runner(b, problems)];
  try {
    await runners[0].start();
    await feed(a, records(0, 120));
    // The second group's owner takes its id now; the first must go on committing after it.
    await runners[1].start();
    await feed(b, records(0, 120));
    for (let round = 1; round <= 3; round++) {
      await feed(a, records(round * 120, 120));
      await feed(b, records(round * 120, 120));
    }
  } finally {
    for (const r of runners) await r.stop();
  }
  expect(problems).toEqual([]);
}, 180_000);
