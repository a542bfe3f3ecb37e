/**
 * Clock skew: one producer whose clock steps an hour behind or an hour ahead, on a partition
 * of its own or shared with well-behaved producers, against the processor running live
 * (caught up: each second of event time is produced once the previous one is consumed).
 * The whole host's clock is skewed, so the record's Kafka CreateTime is as wrong as its `ts`:
 * the telemetry topic uses message.timestamp.type=LogAppendTime, so the broker stamps the
 * records with its own clock (the setup docs/reliability.md recommends).
 *
 * What happens (docs/reliability.md, "Clock skew"):
 * - an hour behind: that producer's records are late (DLQ, reason LATE) once the watermark is
 *   past them; everybody else's signals are exactly as without it;
 * - an hour ahead: its records are more than limits.maxAheadOfLogTimeMs (2 s) ahead of the
 *   broker's timestamp and go to the DLQ as TS_OUT_OF_RANGE; they never move the watermark,
 *   and everybody else's signals are exactly as without it;
 * - 4.9 minutes ahead on a CreateTime topic, its client stamping the Kafka timestamp with the
 *   same wrong clock (the attack the old 5-minute bound let through): the processor's arrival
 *   clock bounds the Kafka timestamp, the records are refused, and nobody else is harmed;
 * - an hour ahead with that bound turned off (null): the other partitions look idle next to it
 *   (event-time idleness), the watermark jumps an hour and the others' records are late for as
 *   long as the skewed producer runs — no stall, but a blackout: why the bound exists.
 */
import type { Message } from 'kafkajs';
import { createRecordCodec, encodeTelemetryJson } from '../../src/codec';
import { DLQ_HEADERS } from '../../src/kafka/dlq';
import { waitFor } from '../helpers/kafka';
import { header, produceOrdered, readAll } from './lib/kafka';
import { reportFigures } from '../helpers/figures';
import { prepareInProcess, startInProcess } from './lib/runner';
import { useFaultBroker } from './lib/fixture';

const SECONDS = 60;
const SKEW_FROM = 10;
const HOUR = 3_600_000;
/** Event time ends about now, so that the broker's timestamps are a fair judge of it. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 10 * SECONDS * 1000;
const fx = useFaultBroker('skew');
const { running } = fx;

interface Scenario {
  skewMs: number;
  /** Partition of the skewed producer: 3 is its own (the topic then has 4), 0 is shared with two well-behaved workers (3 in all). */
  partition: 0 | 3;
  idleAfterMs?: number | 'never';
  /** limits.maxAheadOfLogTimeMs; null turns the bound off. */
  maxAheadOfLogTimeMs?: number | null;
  /** The topic keeps the producers' CreateTime (the default of Kafka and of homeostat). */
  createTime?: boolean;
}

interface Outcome {
  consumed: number;
  produced: number;
  late: number;
  normalLate: number;
  skewedLate: number;
  /** The skewed producer's records refused as TS_OUT_OF_RANGE. */
  skewedRefused: number;
  normalRecords: number;
  /** Final series signals of the well-behaved workers, as bytes. */
  normalSignals: string[];
  skewedSignals: number;
  watermark: number;
}

/** Second `s` of event time: 10 samples from each of six workers on partitions 0-2, and from the producer X. */
function second(s: number, sc: Scenario): Message[] {
  const out: Message[] = [];
  for (let tick = 0; tick < 10; tick++) {
    const ts = T0 + s * 1000 + tick * 100;
    for (let w = 0; w < 6; w++) {
      out.push({
        key: `worker-${w}`,
        partition: w % 3,
        value: encodeTelemetryJson({ ts, source: `worker-${w}`, metric: 'queue.depth', value: w + tick, tags: {} }),
      });
    }
    const skewed = s >= SKEW_FROM ? ts + sc.skewMs : ts;
    // Its client stamps CreateTime with the same wrong clock; the broker overrides it.
    out.push({
      key: 'x',
      partition: sc.partition,
      timestamp: String(skewed),
      value: encodeTelemetryJson({ ts: skewed, source: 'x', metric: 'queue.depth', value: 1, tags: {} }),
    });
  }
  return out;
}

