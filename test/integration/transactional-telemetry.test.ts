/**
 * Telemetry written by transactional producers (an exactly-once relay, a Kafka Streams app):
 * each transaction leaves a marker that takes an offset but is no record, so the end of a
 * partition is past the last record a read_committed consumer gets. `homeostat run`, single
 * owner and scaled out, on two partitions: partition 0 gets 3 s of event time and then
 * nothing, partition 1 half a minute. Partition 0 must count as read to its end — not as a
 * backlog — so it goes idle (engine.idleAfterMs 2 s) and partition 1's windows close; and
 * the group's committed offsets must reach the end of both partitions (what lag monitors and
 * stage two read), not stop short at the markers.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecordCodec, encodeTelemetryJson } from '../../src/codec';
import { startProcessor, stop, waitForTopic, writeConfig } from '../helpers/cli';
import { checkpointsAtEnd, randomName, readTopic, testKafka, waitFor, withAdmin } from '../helpers/kafka';
import { producerConfig } from '../../src/kafka/client';

const dir = mkdtempSync(join(tmpdir(), 'homeostat-txn-telemetry-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) await stop(c, 'SIGKILL');
});

const committedToEnd = (groupId: string, topic: string): Promise<boolean> =>
  withAdmin((admin) => checkpointsAtEnd(admin, groupId, topic));

/** One transaction per `perTx` samples of `source`, every 100 ms of event time from `from`, to `partition`. */
async function produceInTransactions(
  topic: string,
  partition: number,
  source: string,
  from: number,
  count: number,
  perTx: number,
): Promise<void> {
  const producer = testKafka().producer(
    producerConfig({ transactionalId: randomName('relay'), idempotent: true, maxInFlightRequests: 1 }),
  );
  await producer.connect();
  try {
    for (let i = 0; i < count; i += perTx) {
      const tx = await producer.transaction();
      const messages = [];
      for (let j = i; j < Math.min(count, i + perTx); j++) {
        messages.push({
          partition,
          key: source,
          value: encodeTelemetryJson({ ts: from + j * 100, source, metric: 'requests', value: 1, tags: {} }),
        });
      }
      await tx.send({ topic, messages });
      await tx.commit();
    }
  } finally {
    await producer.disconnect();
  }
}

describe.each([
  ['single owner', false],
  ['scaled out', true],
])('telemetry from transactional producers, %s', (_name, scaleOut) => {
  test('a partition read to its last marker goes idle, and the committed offsets reach the end', async () => {
    const prefix = randomName('txt');
    const groupId = randomName('grp');
    const config = writeConfig(dir, prefix, { name: `${prefix}.yaml`, kafka: { groupId }, runner: { scaleOut } });
    const p = startProcessor(config, join(dir, `${prefix}.log`));
    children.push(p);
    expect(await waitForTopic(`${prefix}.signals`)).toBe(true);
    const telemetry = `${prefix}.telemetry`;
    // Event time well behind the log time, so no bound on clocks ahead applies.
    const t0 = Math.floor((Date.now() - 600_000) / 1000) * 1000;
    await produceInTransactions(telemetry, 0, 'relay-a', t0, 30, 10);
    // Partition 0 ends in a commit marker; the processor must get past it on its own.
    expect(await waitFor(() => committedToEnd(groupId, telemetry), 30_000, 250)).toBe(true);
    await produceInTransactions(telemetry, 1, 'relay-b', t0, 300, 30);
    // relay-b's windows close only if partition 0 counts as idle, not as holding a backlog.
    const wanted = t0 + 20_000;
    const signals = createRecordCodec('signal');
    let latest = -Infinity;
    const closed = await waitFor(
      async () => {
        for (const m of await readTopic(`${prefix}.signals`, 1_000_000, 5_000)) {
          const s = signals.decodeJson(m.value!);
          if (s.scope === 'series' && s.source === 'relay-b' && s.windowEnd > latest) latest = s.windowEnd;
        }
        return latest >= wanted;
      },
      60_000,
      500,
    );
    expect({ closed, latestWindowEnd: latest - t0 }).toEqual({ closed: true, latestWindowEnd: expect.any(Number) });
    expect(await waitFor(() => committedToEnd(groupId, telemetry), 30_000, 250)).toBe(true);
    if (scaleOut)
      expect(await waitFor(() => committedToEnd(`${groupId}.stage-two`, `${prefix}.stage`), 30_000, 250)).toBe(true);
    await stop(p, 'SIGTERM');
    expect(p.exitCode).toBe(0);
  });
});
