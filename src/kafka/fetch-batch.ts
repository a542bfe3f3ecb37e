/**
 * kafkajs's consumer Batch (src/consumer/batch.js), which the consumer group builds once per
 * partition of every fetch: the same object — the same fields in the same order, the same
 * prototype and so the same methods — without its per-record cost. kafkajs drops the records
 * below the fetched offset with `Long.fromValue(message.offset).gte(fetchedOffset)`: for each
 * record, its offset string parsed to a BigInt and a Long made around it. Both record batch
 * decoders write an offset as a canonical decimal integer (homeostat's `String` of an exact
 * number, kafkajs's a BigInt's `toString`), so one of at most 15 characters is exact as a
 * number: here such an offset is compared as a number when the fetched offset is exact as one as
 * well (below 2^53 in magnitude, read through kafkajs's own Long once per batch); any other is
 * compared as kafkajs compares it. For a topic whose consumers did not opt in to values kept in
 * place (fetched-record.ts), the fast decoder's records are turned into kafkajs's plain objects
 * first, so such a consumer sees kafkajs's records. Aborted transactions and control records are filtered by kafkajs's own
 * code, as in its constructor. test/unit/kafka/fetch-batch.test.ts holds the two to each other.
 */
import { asKafkajsRecord, batchHandlesValuesInPlace, FetchedRecord, valuesKeptInPlace } from './fetched-record';

interface Long {
  value: bigint;
  gte(other: Long): boolean;
}

interface LongModule {
  fromValue(value: unknown): Long;
}

interface Message {
  offset: string;
  isControlRecord?: boolean;
}

interface PartitionData {
  partition: number;
  highWatermark: string;
  abortedTransactions?: unknown;
  messages: Message[];
}

/** The fields kafkajs's constructor sets, in its order. */
interface BatchFields {
  fetchedOffset: unknown;
  topic: string;
  partition: number;
  highWatermark: string;
  rawMessages: Message[];
  messagesWithinOffset: Message[];
  messages: Message[];
}

export type BatchClass = new (topic: string, fetchedOffset: unknown, partitionData: PartitionData) => object;

/** The parts of kafkajs the batch is built with. */
export interface BatchParts {
  /** kafkajs's Batch: its prototype (the methods) is the new batch's. */
  original: BatchClass;
  long: LongModule;
  filterAbortedMessages(args: { messages: Message[]; abortedTransactions: unknown }): Message[];
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** Most characters of a canonical decimal integer that is exact as a number (15 digits, or a sign and 14). */
const MAX_EXACT_DIGITS = 15;

/** The records at or past `fetched`, as kafkajs's filter keeps them. */
function withinOffset(messages: Message[], fetched: Long, long: LongModule): Message[] {
  const v = fetched.value;
  const exact = v >= -MAX_EXACT && v <= MAX_EXACT;
  const at = exact ? Number(v) : NaN;
  return messages.filter((m) => {
    const s = m.offset;
    if (exact && typeof s === 'string' && s.length > 0 && s.length <= MAX_EXACT_DIGITS) {
      const o = Number(s);
      if (Number.isSafeInteger(o)) return o >= at;
    }
    return long.fromValue(s).gte(fetched);
  });
}

/** The fast decoder's records among `messages` as kafkajs's plain objects, in place (the same array). */
function asKafkajsRecords(messages: Message[]): void {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m instanceof FetchedRecord) messages[i] = asKafkajsRecord(m) as unknown as Message;
  }
}

const FAST = Symbol.for('homeostat.fastBatch');

/** Whether `c` is a batch class built by `fastBatchClass`. */
export function isFastBatch(c: unknown): boolean {
  return typeof c === 'function' && (c as unknown as Record<symbol, unknown>)[FAST] === true;
}

/** kafkajs's Batch, with its offset filter cheap for the fast decoder's records. */
export function fastBatchClass(parts: BatchParts): BatchClass {
  const { long, filterAbortedMessages } = parts;
  // A function, not a class: kafkajs's constructor must not run (its filter is the cost), and
  // the batch's prototype must be kafkajs's, so its methods (and instanceof) are the same.
  function Batch(this: BatchFields, topic: string, fetchedOffset: unknown, partitionData: PartitionData): void {
    this.fetchedOffset = fetchedOffset;
    const fetched = long.fromValue(fetchedOffset);
    const { abortedTransactions, messages } = partitionData;
    this.topic = topic;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    if (!valuesKeptInPlace(topic)) asKafkajsRecords(messages);
    this.rawMessages = messages;
    this.messagesWithinOffset = withinOffset(messages, fetched, long);
    this.messages = filterAbortedMessages({ messages: this.messagesWithinOffset, abortedTransactions }).filter(
      (m) => !m.isControlRecord,
    );
  }
  Batch.prototype = parts.original.prototype as object;
  (Batch as unknown as Record<symbol, unknown>)[FAST] = true;
  return Batch as unknown as BatchClass;
}

/** The fast Batch over kafkajs's own modules, resolved by `load` (Node's require, or jest's). */
export function fastBatchFromKafkajs(load: (id: string) => unknown): BatchClass {
  const base = 'kafkajs/src';
  // From now on the fast record batch decoder may hand out records with values in place:
  // this batch turns them into kafkajs's for every topic that did not opt in.
  batchHandlesValuesInPlace();
  return fastBatchClass({
    original: load(`${base}/consumer/batch`) as BatchClass,
    long: load(`${base}/utils/long`) as LongModule,
    filterAbortedMessages: load(`${base}/consumer/filterAbortedMessages`) as BatchParts['filterAbortedMessages'],
  });
}
