/**
 * The consumer batch of fetch-batch.ts must be kafkajs's Batch for the same fetch: the same
 * fields in the same order holding the same records, the same prototype and the same answers
 * from its methods. Fetches are random: the fast decoder's records and kafkajs's own (offsets
 * past 2^53 among them), fetched offsets below, at, past the records and past 2^53, strings and
 * numbers, control records and aborted transactions.
 */
import fc from 'fast-check';
import { asKafkajsRecord, FetchedRecord, keepValuesInPlace } from '../../../src/kafka/fetched-record';
import { fastBatchFromKafkajs, isFastBatch, type BatchClass } from '../../../src/kafka/fetch-batch';
import type { BatchContext } from '../../../src/kafka/record-batch-decoder';

const load = (id: string): unknown => jest.requireActual(id);
const KafkajsBatch = load('kafkajs/src/consumer/batch') as BatchClass;
const FastBatch = fastBatchFromKafkajs(load);

const ABORT_KEY = Buffer.from([0, 0, 0, 0]);
const COMMIT_KEY = Buffer.from([0, 0, 0, 1]);

interface Spec {
  offset: bigint;
  fetched: boolean;
  control: boolean;
  abortMarker: boolean;
  producer: number;
  inTransaction: boolean;
}

function context(s: Spec): BatchContext & { magicByte: number } {
  return { producerId: String(s.producer), inTransaction: s.inTransaction, magicByte: 2 } as BatchContext & {
    magicByte: number;
  };
}

/** A record as the fast decoder reads it (offsets below 2^53) or as kafkajs's decoder does. */
function record(s: Spec): unknown {
  const key = s.control ? (s.abortMarker ? ABORT_KEY : COMMIT_KEY) : null;
  const exact = s.offset <= BigInt(Number.MAX_SAFE_INTEGER) && s.offset >= -BigInt(Number.MAX_SAFE_INTEGER);
  const offset = String(s.offset);
  if (s.fetched && exact) {
    const value = Buffer.from('v');
    return new FetchedRecord(2, 0, '0', offset, key, value, 0, 1, {}, s.control, context(s));
  }
  return { magicByte: 2, offset, key, value: null, headers: {}, isControlRecord: s.control, batchContext: context(s) };
}

const NEAR = [0n, 5n, 2n ** 53n - 3n, 2n ** 63n - 9n, -4n, -(2n ** 60n)];
const offsetNear = fc
  .tuple(fc.constantFrom(...NEAR), fc.integer({ min: -3, max: 12 }))
  .map(([base, d]) => base + BigInt(d));
const spec = fc.record({
  offset: offsetNear,
  fetched: fc.boolean(),
  control: fc.boolean(),
  abortMarker: fc.boolean(),
  producer: fc.integer({ min: 1, max: 3 }),
  inTransaction: fc.boolean(),
});
const fetchedOffset = fc.oneof(
  offsetNear.map(String),
  offsetNear.filter((v) => v >= -(2n ** 53n) && v <= 2n ** 53n).map(Number),
);
const aborted = fc.array(
  fc.record({ firstOffset: offsetNear.map(String), producerId: fc.integer({ min: 1, max: 3 }).map(String) }),
  { maxLength: 2 },
);

type AnyBatch = Record<string, unknown>;

/** A method's answer, or what it threw. */
function answer(b: AnyBatch, method: string): unknown {
  try {
    return (b[method] as () => unknown).call(b);
  } catch (err) {
    return `threw ${(err as Error).message}`;
  }
}

const METHODS = [
  'isEmpty',
  'isEmptyIncludingFiltered',
  'isEmptyDueToFiltering',
  'isEmptyControlRecord',
  'isEmptyDueToLogCompactedMessages',
  'firstOffset',
  'lastOffset',
  'offsetLag',
  'offsetLagLow',
];

function build(C: BatchClass, topic: string, fetched: unknown, data: object): AnyBatch | string {
  try {
    return new C(topic, fetched, data as never) as AnyBatch;
  } catch (err) {
    return `threw ${(err as Error).message}`;
  }
}

/** kafkajs's records for the same fetch: the fast decoder's turned into kafkajs's plain objects. */
const kafkajsRecords = (messages: unknown[]): unknown[] =>
  messages.map((m) => (m instanceof FetchedRecord ? asKafkajsRecord(m) : m));

/** Ours holds the records kafkajs's holds: the same ones where values are kept in place, equal plain objects elsewhere. */
function sameRecords(ours: unknown[], theirs: unknown[], kept: boolean): void {
  expect(ours.length).toBe(theirs.length);
  ours.forEach((x, i) => {
    if (kept) expect(x).toBe(theirs[i]);
    else {
      expect(x).not.toBeInstanceOf(FetchedRecord);
      expect(Object.getPrototypeOf(x)).toBe(Object.prototype);
      expect(Object.keys(x as object)).toEqual(Object.keys(theirs[i] as object));
      expect(x).toEqual(theirs[i]);
    }
  });
}

keepValuesInPlace('kept');

describe("the consumer's batch", () => {
  it("is kafkajs's Batch for the same fetch: fields, records, prototype and methods", () => {
    expect(isFastBatch(FastBatch)).toBe(true);
    expect(isFastBatch(KafkajsBatch)).toBe(false);
    fc.assert(
      fc.property(
        fc.array(spec, { maxLength: 12 }),
        fetchedOffset,
        aborted,
        fc.constantFrom('kept', 'other'),
        (specs, fetched, abortedTxns, topic) => {
          specs.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
          const kept = topic === 'kept';
          const messages = specs.map(record);
          const data = (records: unknown[]) => ({
            partition: 2,
            highWatermark: String(specs.length > 0 ? specs[specs.length - 1].offset + 1n : 0n),
            abortedTransactions: abortedTxns,
            messages: records,
          });
          const theirs = build(KafkajsBatch, topic, fetched, data(kept ? messages : kafkajsRecords(messages)));
          const ours = build(FastBatch, topic, fetched, data(messages));
          if (typeof theirs === 'string') {
            expect(ours).toBe(theirs);
            return;
          }
          if (typeof ours === 'string') throw new Error(`ours ${ours}, kafkajs built a batch`);
          expect(Object.getPrototypeOf(ours)).toBe(Object.getPrototypeOf(theirs));
          expect(ours).toBeInstanceOf(KafkajsBatch);
          expect(Object.keys(ours)).toEqual(Object.keys(theirs));
          for (const k of Object.keys(theirs)) {
            const a = theirs[k];
            if (Array.isArray(a)) sameRecords(ours[k] as unknown[], a, kept);
            else expect(ours[k]).toEqual(a);
          }
          // Filtered from the raw records: the same objects.
          const raw = ours.rawMessages as unknown[];
          for (const m of ours.messages as unknown[]) expect(raw).toContain(m);
          for (const m of METHODS) expect(answer(ours, m)).toEqual(answer(theirs, m));
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
