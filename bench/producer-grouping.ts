/**
 * kafkajs's producer groups a send's messages by partition before it encodes them. Its own
 * grouping (kafkajs 2.2.x, src/producer/groupMessagesPerPartition.js) copies a partition's list
 * once per message; homeostat installs a one-pass one (src/kafka/kafkajs-patches.ts). This times
 * both on the same sends, in the same process, alternating which goes first:
 *
 *   npx tsx bench/producer-grouping.ts [--max-ms 20000]
 *
 * Sends: 1k, 10k, 33k and 100k keyed messages, to 1, 3 and 12 partitions (a window's finals in
 * one transaction; the stage topic of a scaled-out group has one partition). A size whose
 * kafkajs grouping took longer than --max-ms is not timed at larger sizes for that partition
 * count (it grows with the square). Writes bench/results/producer-grouping/<ISO time>.json.
 */
import { groupMessagesPerPartition } from '../src/kafka/kafkajs-patches';
import { kafkajsModule } from './lib/kafkajs-module';
import { argNumber, round, writeResult } from './lib/results';

type Group = typeof groupMessagesPerPartition;

const MAX_MS = argNumber('max-ms', 20_000);
const SIZES = [1_000, 10_000, 33_000, 100_000];
const PARTITIONS = [1, 3, 12];

/** kafkajs's own function, compiled from its file (the require cache holds the replacement). */
const kafkajsGrouping = (): Group => kafkajsModule('kafkajs/src/producer/groupMessagesPerPartition') as Group;

function time(group: Group, n: number, partitions: number): number {
  const messages = Array.from({ length: n }, (_, i) => ({ key: `worker-${i}`, value: 'v', partition: i % partitions }));
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i }));
  const started = performance.now();
  const out = group({
    topic: 't',
    partitionMetadata,
    messages,
    partitioner: ({ message }) => message.partition,
  });
  const ms = performance.now() - started;
  if (Object.values(out).reduce((a, m) => a + m.length, 0) !== n) throw new Error('grouping lost messages');
  return ms;
}

function main(): void {
  const kafkajs = kafkajsGrouping();
  const rows: { messages: number; partitions: number; kafkajsMs: number; linearMs: number; ratio: number }[] = [];
  // Warm both up on a small send.
  for (let i = 0; i < 20; i++) {
    time(kafkajs, 500, 3);
    time(groupMessagesPerPartition, 500, 3);
  }
  for (const partitions of PARTITIONS) {
    for (const [i, n] of SIZES.entries()) {
      const linearFirst = i % 2 === 0;
      const linearA = linearFirst ? time(groupMessagesPerPartition, n, partitions) : 0;
      const kafkajsMs = time(kafkajs, n, partitions);
      const linearMs = linearFirst ? linearA : time(groupMessagesPerPartition, n, partitions);
      rows.push({
        messages: n,
        partitions,
        kafkajsMs: round(kafkajsMs, 2),
        linearMs: round(linearMs, 2),
        ratio: round(kafkajsMs / Math.max(linearMs, 0.001), 1),
      });
      console.log(
        `${n} messages, ${partitions} partition(s): kafkajs ${round(kafkajsMs, 1)} ms, one pass ${round(linearMs, 2)} ms`,
      );
      if (kafkajsMs > MAX_MS) break;
    }
  }
  console.log(`wrote ${writeResult('producer-grouping', { definition: 'ms to group one send', rows })}`);
}

main();
