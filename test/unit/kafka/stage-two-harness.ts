/**
 * Stage two over the fake Kafka port: a stage topic written as the processes of a scaled-out
 * group write it (each stage-one transaction: its partition's signals, then its mark, then a
 * commit marker), and the outputs an uninterrupted gather releases from the same records — what
 * stage two must publish, once each and in that order, whatever happens to it on the way.
 */
import pino from 'pino';
import type { EngineConfig } from '../../../src/core';
import { createStageTwo, type StageTwo } from '../../../src/kafka/gather-driver';
import { stageMark, stageSignals } from '../../../src/kafka/stage-records';
import type { Telemetry } from '../../../src/model/telemetry';
import type { WindowSignal } from '../../../src/model/signal';
import type { HomeostatConfig } from '../../../src/config/homeostat-config';
import { fakeConfig } from '../../helpers/fake-config';
import { engineConfigFrom } from '../../../src/config/resolve-engine';
import type { Logger } from '../../../src/ops/logger';
import type { HomeostatMetrics } from '../../../src/ops/metrics';
import { emptyGatherOutputs, type GatherOutputs } from '../../../src/pipeline/gather';
import { emptyOutputs } from '../../../src/pipeline/processor';
import { FakeKafka } from '../../helpers/fake-kafka';
import { createSharedPipeline, type SharedPipeline } from '../../helpers/shared-pipeline';

/** Telemetry partitions of the group. */
const P = 2;
/** Records of a partition per stage-one transaction. */
const CHUNK = 20;

/** A log line as pino writes it. */
export type LogLine = Record<string, unknown> & { msg: string; level: number };

export interface StageHarness {
  readonly k: FakeKafka;
  readonly config: HomeostatConfig;
  readonly logs: LogLine[];
  /** A stage two of the group (a process); every one shares the fake and the log. */
  stageTwo(metrics?: HomeostatMetrics): StageTwo;
  /** Writes the next `n` stage-one transactions to the stage topic (partitions in turn); false when none was left. */
  feed(n: number): boolean;
  /** Writes every stage-one transaction left. */
  feedAll(): void;
  /** What an uninterrupted gather published from what was fed, as `key@windowEnd`. */
  expected(): string[];
  /** The signals committed to the signals topic, as `key@windowEnd`. */
  published(): string[];
  /** The stage offset committed by stage two's group (undefined: none), with its metadata. */
  committed(): { offset: string; metadata: string | null } | undefined;
  /** Log lines whose message starts with `prefix`. */
  logged(prefix: string): LogLine[];
}

export function stageHarness(o: { maxRecordsPerFetch?: number } = {}): StageHarness {
  const config = fakeConfig();
  const engine: EngineConfig = engineConfigFrom(config);
  const k = new FakeKafka({ topics: { [config.topics.telemetry]: P }, maxRecordsPerFetch: o.maxRecordsPerFetch });
  for (const t of [config.topics.signals, config.topics.state, config.topics.stage]) k.createTopic(t, 1);
  const queues = workload(engine);
  // The telemetry is on its topic: each partition has a backlog until its last mark, so the
  // gather releases by the partitions' watermarks alone, whenever stage one's offsets are asked.
  for (let p = 0; p < P; p++)
    k.produce(
      config.topics.telemetry,
      queues[p].map((r) => ({ key: r.source, value: JSON.stringify(r), partition: p })),
    );
  const sp: SharedPipeline = createSharedPipeline(engine, P);
  const reference: GatherOutputs = emptyGatherOutputs();
  sp.gather.step(
    { kind: 'offsets', high: queues.map((q) => String(q.length)), committed: queues.map(() => '0') },
    reference,
  );
  const next = queues.map(() => 0);
  let turn = 0;
  const logs: LogLine[] = [];
  const logger: Logger = pino(
    { level: 'info' },
    { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
  );
  const feedOne = (): boolean => {
    const p = [...Array(P).keys()].map((i) => (turn + i) % P).find((i) => next[i] < queues[i].length);
    if (p === undefined) return false;
    turn = p + 1;
    const out = emptyOutputs();
    for (let n = 0; n < CHUNK && next[p] < queues[p].length; n++, next[p]++)
      sp.step(p, { kind: 'record', partition: p, offset: next[p], record: queues[p][next[p]] }, out);
    const records = sp.commit(p, next[p]);
    sp.deliver(records, reference);
    const messages = records.flatMap((r) =>
      r.kind === 'signal' ? stageSignals([r.signal]) : r.kind === 'mark' ? [stageMark(r.mark)] : [],
    );
    k.produce(config.topics.stage, messages, { transactional: true });
    return true;
  };
  const label = (s: { key: string; windowEnd: number }): string => `${s.key}@${s.windowEnd}`;
  return {
    k,
    config,
    logs,
    stageTwo: (metrics) => createStageTwo({ config, engine, logger, kafka: k, metrics }),
    feed(n) {
      let any = false;
      for (let i = 0; i < n; i++) any = feedOne() || any;
      return any;
    },
    feedAll() {
      while (feedOne());
    },
    expected: () => reference.published.map(label),
    published: () =>
      k
        .committedRecords(config.topics.signals)
        .map((m) => label(JSON.parse(m.value!.toString('utf8')) as WindowSignal)),
    committed: () => k.committed(`${config.kafka.groupId}.stage-two`, config.topics.stage, 0),
    logged: (prefix) => logs.filter((l) => l.msg.startsWith(prefix)),
  };
}

/** Two partitions of steady telemetry over four minutes of event time, two sources each. */
function workload(engine: EngineConfig): Telemetry[][] {
  const t0 = Date.UTC(2026, 0, 1);
  const step = Math.max(1, Math.floor(engine.window.sizeMs / 10));
  return [...Array(P).keys()].map((p) => {
    const q: Telemetry[] = [];
    for (let ts = t0; ts < t0 + 24 * engine.window.sizeMs; ts += step)
      for (const w of [0, 1])
        q.push({ ts, source: `p${p}-w${w}`, metric: 'queue.depth', value: (ts / step) % 50, tags: {} });
    return q;
  });
}
