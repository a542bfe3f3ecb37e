/**
 * kafkajs's produce request (versions 3 to 7, which all encode through its v3 module,
 * src/protocol/requests/produce/v3/request.js) with the record batches written by
 * record-batch.ts: the same request object, the same bytes, a fraction of the work per record
 * (bench/record-batch.ts). kafkajs-patches.ts puts it in place of kafkajs's module before
 * kafkajs loads. A request with a message outside the fast path (record-batch.ts says which)
 * is encoded by kafkajs's own module, whole.
 */
import { encodePartition, type BatchDeps, type BatchMessage, type LongClass } from './record-batch';

/** The arguments kafkajs's broker passes to a produce request (its v3 module's contract). */
export interface ProduceRequestArgs {
  acks: number;
  timeout?: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: readonly {
    topic: string;
    partitions: readonly { partition: number; firstSequence?: number; messages: readonly BatchMessage[] }[];
  }[];
}

/** kafkajs's Encoder, as far as the request needs it: the result is one, holding the bytes. */
interface KafkaEncoder {
  buf: Buffer;
  offset: number;
}

export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse(): boolean;
  encode(): Promise<KafkaEncoder>;
}

export type ProduceRequestFactory = (args: ProduceRequestArgs) => ProduceRequest;

/** The parts of kafkajs the fast request is built from (its own modules, so the bytes stay its). */
export interface KafkajsParts {
  /** kafkajs's v3 request module: encodes what the fast path leaves to it. */
  original: ProduceRequestFactory;
  Encoder: new (initialSize?: number) => KafkaEncoder;
  Long: LongClass & { fromInt(v: number): unknown };
  /** kafkajs's `lookupCodec` (message/compression): the codec registered for a compression type. */
  lookupCodec(type: number): { compress(encoder: KafkaEncoder): Promise<Buffer> } | null;
  apiKey: number;
}

const FAST = Symbol.for('homeostat.fastProduceRequest');

/** Whether `f` is a request factory built by `fastProduceRequest`. */
export function isFastProduceRequest(f: unknown): boolean {
  return typeof f === 'function' && (f as unknown as Record<symbol, unknown>)[FAST] === true;
}

/** A kafkajs Encoder holding `bytes` (what its request pipeline takes from `encode()`). */
function encoderOf(parts: KafkajsParts, bytes: Buffer): KafkaEncoder {
  const e = new parts.Encoder(0);
  e.buf = bytes;
  e.offset = bytes.length;
  return e;
}

/** kafkajs's `writeString`: int16 byte length (-1 for null) and the UTF-8 bytes. */
function int16String(s: string | null | undefined): Buffer {
  if (s === null || s === undefined) return Buffer.from([0xff, 0xff]);
  const n = Buffer.byteLength(s, 'utf8');
  const b = Buffer.allocUnsafe(2 + n);
  b.writeInt16BE(n, 0);
  b.write(s, 2, n, 'utf8');
  return b;
}

function int32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(v, 0);
  return b;
}

/** The request body's pieces in order, or undefined when a partition is left to kafkajs. */
async function encodeBody(
  args: ProduceRequestArgs,
  deps: BatchDeps,
  defaults: Required<Omit<ProduceRequestArgs, 'acks' | 'timeout' | 'topicData'>>,
): Promise<Buffer[] | undefined> {
  const { transactionalId, producerId, producerEpoch, compression } = defaults;
  const head = int16String(transactionalId);
  const fixed = Buffer.allocUnsafe(10);
  fixed.writeInt16BE(args.acks, 0);
  fixed.writeInt32BE(args.timeout as number, 2);
  fixed.writeInt32BE(args.topicData.length, 6);
  const pieces = [head, fixed];
  for (const { topic, partitions } of args.topicData) {
    pieces.push(int16String(topic), int32(partitions.length));
    for (const data of partitions) {
      const entry = await encodePartition(
        { ...data, producerId, producerEpoch, compression, transactional: !!transactionalId },
        deps,
      );
      if (entry === undefined) return undefined;
      pieces.push(entry);
    }
  }
  return pieces;
}

/** kafkajs's v3 produce request factory, with record-batch.ts writing the batches. */
export function fastProduceRequest(parts: KafkajsParts): ProduceRequestFactory {
  const deps: BatchDeps = {
    Long: parts.Long,
    async compress(type, records) {
      // As kafkajs: the codec registered now for the type, given an Encoder of the records.
      return parts.lookupCodec(type)!.compress(encoderOf(parts, records));
    },
  };
  const factory = (args: ProduceRequestArgs): ProduceRequest => {
    const defaults = {
      transactionalId: args.transactionalId === undefined ? null : args.transactionalId,
      producerId: args.producerId === undefined ? parts.Long.fromInt(-1) : args.producerId,
      producerEpoch: args.producerEpoch === undefined ? 0 : args.producerEpoch,
      compression: args.compression === undefined ? 0 : args.compression,
    };
    const acks = args.acks;
    return {
      apiKey: parts.apiKey,
      apiVersion: 3,
      apiName: 'Produce',
      expectResponse: () => acks !== 0,
      async encode() {
        const pieces = await encodeBody(args, deps, defaults);
        if (pieces === undefined) return parts.original(args).encode();
        return encoderOf(parts, Buffer.concat(pieces));
      },
    };
  };
  (factory as unknown as Record<symbol, unknown>)[FAST] = true;
  return factory;
}

/** The fast factory over kafkajs's own modules, resolved by `load` (Node's require, or jest's). */
export function fastProduceRequestFromKafkajs(load: (id: string) => unknown): ProduceRequestFactory {
  const base = 'kafkajs/src/protocol';
  const compression = load(`${base}/message/compression`) as { lookupCodec: KafkajsParts['lookupCodec'] };
  return fastProduceRequest({
    original: load(`${base}/requests/produce/v3/request`) as ProduceRequestFactory,
    Encoder: load(`${base}/encoder`) as KafkajsParts['Encoder'],
    Long: load('kafkajs/src/utils/long') as KafkajsParts['Long'],
    lookupCodec: compression.lookupCodec,
    apiKey: (load(`${base}/requests/apiKeys`) as { Produce: number }).Produce,
  });
}