async function live(sc: Scenario): Promise<Outcome> {
  const p = await prepareInProcess(fx.inst, {
    partitions: sc.partition === 3 ? 4 : 3,
    engine: { idleAfterMs: sc.idleAfterMs ?? 30_000 },
    runner: { maxAheadMs: 7_200_000 },
    limits: sc.maxAheadOfLogTimeMs === undefined ? {} : { maxAheadOfLogTimeMs: sc.maxAheadOfLogTimeMs },
    telemetryConfig: [{ name: 'message.timestamp.type', value: sc.createTime ? 'CreateTime' : 'LogAppendTime' }],
  });
  const run = await startInProcess(p);
  running.push(run);
  let produced = 0;
  for (let s = 0; s < SECONDS; s++) {
    const batch = second(s, sc);
    await produceOrdered(fx.inst, p.topics.telemetry, batch);
    produced += batch.length;
    // Caught up before the next second: never a stall, whatever the skew.
    expect(await waitFor(() => run.runner.counters().consumed >= produced, 30_000, 5)).toBe(true);
  }
  const c = run.runner.counters();
  expect(c.consumed).toBe(c.aggregated + c.late + c.deadLettered);
  const watermark = run.runner.processor()!.watermark();
  await run.runner.stop();
  const dlq = await readAll(fx.inst, p.topics.dlq);
  expect(dlq.length).toBe(c.late + c.deadLettered);
  // Late records, or the skewed producer's records refused for their clock: nothing else.
  const refused = dlq.filter((m) => header(m, DLQ_HEADERS.code) === 'TS_OUT_OF_RANGE');
  expect(refused.every((m) => m.key?.toString() === 'x')).toBe(true);
  expect(dlq.length - refused.length).toBe(c.late);
  const codec = createRecordCodec('signal');
  const signals = (await readAll(fx.inst, p.topics.signals))
    .map((m) => codec.decodeJson(m.value!))
    .filter((s) => s.scope === 'series' && !s.partial);
  const lateX = dlq.filter((m) => m.key?.toString() === 'x' && header(m, DLQ_HEADERS.code) === 'LATE').length;
  return {
    consumed: c.consumed,
    produced,
    late: c.late,
    normalLate: c.late - lateX,
    skewedLate: lateX,
    skewedRefused: refused.length,
    normalRecords: SECONDS * 60,
    normalSignals: signals
      .filter((s) => s.source !== 'x')
      .map((s) => JSON.stringify(s))
      .sort(),
    skewedSignals: signals.filter((s) => s.source === 'x').length,
    watermark,
  };
}

test('a producer an hour behind or ahead: no stall, and no one else harmed; without the bound, ahead blacks out the others', async () => {
  const baseline = await live({ skewMs: 0, partition: 0 });
  const baselineOwn = await live({ skewMs: 0, partition: 3 });
  const behind = await live({ skewMs: -HOUR, partition: 0 });
  const aheadOwn = await live({ skewMs: HOUR, partition: 3 });
  const aheadShared = await live({ skewMs: HOUR, partition: 0 });
  const aheadUnbounded = await live({ skewMs: HOUR, partition: 3, maxAheadOfLogTimeMs: null });
  // 4.9 min ahead of the wall clock (event time here runs behind it: T0 is in the past).
  const aheadCreateTime = await live({ skewMs: Date.now() - T0 + 294_000, partition: 3, createTime: true });
  const skewedRecords = (SECONDS - SKEW_FROM) * 10;

  for (const b of [baseline, baselineOwn]) {
    expect(b.late).toBe(0);
    expect(b.skewedRefused).toBe(0);
    // The windows keep closing with the data: the watermark is within a second or two of the last event time.
    expect(b.watermark).toBeGreaterThan(T0 + (SECONDS - 2) * 1000);
  }
  expect(baselineOwn.normalSignals).toEqual(baseline.normalSignals);

  // An hour behind: exactly its records are late; everybody else's signals are untouched.
  expect(behind.skewedLate).toBe(skewedRecords);
  expect(behind.normalLate).toBe(0);
  expect(behind.normalSignals).toEqual(baseline.normalSignals);

  // An hour ahead: its records are refused for their clock and move nothing; the others' signals
  // are untouched. (On its own partition, that partition then looks silent: it holds windows
  // back until it turns idle, engine.idleAfterMs of event time later, as any silent one does.)
  for (const [o, base] of [
    [aheadOwn, baselineOwn],
    [aheadShared, baseline],
    [aheadCreateTime, baselineOwn],
  ] as const) {
    expect(o.skewedRefused).toBe(skewedRecords);
    expect(o.late).toBe(0);
    expect(o.watermark).toBeLessThan(T0 + SECONDS * 1000);
    expect(o.normalSignals).toEqual(base.normalSignals);
  }

  // The bound off: the watermark follows the skewed clock, and the others' records after the
  // jump are late — all of them but the few read in the batch that carried the jump.
  expect(aheadUnbounded.watermark).toBeGreaterThan(T0 + HOUR);
  expect(aheadUnbounded.skewedRefused).toBe(0);
  expect(aheadUnbounded.normalLate).toBeGreaterThan((SECONDS - SKEW_FROM - 2) * 60);

  const fig = (o: Outcome) => ({
    normalLate: o.normalLate,
    normalRecords: o.normalRecords,
    skewedLate: o.skewedLate,
    skewedRefused: o.skewedRefused,
    skewedRecords,
    normalSignals: o.normalSignals.length,
    consumed: o.consumed,
    produced: o.produced,
  });
  reportFigures('clock-skew', {
    baseline: fig(baseline),
    behindShared: fig(behind),
    aheadOwnPartition: fig(aheadOwn),
    aheadSharedPartition: fig(aheadShared),
    aheadOwnPartitionUnbounded: fig(aheadUnbounded),
    aheadCreateTimeOwnPartition: fig(aheadCreateTime),
  });
});
