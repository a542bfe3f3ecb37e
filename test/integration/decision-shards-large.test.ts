/**
 * runner.decisionShards with windows larger than one Kafka record can carry: a fleet whose
 * every worker is overloaded at once, so that each of two shards reports, and builds, well
 * over 2,000 commands a window — megabytes of JSON each, on split topics at the broker's
 * default max.message.bytes (about 1 MiB). Before the split's messages were chunked the
 * shards' transactions failed there and the split stalled; now the commands, decisions and
 * outcomes must be byte-identical to the single stage two's, and the arbiter's topic must show
 * the chunks (and the messages they make) that carried them.
 */
import '../../src/kafka/kafkajs-patches'; // before kafkajs loads, as in every module that loads it
import type { Message } from 'kafkajs';
import { encodeTelemetryJson } from '../../src/codec';
import { buildProcessor, type ProcessorAssembly } from '../../src/compose/processor';
import type { HomeostatConfig } from '../../src/config/homeostat-config';
import { isChunkFrame } from '../../src/kafka/chunk-frames';
import { createSplitReassembly } from '../../src/kafka/split-chunks';
import { decodeSplitRecord } from '../../src/kafka/split-records';
import { splitTopicNames } from '../../src/kafka/topics';
import { createMetrics } from '../../src/ops/metrics';
import { silentLogger } from '../../src/ops/logger';
import { checkpointsAtEnd, produce, randomName, readTopic, waitFor, withAdmin } from '../helpers/kafka';
import { testSigningKey } from '../helpers/keys';
import { recordsOf, splitTestConfig } from '../helpers/split-config';
import { QUICK_TIMEOUT } from '../helpers/quick-policies';

const T0 = Date.UTC(2026, 0, 1);
/** Every worker overloaded in windows 1 and 2: about WORKERS / 2 commands a shard in each. */
const WORKERS = 5000;
const WINDOWS = 4;
const OPEN = 1_000_000;
const signing = testSigningKey('shards-large-it', 9);

function configOf(prefix: string, shards: number): HomeostatConfig {
  return splitTestConfig(prefix, shards, {
    guardrails: {
      minConsecutiveWindows: 1,
      cooldownWindows: 0,
      rateLimit: { burst: OPEN, perWindow: OPEN },
      blastRadius: { fraction: 1 },
      circuitBreaker: { maxActionsWithoutRecovery: OPEN },
      maxActiveLeases: OPEN,
      global: { rateLimit: { burst: OPEN, perWindow: OPEN }, maxActiveLeases: OPEN },
    },
    policies: [
      {
        name: 'timeouts',
        type: 'adaptive-timeout',
        mode: 'enforce',
        select: { metric: 'queue.depth' },
        parameters: QUICK_TIMEOUT,
      },
    ],
  });
}

/** Each worker's queue depth a window (deep in windows 1 and 2), then one record per partition far ahead. */
function telemetry(): Message[] {
  const out: Message[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    for (let k = 0; k < WORKERS; k++) {
      const source = `worker-${String(k).padStart(5, '0')}`;
      const value = w === 1 || w === 2 ? 120 + (k % 7) : 4;
      const ts = T0 + w * 1000 + 100 + (k % 800);
      out.push({ key: source, value: encodeTelemetryJson({ ts, source, metric: 'queue.depth', value, tags: {} }) });
    }
  }
  for (const partition of [0, 1]) {
    const ts = T0 + (WINDOWS + 30) * 1000;
    const value = encodeTelemetryJson({ ts, source: `closer-${partition}`, metric: 'requests', value: 1, tags: {} });
    out.push({ partition, key: `closer-${partition}`, value });
  }
  return out;
}

/** The arbiter's topic: its chunk records, and the commands of each shard's built records a window. */
async function arbiterTopic(topic: string): Promise<{ chunks: number; builtCommands: number[] }> {
  const read = (await readTopic(topic, Number.MAX_SAFE_INTEGER, 4000)).sort((a, b) =>
    Number(BigInt(a.offset) - BigInt(b.offset)),
  );
  const assembly = createSplitReassembly();
  const builtCommands: number[] = [];
  for (const m of read) {
    const taken = assembly.take(m, false);
    expect(taken.refused).toEqual([]);
    if (taken.whole === undefined) continue;
    const r = decodeSplitRecord(taken.whole.record, ['built']);
    if (r !== undefined && !('error' in r)) builtCommands.push(r.commands.length);
  }
  return { chunks: read.filter((m) => m.value !== null && isChunkFrame(m.value)).length, builtCommands };
}

describe('decision shards with windows larger than a record', () => {
  const runs: ProcessorAssembly[] = [];
  afterAll(async () => {
    for (const r of runs) await r.stop();
  });

  it('D = 2, over 2,000 commands a shard a window at the default max.message.bytes: the single stage two’s outputs byte for byte', async () => {
    const configs = [configOf(randomName('dl0'), 0), configOf(randomName('dl2'), 2)];
    const input = telemetry();
    for (const config of configs) {
      const run = await buildProcessor(config, { logger: silentLogger(), metrics: createMetrics(), signing });
      runs.push(run);
      await run.start();
      await produce(config.topics.telemetry, input);
    }
    for (const config of configs) {
      const done = () => withAdmin((admin) => checkpointsAtEnd(admin, config.kafka.groupId, config.topics.telemetry));
      expect(await waitFor(done, 120_000, 500)).toBe(true);
    }
    const [reference, split] = configs;
    for (const topic of ['actions', 'decisions', 'outcomes'] as const) {
      const want = await recordsOf(reference.topics[topic]);
      if (topic !== 'outcomes') expect(want.length).toBeGreaterThan(2 * WORKERS);
      let got: string[] = [];
      await waitFor(
        async () => {
          got = await recordsOf(split.topics[topic]);
          return got.length >= want.length;
        },
        120_000,
        1000,
      );
      expect(got.length).toBe(want.length);
      expect(got).toEqual(want);
    }
    // The shards' messages crossed as chunks, and each shard built over 2,000 commands in a window.
    const arbiter = await arbiterTopic(splitTopicNames(split.topics.stage, 2).arbiter);
    expect(arbiter.chunks).toBeGreaterThan(4);
    expect(arbiter.builtCommands.filter((n) => n > 2000).length).toBeGreaterThanOrEqual(2);
  }, 420_000);
});
