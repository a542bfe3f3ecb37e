/**
 * The fast record batch decoder (src/kafka/record-batch-decoder.ts) on the real broker's fetch
 * responses: a read_committed consumer gets every record of the committed transactions and none
 * of the aborted one, and no control record; a read_uncommitted consumer gets the aborted one's
 * too, at the offsets the broker gave them — consecutive, with a gap exactly where each
 * transaction's marker sits — with keys, values, headers and timestamps as produced; a gzip
 * batch too. (This tier registers the fast decoder in place of kafkajs's:
 * test/helpers/kafkajs-patches-setup.ts.)
 */
import type { Message } from 'kafkajs';
import { isFastRecordBatchDecoder } from '../../src/kafka/record-batch-decoder';
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
  variedMessages(tag, n, { nullValues: true, someUntimed: false });

const seen = (m: Message | ReadMessage): string => messageSeen(m, true);
const readAll = (topic: string, expected: number, readUncommitted: boolean): Promise<ReadMessage[]> =>
  readTopic(topic, expected, 60_000, readUncommitted);

describe('the fast record batch decoder on the real broker', () => {
  it('is the decoder kafkajs uses in this tier', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(isFastRecordBatchDecoder(require('kafkajs/src/protocol/recordBatch/v0/decoder'))).toBe(true);
  });

  it('reads transactions back: committed only under read_committed, all at their offsets otherwise, never a marker', async () => {
    const topic = randomName('fast-decode');
    await createTopic(topic, 1);
    const sizes = [
      ['a', 400, true],
      ['b', 300, false],
      ['c', 250, true],
    ] as const;
    await produceTransactions(
      topic,
      sizes.map(([tag, n, commit]) => ({
        messages: messagesOf(tag, n),
        commit,
      })),
    );
    const committed = [...messagesOf('a', 400), ...messagesOf('c', 250)];
    const all = sizes.flatMap(([tag, n]) => messagesOf(tag, n));
    const readCommitted = await readAll(topic, committed.length, false);
    expect(readCommitted.map(seen)).toEqual(committed.map(seen));
    const everything = await readAll(topic, all.length, true);
    expect(everything.map(seen)).toEqual(all.map(seen));
    // One marker after each transaction: offsets 0–399, 401–700, 702–951.
    const expectedOffsets = sizes.flatMap(([, n], t) => {
      const base = sizes.slice(0, t).reduce((s, [, m]) => s + m + 1, 0);
      return Array.from({ length: n }, (_, i) => String(base + i));
    });
    expect(everything.map((m) => m.offset)).toEqual(expectedOffsets);
    expect(readCommitted.map((m) => m.offset)).toEqual([
      ...expectedOffsets.slice(0, 400),
      ...expectedOffsets.slice(700),
    ]);
  });

  it('reads gzip batches', async () => {
    const topic = randomName('fast-decode-gzip');
    await createTopic(topic, 1);
    const messages = messagesOf('g', 500);
    await produceGzip(topic, messages);
    const read = await readAll(topic, messages.length, false);
    expect(read.map(seen)).toEqual(messages.map(seen));
    expect(read.map((m) => m.offset)).toEqual(messages.map((_, i) => String(i)));
  });
});
