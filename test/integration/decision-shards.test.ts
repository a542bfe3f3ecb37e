/**
 * runner.decisionShards on the real broker: the same telemetry through the processor
 * `homeostat run` builds (src/compose/processor.ts), scaled out, once with today's single
 * stage two and once with stage two split over D decision shards and an arbiter (each a
 * consumer group of its own, their messages on topics of their own), must write
 * byte-identical commands, decisions and outcomes — the same records, keys and partitions,
 * in the same order. First one process, then two processes of one group.
 */
import '../../src/kafka/kafkajs-patches'; // before kafkajs loads, as in every module that loads it
import { AssignerProtocol, type Message } from 'kafkajs';
import { encodeTelemetryJson } from '../../src/codec';
import { buildProcessor, type ProcessorAssembly } from '../../src/compose/processor';
import type { HomeostatConfig } from '../../src/config/homeostat-config';
import { createMetrics } from '../../src/ops/metrics';
import { silentLogger } from '../../src/ops/logger';
import { checkpointsAtEnd, produce, randomName, waitFor, withAdmin } from '../helpers/kafka';
import { testSigningKey } from '../helpers/keys';
import { recordsOf, splitTestConfig } from '../helpers/split-config';
import { QUICK_HERD, QUICK_TIMEOUT } from '../helpers/quick-policies';

const T0 = Date.UTC(2026, 0, 1);
const WORKERS = 40;
const WINDOWS = 14;
const signing = testSigningKey('shards-it', 9);

function configOf(prefix: string, shards: number): HomeostatConfig {
  return splitTestConfig(prefix, shards, {
    guardrails: {
      minConsecutiveWindows: 1,
      blastRadius: { fraction: 0.5, min: 1, fleetSize: WORKERS },
      rateLimit: { burst: 6, perWindow: 2 },
      maxActiveLeases: 12,
      lease: { windows: 3, renewBeforeWindows: 1 },
    },
    policies: [
      {
        name: 'timeouts',
        type: 'adaptive-timeout',
        mode: 'enforce',
        select: { metric: 'queue.depth' },
        parameters: QUICK_TIMEOUT,
      },
      {
        name: 'herd',
        type: 'herd-control',
        mode: 'canary',
        parameters: QUICK_HERD,
      },
    ],
  });
}

/** Per window and worker: its queue depth, requests and retries (a herd on svc-1 mid-run); then one record per partition far ahead, which closes every window. */
function telemetry(): Message[] {
  const out: Message[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    for (let k = 0; k < WORKERS; k++) {
      const source = `worker-${k}`;
      const service = `svc-${k % 4}`;
      const ts = T0 + w * 1000 + 100 + k;
      const depth = (w + k) % 5 === 0 ? 120 + k : (w + k) % 5 === 1 ? 30 : 4;
      const herd = service === 'svc-1' && w >= 5 && w <= 7;
      const samples = [
        { metric: 'queue.depth', value: depth, tags: {} as Record<string, string> },
        { metric: 'requests', value: herd ? 400 : 100, tags: { service } },
        { metric: 'retries', value: herd ? 150 : 2, tags: { service } },
      ];
      for (const s of samples) out.push({ key: source, value: encodeTelemetryJson({ ts, source, ...s }) });
    }
  }
  for (const partition of [0, 1]) {
    const ts = T0 + (WINDOWS + 30) * 1000;
    const value = encodeTelemetryJson({ ts, source: `closer-${partition}`, metric: 'requests', value: 1, tags: {} });
    out.push({ partition, key: `closer-${partition}`, value });
  }
  return out;
}

const TOPICS = ['actions', 'decisions', 'outcomes'] as const;

