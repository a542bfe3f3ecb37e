/**
 * Reading the state topic back on the real broker, as a process does when it takes over a
 * partition: it must see everything committed before the read began. Scaled out, several
 * processes write the topic at once, so a transaction one of them still has open holds the
 * last stable offset below records another committed after it began — the histories that
 * the partition's previous owner wrote last.
 */
import { producerConfig } from '../../src/kafka/client';
import { readCompacted } from '../../src/kafka/state-topic';
import { createTopic, randomName, testKafka } from '../helpers/kafka';

test('records committed behind another writer’s open transaction are read', async () => {
  const topic = randomName('state');
  await createTopic(topic, 1);
  const kafka = testKafka();
  const slow = kafka.producer(
    producerConfig({ transactionalId: randomName('slow'), idempotent: true, maxInFlightRequests: 1 }),
  );
  const quick = kafka.producer(
    producerConfig({ transactionalId: randomName('quick'), idempotent: true, maxInFlightRequests: 1 }),
  );
  await Promise.all([slow.connect(), quick.connect()]);
  try {
    const first = await quick.transaction();
    await first.send({ topic, messages: [{ key: 'history/a', value: 'old' }] });
    await first.commit();
    // Another process's transaction, open while the reader starts...
    const open = await slow.transaction();
    await open.send({ topic, messages: [{ key: 'history/b', value: 'b1' }] });
    // ...and the previous owner's last commit, after it began.
    const last = await quick.transaction();
    await last.send({ topic, messages: [{ key: 'history/a', value: 'new' }] });
    await last.commit();
    const read = readCompacted(kafka, topic, (k) => k.startsWith('history/'));
    // The open transaction ends a moment later, as a live process's does.
    await new Promise((r) => setTimeout(r, 500));
    await open.commit();
    const stored = await read;
    expect({ a: stored.get('history/a')?.toString(), b: stored.get('history/b')?.toString() }).toEqual({
      a: 'new',
      b: 'b1',
    });
  } finally {
    await Promise.all([slow.disconnect(), quick.disconnect()]);
  }
});
