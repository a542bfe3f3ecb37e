/**
 * Every request kafkajs sends is framed by request-frame.ts once homeostat's Kafka client is
 * loaded: its bytes must be those of kafkajs's own src/protocol/request.js for any header and
 * payload, and what it cannot frame it must leave to kafkajs's module.
 */
import fc from 'fast-check';
import {
  fastRequestFrame,
  fastRequestFrameFromKafkajs,
  isFastRequestFrame,
  type FrameArgs,
} from '../../../src/kafka/request-frame';

// Under jest's module registry kafkajs's own modules load as they are: the reference.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsFrame = require('kafkajs/src/protocol/request') as (a: FrameArgs) => Promise<{ buffer: Buffer }>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Encoder = require('kafkajs/src/protocol/encoder') as new (size?: number) => {
  buf: Buffer;
  offset: number;
  buffer: Buffer;
  writeBuffer(b: Buffer): unknown;
};

const ours = fastRequestFrameFromKafkajs((id) => jest.requireActual(id));

/** A payload as kafkajs's request modules return it: an Encoder, its buffer larger than its bytes. */
function payloadOf(bytes: Uint8Array, initial: number): InstanceType<typeof Encoder> {
  const e = new Encoder(initial);
  e.writeBuffer(Buffer.from(bytes));
  return e;
}

const args = (
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: unknown,
  payload: () => unknown,
): FrameArgs => ({
  correlationId,
  clientId,
  request: { apiKey, apiVersion, encode: () => Promise.resolve(payload() as never) },
});

describe("the requests' framing in one buffer", () => {
  it("writes the bytes kafkajs's request module writes, for any header, client id and payload", async () => {
    const clientId = fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0x7fff }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        clientId,
        // Sizes around the power-of-two boundaries kafkajs's Encoder grows at.
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.integer({ min: 1000, max: 5000 }).map((n) => new Uint8Array(n).map((_, i) => (i * 31) & 0xff)),
        ),
        fc.integer({ min: 0, max: 2048 }),
        async (apiKey, apiVersion, correlationId, id, bytes, initial) => {
          const a = args(apiKey, apiVersion, correlationId, id, () => payloadOf(bytes, initial));
          const theirs = (await kafkajsFrame(a)).buffer;
          const mine = (await ours(a)) as unknown as { buffer: Buffer };
          expect(Buffer.compare(mine.buffer, theirs)).toBe(0);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("leaves what it cannot frame to kafkajs's module: a client id of another type, a payload that is no Encoder", async () => {
    const calls: string[] = [];
    const framer = fastRequestFrame({
      original: (a) => {
        calls.push(String(a.clientId));
        return Promise.resolve({ buf: Buffer.alloc(0), offset: 0 });
      },
      Encoder,
    });
    await framer(args(0, 3, 1, 42, () => payloadOf(new Uint8Array(3), 0)));
    await framer(args(0, 3, 1, 'c', () => ({ buf: 'not bytes', offset: 0 })));
    expect(calls).toEqual(['42', 'c']);
    await expect(kafkajsFrame(args(0, 3, 1, 42, () => payloadOf(new Uint8Array(3), 0)))).rejects.toThrow();
    expect(isFastRequestFrame(framer)).toBe(true);
    expect(isFastRequestFrame(kafkajsFrame)).toBe(false);
  });
});
