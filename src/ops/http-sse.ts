import type { ServerResponse } from 'node:http';
import { HomeostatError } from '../errors';

/**
 * Server-sent events for the dashboard (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * A stream is one long response; the ops server ends every open stream on stop() so that
 * shutdown is not held up by a browser tab.
 */

export interface SseStream {
  /**
   * Sends one event. `data` is sent as-is when a string (split over `data:` lines) and as
   * JSON otherwise. Returns false when the stream is closed or was closed for being too slow.
   */
  send(event: string, data: unknown): boolean;
  /** Sends an SSE comment, which clients ignore; keeps idle proxies from timing out. */
  comment(text: string): boolean;
  /** Ends the response. Idempotent. */
  close(): void;
  readonly closed: boolean;
  /** Called once when the stream ends, whoever ended it (us, the client, or stop()). */
  onClose(listener: () => void): void;
}

export interface SseOptions {
  /** Send a comment this often so proxies keep the connection; 0 disables. Default 15000 ms. */
  heartbeatMs?: number;
  /**
   * A client that reads slower than we write is cut off once this many bytes are queued,
   * so one stuck tab cannot grow the processor's memory; EventSource reconnects by itself.
   * Default 1 MiB.
   */
  maxBufferedBytes?: number;
  /** Reconnection delay suggested to the client (the `retry:` field), ms. Default: not sent. */
  retryMs?: number;
  /** Told when the stream is cut off for reading too slowly (to count it). */
  onOverflow?: () => void;
}

const streams = new WeakMap<ServerResponse, SseStream>();

/** The stream opened on this response by `sse()`, if any. Used by the server to end streams on stop. */
export function sseStreamOf(res: ServerResponse): SseStream | undefined {
  return streams.get(res);
}

function checkEventName(event: string): void {
  // A newline would end the field early and let the data forge other fields.
  if (event.length === 0 || /[\r\n]/.test(event)) {
    throw new HomeostatError('USAGE', `SSE event name ${JSON.stringify(event)} must be non-empty and single-line`);
  }
}

function dataLines(data: unknown): string {
  const text = typeof data === 'string' ? data : (JSON.stringify(data) ?? 'null');
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
}

/** Turns a response into an event stream: writes the headers now and returns the sender. */
export function sse(res: ServerResponse, options: SseOptions = {}): SseStream {
  const existing = streams.get(res);
  if (existing) return existing;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;

  let closed = false;
  const listeners: Array<() => void> = [];
  let heartbeat: NodeJS.Timeout | undefined;

  const finish = (): void => {
    if (closed) return;
    closed = true;
    if (heartbeat) clearInterval(heartbeat);
    for (const listener of listeners.splice(0)) {
      try {
        listener();
      } catch {
        // A listener's failure must not stop the others or escape into the socket's event loop.
      }
    }
  };

  const write = (chunk: string): boolean => {
    if (closed || res.writableEnded || res.destroyed) {
      finish();
      return false;
    }
    if (res.writableLength > maxBufferedBytes) {
      stream.close();
      options.onOverflow?.();
      return false;
    }
    res.write(chunk);
    return true;
  };

  const stream: SseStream = {
    send(event, data) {
      checkEventName(event);
      return write(`event: ${event}\n${dataLines(data)}\n`);
    },
    comment(text) {
      return write(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`);
    },
    close() {
      if (closed) return;
      if (!res.writableEnded && !res.destroyed) res.end();
      finish();
    },
    get closed() {
      return closed;
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
  };

  res.on('close', finish);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx buffers responses by default, which would hold events back.
    'X-Accel-Buffering': 'no',
  });
  res.write(options.retryMs !== undefined ? `retry: ${Math.max(0, Math.floor(options.retryMs))}\n\n` : ': open\n\n');
  if (heartbeatMs > 0) {
    heartbeat = setInterval(() => stream.comment('heartbeat'), heartbeatMs);
    heartbeat.unref();
  }
  streams.set(res, stream);
  return stream;
}
