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

/** Bytes of kafkajs's `writeString` of `s`: int16 byte length (-1 for null) and the UTF-8 bytes. */
function sizeOfString(s: string | null | undefined): number {
  return s === null || s === undefined ? 2 : 2 + Buffer.byteLength(s, 'utf8');
}

function writeString(buf: Buffer, at: number, s: string | null | undefined): number {
  if (s === null || s === undefined) {
    buf.writeInt16BE(-1, at);
    return at + 2;
  }
  const n = buf.write(s, at + 2, 'utf8');
  buf.writeInt16BE(n, at);
  return at + 2 + n;
}

type Defaults = Required<Omit<ProduceRequestArgs, 'acks' | 'timeout' | 'topicData'>>;

/** Each partition's entry, in request order, or undefined when a partition is left to kafkajs. */
async function encodeEntries(args: ProduceRequestArgs, deps: BatchDeps, d: Defaults): Promise<Buffer[] | undefined> {
  const entries: Buffer[] = [];
  const transactional = !!d.transactionalId;
  for (const { partitions } of args.topicData) {
    for (const data of partitions) {
      const { partition, messages, firstSequence } = data;
      const { producerId, producerEpoch, compression } = d;
      const entry = await encodePartition(
        { partition, messages, firstSequence, producerId, producerEpoch, compression, transactional },
        deps,
      );
      if (entry === undefined) return undefined;
      entries.push(entry);
    }
  }
  return entries;
}

/** The request body — kafkajs's layout — in one buffer: its header fields, each topic's name and count, the entries. */
function requestBody(args: ProduceRequestArgs, transactionalId: string | null, entries: readonly Buffer[]): Buffer {
  let size = sizeOfString(transactionalId) + 10;
  for (const { topic } of args.topicData) size += sizeOfString(topic) + 4;
  for (const e of entries) size += e.length;
  const body = Buffer.allocUnsafe(size);
  let at = writeString(body, 0, transactionalId);
  body.writeInt16BE(args.acks, at);
  body.writeInt32BE(args.timeout as number, at + 2);
  body.writeInt32BE(args.topicData.length, at + 6);
  at += 10;
  let next = 0;
  for (const { topic, partitions } of args.topicData) {
    at = writeString(body, at, topic);
    body.writeInt32BE(partitions.length, at);
    at += 4;
    for (let i = 0; i < partitions.length; i++) at += entries[next++].copy(body, at);
  }
  return body;
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
        const entries = await encodeEntries(args, deps, defaults);
        if (entries === undefined) return parts.original(args).encode();
        return encoderOf(parts, requestBody(args, defaults.transactionalId, entries));
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
