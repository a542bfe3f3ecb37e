/**
 * The produce request written by record-batch.ts must be byte for byte kafkajs's own for the
 * same input: random messages (keys and values absent, empty, large; headers with arrays and
 * Buffers; timestamps as strings and numbers, past 2^53, absent), partitions, producer ids,
 * epochs, sequences, transactional or not, uncompressed and gzip (the codecs homeostat uses).
 * Where the fast path leaves a request to kafkajs (a delta past 2^52, a null header), the
 * answer is still kafkajs's: the same bytes, or the same error.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { crc32c } from '../../../src/kafka/crc32c';
import {
  fastProduceRequestFromKafkajs,
  isFastProduceRequest,
  type ProduceRequestArgs,
  type ProduceRequestFactory,
} from '../../../src/kafka/produce-request';

// Under jest's module registry kafkajs's modules load as they are: the reference.
const load = (id: string): unknown => jest.requireActual(id);
const kafkajsRequest = load('kafkajs/src/protocol/requests/produce/v3/request') as ProduceRequestFactory;
const kafkajsCrc = load('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
const Long = load('kafkajs/src/utils/long') as { fromValue(v: unknown): unknown };
const fast = fastProduceRequestFromKafkajs(load);

const NOW = 1_765_000_000_000;
beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
afterEach(() => jest.restoreAllMocks());

/** The request's bytes, or the error's class and message when encoding throws. */
async function encoded(factory: ProduceRequestFactory, args: ProduceRequestArgs): Promise<string> {
  try {
    const e = await factory(args).encode();
    return e.buf.subarray(0, e.offset).toString('hex');
  } catch (err) {
    return `threw ${(err as Error).name}: ${(err as Error).message}`;
  }
}

const largeBuffer = fc.integer({ min: 1000, max: 70_000 }).map((n) => randomBytes(n));
const bytes = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(null, undefined, '', Buffer.alloc(0)) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) }, // lone surrogates too
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: largeBuffer },
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
);
const headers = fc.option(
  fc.dictionary(
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })),
    {
      maxKeys: 4,
    },
  ),
  { nil: undefined },
);
const timestamp = fc.oneof(
  fc.constantFrom(undefined, null, 0, '0', '', '9007199254740993', '99999999999999999999', 9_007_199_254_740_000),
  fc.integer({ min: NOW - 1e9, max: NOW + 1e9 }).map(String),
  fc.integer({ min: NOW - 1e9, max: NOW + 1e9 }),
  fc.integer({ min: 0, max: 1e12 }).map(String), // shorter strings: kafkajs sorts timestamps as strings
);
const message = fc.record({ key: bytes, value: bytes, headers, timestamp }, { requiredKeys: ['value'] });

const request = fc.record({
  acks: fc.constantFrom(-1, 0, 1),
  timeout: fc.constantFrom(30_000, 5_000),
  transactionalId: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
  producerId: fc.oneof(
    fc.constant(undefined),
    fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }).map((v) => Long.fromValue(v)),
  ),
  producerEpoch: fc.option(fc.integer({ min: 0, max: 32_767 }), { nil: undefined }),
  compression: fc.constantFrom(undefined, 0, 1),
  topicData: fc.array(
    fc.record({
      topic: fc.string({ minLength: 1, maxLength: 20 }),
      partitions: fc.array(
        fc.record({
          partition: fc.nat(50),
          firstSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          messages: fc.array(message, { minLength: 1, maxLength: 25 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

describe('the fast produce request', () => {
  it("writes kafkajs's bytes for random requests: keys, values, headers, timestamps, producer fields, gzip or none", async () => {
    await fc.assert(
      fc.asyncProperty(request, async (args) => {
        const a = args as unknown as ProduceRequestArgs;
        expect(await encoded(fast, a)).toBe(await encoded(kafkajsRequest, a));
      }),
      { numRuns: 300 },
    );
  });

  it('is the same request object otherwise: api key, version, name, whether a response is expected', () => {
    for (const acks of [-1, 0, 1]) {
      const args = { acks, timeout: 1000, topicData: [] };
      const { encode: _a, expectResponse: ra, ...ours } = fast(args);
      const { encode: _b, expectResponse: rb, ...theirs } = kafkajsRequest(args);
      expect(ours).toEqual(theirs);
      expect(ra()).toBe(rb());
    }
    expect(isFastProduceRequest(fast)).toBe(true);
    expect(isFastProduceRequest(kafkajsRequest)).toBe(false);
  });

  it("leaves to kafkajs what is outside its path, with kafkajs's result: large deltas, null headers, non-integer timestamps", async () => {
    const cases: ProduceRequestArgs['topicData'][number]['partitions'][number]['messages'][] = [
      [
        { value: 'a', timestamp: '1' },
        { value: 'b', timestamp: String(2 ** 53 + 10) },
      ],
      [
        { value: 'a', timestamp: 5 },
        { value: 'b', timestamp: -(2 ** 52) },
      ],
      [{ value: 'a', headers: { h: null } }],
      [{ value: 'a', headers: { h: [undefined] } }],
      [{ value: 'a', timestamp: 1.5 }],
      [{ value: 'a', timestamp: 'not a number' }],
      [{ value: 7 }],
    ];
    for (const messages of cases) {
      const args = { acks: -1, timeout: 1000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }] };
      const ours = await encoded(fast, args);
      expect(ours).toBe(await encoded(kafkajsRequest, args));
    }
  });
});

describe('CRC-32C by slicing-by-8', () => {
  it("is kafkajs's checksum over random buffers and sub-ranges", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(20), fc.nat(20), (arr, from, cut) => {
        const buf = Buffer.from(arr);
        const start = Math.min(from, buf.length);
        const end = Math.max(start, buf.length - cut);
        expect(crc32c(buf, start, end)).toBe(kafkajsCrc(buf.subarray(start, end)));
      }),
      { numRuns: 1000 },
    );
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the published check value
  });
});
