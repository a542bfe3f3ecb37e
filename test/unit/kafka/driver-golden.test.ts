/**
 * The processor driver's outputs, byte for byte, over the fake port (test/helpers/fake-kafka.ts):
 * a generated JSON workload on two partitions, mostly plain records (the one-pass reader's
 * path) with every few records an odd one — keys in another order or spelt with an escape,
 * whitespace, an unknown, repeated or truncated key, a record too far ahead of its Kafka
 * timestamp, a late one, bad JSON, a tombstone — so that the fast path, the general path and
 * the DLQ are all taken, interleaved.
 *
 * The digests below were produced by the code before the driver's per-record path was cut
 * (issue #21: the one-pass reading stepped without a result object, JSON field names matched
 * on their bytes): that work must change how fast records go through, never what comes out —
 * the signals, the dead letters with their reasons, the committed offsets and the counters.
 * A digest that changes means an output changed: find out why before touching it.
 */
import { createHash } from 'node:crypto';
import type { Message } from 'kafkajs';
import pino from 'pino';
import { encodeTelemetryJson } from '../../../src/codec';
import { createRunner } from '../../../src/kafka/processor-driver';
import { engineConfigFrom } from '../../../src/config/resolve-engine';
import { fakeConfig } from '../../helpers/fake-config';
import { FakeKafka } from '../../helpers/fake-kafka';
// Deterministic: the workload is the same on every run.
import { mulberry32 as prng } from '../../../src/client/random';

const PARTITIONS = 2;
const RECORDS = 1_200;
const SOURCES = 6;
const METRICS = ['query.latency_ms', 'queue.depth', 'requests'];
/** Event time, fixed and in the past: Kafka timestamps behind the arrival clock, as a replay judges them. */
const T0 = Date.UTC(2026, 0, 1);
const WAIT_MS = 20_000;
jest.setTimeout(3 * WAIT_MS);

/** The text of record `i` written some other way than the canonical encoder does, or undefined. */
function oddText(i: number, ts: number, source: string, metric: string, value: number): string | undefined {
  const tags = `{"role":"worker","tenant":"t-${i % 3}"}`;
  switch (i % 23) {
    case 3: // keys in another order, with whitespace: still the one-pass reader's
      return ` { "value" : ${value} , "tags" : ${tags} , "metric" : "${metric}" , "source" : "${source}" , "ts" : ${ts} } `;
    case 5: // a key spelt with an escape: valid JSON, the general path's
      return `{"t\\u0073":${ts},"source":"${source}","metric":"${metric}","value":${value},"tags":${tags}}`;
    case 7: // an unknown key
      return `{"ts":${ts},"source":"${source}","metric":"${metric}","value":${value},"tags":${tags},"extra":1}`;
    case 11: // a repeated key
      return `{"ts":${ts},"source":"${source}","source":"${source}-b","metric":"${metric}","value":${value},"tags":${tags}}`;
    case 13: // a prefix of a key name
      return `{"ts":${ts},"sourc":"${source}","metric":"${metric}","value":${value},"tags":${tags}}`;
    case 17: // cut short
      return `{"ts":${ts},"source":"${source}","metric":"${metric}","val`;
    case 19: // no tags at all
      return `{"metric":"${metric}","ts":${ts},"value":${value},"source":"${source}"}`;
    default:
      return undefined;
  }
}

function workload(): Message[] {
  const rnd = prng(21);
  const out: Message[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const source = `worker-${Math.floor(rnd() * SOURCES)}`;
    const metric = METRICS[Math.floor(rnd() * METRICS.length)];
    const value = Math.round(rnd() * 10_000) / 100;
    // 60 s of event time with up to 400 ms of disorder; every 97th record 30 s behind (late).
    let ts = T0 + i * 50 - Math.floor(rnd() * 400);
    if (i % 97 === 96) ts -= 30_000;
    let kafkaTs = T0 + i * 50;
    // Every 89th record's event time runs 10 s ahead of its Kafka timestamp (TS_OUT_OF_RANGE).
    if (i % 89 === 88) kafkaTs -= 10_000;
    const tags = { role: 'worker', tenant: `t-${i % 3}` };
    let value_: Buffer | null =
      i % 101 === 100
        ? Buffer.from(i % 2 === 0 ? 'not telemetry' : '[1,2]')
        : Buffer.from(
            oddText(i, ts, source, metric, value) ?? encodeTelemetryJson({ ts, source, metric, value, tags }),
          );
    if (i % 211 === 210) value_ = null;
    out.push({ key: source, value: value_, timestamp: String(kafkaTs), partition: i % PARTITIONS });
  }
  return out;
}

const sha = (parts: readonly string[]): string => createHash('sha256').update(parts.join('\n')).digest('hex');

describe('the processor driver, byte for byte', () => {
  test('signals, dead letters, committed offsets and counters are the ones of the code before the per-record cuts', async () => {
    const c = fakeConfig();
    const k = new FakeKafka({ topics: { [c.topics.telemetry]: PARTITIONS }, maxRecordsPerFetch: 37 });
    for (const t of [c.topics.dlq, c.topics.signals, c.topics.state, c.topics.stage]) k.createTopic(t, 1);
    const logger = pino({ level: 'silent' });
    const runner = createRunner({ config: c, engine: engineConfigFrom(c), logger, kafka: k });
    await runner.start();
    try {
      k.produce(c.topics.telemetry, workload(), { transactional: true });
      await k.until(() => runner.counters().consumed === RECORDS, WAIT_MS, 'the workload');
      const counters = runner.counters();
      // Nothing lost, nothing invented: every record read is aggregated, late or dead-lettered, once.
      expect(counters.consumed).toBe(counters.aggregated + counters.late + counters.deadLettered);
      const dead = k.committedRecords(c.topics.dlq);
      expect(dead).toHaveLength(counters.deadLettered + counters.late);
      const signals = k.committedRecords(c.topics.signals).map((m) => m.value!.toString());
      expect(signals.length).toBeGreaterThan(0);
      // Order across partitions follows fetch order; each record's bytes are what must not move.
      const dlq = dead.map((m) => `${m.key?.toString()} ${m.value?.toString()} ${JSON.stringify(m.headers)}`);
      const offsets = await k.admin().fetchOffsets({ groupId: c.kafka.groupId, topics: [c.topics.telemetry] });
      expect({
        counters: {
          consumed: counters.consumed,
          aggregated: counters.aggregated,
          late: counters.late,
          deadLettered: counters.deadLettered,
        },
        offsets: JSON.stringify(offsets),
        signals: sha([...signals].sort()),
        dlq: sha([...dlq].sort()),
      }).toEqual({
        counters: { consumed: 1200, aggregated: 1058, late: 11, deadLettered: 131 },
        offsets: JSON.stringify([
          {
            topic: 't.telemetry',
            partitions: [
              { partition: 0, offset: '504', metadata: '{"v":1,"next":"601","wm":1767225657752}' },
              { partition: 1, offset: '501', metadata: '{"v":1,"next":"601","wm":1767225657752}' },
            ],
          },
        ]),
        signals: '8d0f7963dcb9531d143cd9d48f80b76f0c444a1b911681b6aab69a26171b2cf5',
        dlq: '23e57cd5241d837181da23fbe921ac5a12da25646cfe64c6015334bbffd8584e',
      });
    } finally {
      await runner.stop();
    }
  });
});
