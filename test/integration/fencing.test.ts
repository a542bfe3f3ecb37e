/**
 * Taking a transactional id over on the real broker: the new holder must fence the old one
 * at once — before it reads offsets or state — so that the old holder's open transaction is
 * aborted and its late commit refused. kafkajs's connect() alone does not (it initialises a
 * plain idempotent producer id); connectTransactional does.
 */
import { connectTransactional, transactionalProducerConfig } from '../../src/kafka/transaction';
import { createTopic, randomName, readTopic, testKafka } from '../helpers/kafka';

test('connectTransactional fences the previous holder: its open transaction is aborted, its commit refused', async () => {
  const topic = randomName('fence');
  await createTopic(topic, 1);
  const kafka = testKafka();
  const id = randomName('tx');
  const zombie = kafka.producer(transactionalProducerConfig(id));
  await zombie.connect();
  const open = await zombie.transaction();
  await open.send({ topic, messages: [{ key: 'k', value: 'from the zombie' }] });
  const owner = await connectTransactional(kafka, id);
  try {
    const late = await open.commit().then(
      () => 'committed',
      (err: unknown) => (err as { type?: string }).type ?? String(err),
    );
    expect(late).not.toBe('committed');
    const tx = await owner.transaction();
    await tx.send({ topic, messages: [{ key: 'k', value: 'from the owner' }] });
    await tx.commit();
    expect((await readTopic(topic, 1, 10_000)).map((m) => m.value?.toString())).toEqual(['from the owner']);
  } finally {
    await Promise.all([zombie.disconnect().catch(() => undefined), owner.disconnect()]);
  }
});
