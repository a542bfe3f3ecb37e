/**
 * kafkajs's request framing (src/protocol/request.js: the size, the request header — api key,
 * version, correlation id, client id — then the request's own bytes) written into one buffer of
 * the exact size. kafkajs writes the header into a new Encoder, copies the request's bytes behind
 * it (growing the Encoder to the next power of two, zero-filled), then copies the whole again
 * behind the size into a third Encoder grown the same way: for every produce request of a
 * transaction's outputs (up to 512 KiB, transaction.ts) two zero-filled buffers of up to twice
 * its size and two copies of it. Here: one allocation, one copy. Same bytes
 * (test/unit/kafka/request-frame.test.ts holds it to kafkajs's module); a client id that is
 * neither a string nor absent is left to kafkajs's module, which writes or throws as it did.
 * kafkajs-patches.ts puts it in place of kafkajs's module before kafkajs loads.
 */

/** kafkajs's Encoder, as far as framing needs it: its bytes are `buf[0, offset)`. */
interface KafkaEncoder {
  buf: Buffer;
  offset: number;
}

/** What kafkajs's connection passes to its request module. */
export interface FrameArgs {
  correlationId: number;
  clientId: unknown;
  request: { apiKey: number; apiVersion: number; encode(): Promise<KafkaEncoder> | KafkaEncoder };
}

export type RequestFramer = (args: FrameArgs) => Promise<KafkaEncoder>;

/** The parts of kafkajs the framing is built from. */
export interface FramingParts {
  /** kafkajs's own request module: frames what this one leaves to it. */
  original: RequestFramer;
  Encoder: new (initialSize?: number) => KafkaEncoder;
}

const FAST = Symbol.for('homeostat.fastRequestFrame');

/** Whether `f` is a framer built by `fastRequestFrame`. */
export function isFastRequestFrame(f: unknown): boolean {
  return typeof f === 'function' && (f as unknown as Record<symbol, unknown>)[FAST] === true;
}

/** size (int32), api key and version (int16 each), correlation id (int32), client id's length (int16). */
const FIXED = 4 + 2 + 2 + 4 + 2;

/** The framed request: `[size][apiKey][apiVersion][correlationId][clientId][payload]`, as kafkajs writes it. */
export function frameRequest(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null | undefined,
  payload: KafkaEncoder,
): Buffer {
  const idBytes = clientId === null || clientId === undefined ? -1 : Buffer.byteLength(clientId, 'utf8');
  const bodyBytes = payload.offset;
  const total = FIXED + Math.max(0, idBytes) + bodyBytes;
  const out = Buffer.allocUnsafe(total);
  out.writeInt32BE(total - 4, 0);
  out.writeInt16BE(apiKey, 4);
  out.writeInt16BE(apiVersion, 6);
  out.writeInt32BE(correlationId, 8);
  out.writeInt16BE(idBytes, 12);
  let at = FIXED;
  if (idBytes > 0) at += out.write(clientId as string, at, idBytes, 'utf8');
  payload.buf.copy(out, at, 0, bodyBytes);
  return out;
}

/** kafkajs's request module, framing in one buffer. */
export function fastRequestFrame(parts: FramingParts): RequestFramer {
  const framer: RequestFramer = async (args) => {
    const { correlationId, clientId, request } = args;
    if (clientId !== null && clientId !== undefined && typeof clientId !== 'string') return parts.original(args);
    const payload = await request.encode();
    // Not an Encoder: kafkajs's module throws on it (encoding the request once more first).
    if (payload === null || payload === undefined || !Buffer.isBuffer(payload.buf)) return parts.original(args);
    const bytes = frameRequest(request.apiKey, request.apiVersion, correlationId, clientId, payload);
    const e = new parts.Encoder(0);
    e.buf = bytes;
    e.offset = bytes.length;
    return e;
  };
  (framer as unknown as Record<symbol, unknown>)[FAST] = true;
  return framer;
}

/** The fast framing over kafkajs's own modules, resolved by `load` (Node's require, or jest's). */
export function fastRequestFrameFromKafkajs(load: (id: string) => unknown): RequestFramer {
  return fastRequestFrame({
    original: load('kafkajs/src/protocol/request') as RequestFramer,
    Encoder: load('kafkajs/src/protocol/encoder') as FramingParts['Encoder'],
  });
}
