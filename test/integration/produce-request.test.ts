/**
 * The fast produce request (src/kafka/produce-request.ts) against the real broker: the broker
 * accepts its batches — it checks their CRC-32C, and, for an idempotent or transactional
 * producer, the producer id, epoch and sequence of every batch — and a read_committed
 * consumer gets back every record of the committed transactions and none of the aborted one,
 * with its key, value, headers and timestamp; gzip batches too. (This tier registers the
 * fast request in place of kafkajs's: test/helpers/kafkajs-patches-setup.ts.)
 */
import type { Message } from 'kafkajs';
import { isFastProduceRequest } from '../../src/kafka/produce-request';
import { isFastRequestFrame } from '../../src/kafka/request-frame';
import {
  createTopic,
  messageSeen,
  produceGzip,
  produceTransactions,
  randomName,
  readTopic,
  type ReadMessage,
  variedMessages,
} from '../helpers/kafka';

const messagesOf = (tag: string, n: number): Message[] =>
  variedMessages(tag, n, { nullValues: false, someUntimed: true });

const seen = (m: Message | ReadMessage): string => messageSeen(m);

describe('the fast produce request on the real broker', () => {
  it('is the request kafkajs makes in this tier', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(isFastProduceRequest(require('kafkajs/src/protocol/requests/produce/v3/request'))).toBe(true);
    // Every request of this tier, produce and fetch alike, framed in one buffer (request-frame.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(isFastRequestFrame(require('kafkajs/src/protocol/request'))).toBe(true);
  });

  it('writes transactions an idempotent producer commits and aborts, read back exactly by a read_committed consumer', async () => {
    const topic = randomName('fast-produce');
    await createTopic(topic, 3);
    const committed = [...messagesOf('a', 400), ...messagesOf('c', 250)];
    await produceTransactions(topic, [
      { messages: messagesOf('a', 400), commit: true },
      { messages: messagesOf('b', 300), commit: false },
      { messages: messagesOf('c', 250), commit: true },
    ]);
    const read = await readTopic(topic, committed.length, 60_000);
    expect(read.map(seen).sort()).toEqual(committed.map(seen).sort());
    const stamped = new Map(committed.filter((m) => m.timestamp !== undefined).map((m) => [seen(m), m.timestamp]));
    for (const r of read) if (stamped.has(seen(r))) expect(r.timestamp).toBe(stamped.get(seen(r)));
  });

  it('writes gzip batches the broker takes and a consumer inflates', async () => {
    const topic = randomName('fast-produce-gzip');
    await createTopic(topic, 2);
    const messages = messagesOf('g', 500);
    await produceGzip(topic, messages);
    const read = await readTopic(topic, messages.length, 60_000);
    expect(read.map(seen).sort()).toEqual(messages.map(seen).sort());
  });
});