describe('decision shards on the real broker', () => {
  const runs: ProcessorAssembly[] = [];
  afterAll(async () => {
    for (const r of runs) await r.stop();
  });

  /** Starts `processes` processes of each config's group, then the same telemetry into each; waits for stage one to finish. */
  async function runAll(configs: HomeostatConfig[], processes: number[]): Promise<void> {
    const input = telemetry();
    for (const [i, config] of configs.entries()) {
      for (let p = 0; p < processes[i]; p++) {
        const run = await buildProcessor(config, {
          logger: silentLogger(),
          metrics: createMetrics(),
          signing,
          instanceId: String(p),
        });
        runs.push(run);
        await run.start();
      }
      await produce(config.topics.telemetry, input);
    }
    for (const config of configs) {
      const done = () => withAdmin((admin) => checkpointsAtEnd(admin, config.kafka.groupId, config.topics.telemetry));
      expect(await waitFor(done, 90_000, 500)).toBe(true);
    }
  }

  /** The split runs' outputs become the reference's (they are written a hop later): compared once they stop changing. */
  async function expectIdentical(reference: HomeostatConfig, others: HomeostatConfig[]): Promise<void> {
    for (const topic of TOPICS) {
      const want = await recordsOf(reference.topics[topic]);
      expect(want.length).toBeGreaterThan(0);
      for (const c of others) {
        let got: string[] = [];
        await waitFor(
          async () => {
            got = await recordsOf(c.topics[topic]);
            return got.length >= want.length;
          },
          60_000,
          500,
        );
        expect(got).toEqual(want);
      }
    }
  }

  it('one process: D = 2 and D = 3 write the single stage two’s commands, decisions and outcomes byte for byte', async () => {
    const configs = [configOf(randomName('ds0'), 0), configOf(randomName('ds2'), 2), configOf(randomName('ds3'), 3)];
    await runAll(configs, [1, 1, 1]);
    await expectIdentical(configs[0], configs.slice(1));
  }, 240_000);

  it('two processes of one group, D = 2: the same as one process of the single stage two', async () => {
    const configs = [configOf(randomName('ds0'), 0), configOf(randomName('dsx'), 2)];
    await runAll(configs, [1, 2]);
    await expectIdentical(configs[0], configs.slice(1));
    // The two shards are decided in different processes: each member's subscription names its process.
    const group = configs[1].kafka.groupId;
    const owners = await withAdmin(async (admin) => {
      const { groups } = await admin.describeGroups([`${group}.shard-0`, `${group}.shard-1`]);
      return groups.map((g) => {
        const owner = g.members.find(
          (x) => Object.keys(AssignerProtocol.MemberAssignment.decode(x.memberAssignment)?.assignment ?? {}).length > 0,
        );
        const data = owner
          ? (AssignerProtocol.MemberMetadata.decode(owner.memberMetadata)?.userData.toString() ?? '')
          : '';
        return data.slice(data.indexOf(':') + 1);
      });
    });
    expect(owners).toHaveLength(2);
    expect(owners.every((p) => p.length > 0)).toBe(true);
    expect(owners[0]).not.toBe(owners[1]);
  }, 240_000);

  it('takeovers mid-run, D = 2: processes started and stopped, the shards and the arbiter moving, the outputs still identical', async () => {
    const reference = configOf(randomName('ds0'), 0);
    const split = configOf(randomName('dsk'), 2);
    await runAll([reference], [1]);
    const input = telemetry();
    const perWindow = WORKERS * 3;
    const parts = [
      input.slice(0, 5 * perWindow),
      input.slice(5 * perWindow, 10 * perWindow),
      input.slice(10 * perWindow),
    ];
    const start = async (instance: string): Promise<ProcessorAssembly> => {
      const run = await buildProcessor(split, {
        logger: silentLogger(),
        metrics: createMetrics(),
        signing,
        instanceId: instance,
      });
      runs.push(run);
      await run.start();
      return run;
    };
    const decided = async (): Promise<number> => (await recordsOf(split.topics.decisions)).length;
    /** Waits until the split run has written more decisions than `before` (a window was settled). */
    const progressed = async (before: number) =>
      expect(await waitFor(async () => (await decided()) > before, 60_000, 500)).toBe(true);
    // A and B: the shards and the arbiter spread over them (each part's owner by process).
    const a = await start('a');
    const b = await start('b');
    await produce(split.topics.telemetry, parts[0]);
    await progressed(0);
    // A stops mid-run: B takes what A held over from its last commits.
    await a.stop();
    const afterA = await decided();
    await produce(split.topics.telemetry, parts[1]);
    await progressed(afterA);
    const c = await start('c');
    // C joins (some parts move to it), then B stops mid-run: C takes the rest over.
    await b.stop();
    await produce(split.topics.telemetry, parts[2]);
    const done = () => withAdmin((admin) => checkpointsAtEnd(admin, split.kafka.groupId, split.topics.telemetry));
    expect(await waitFor(done, 90_000, 500)).toBe(true);
    await expectIdentical(reference, [split]);
    await c.stop();
  }, 300_000);
});
